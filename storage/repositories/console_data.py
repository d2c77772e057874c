"""Data requests (RULES.md §6): export a customer's data, delete or anonymize it, find whom to purge."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy import Select, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Attachment,
    Booking,
    ChannelIdentity,
    Conversation,
    CsatSurvey,
    Customer,
    CustomerNote,
    LineMenuLink,
    Request,
    TranscriptMessage,
)
from storage.repositories import attachments as attachments_repo

EraseMode = Literal["delete", "anonymize"]
CUSTOMER_FIELDS = (
    "full_name",
    "birth_date",
    "gender",
    "phone",
    "email",
    "treatment_history",
    "timezone",
    "locale",
    "no_show_count",
    "contract_ends_on",
    "consent_at",
    "anonymized_at",
    "created_at",
    "updated_at",
)
BOOKING_FIELDS = (
    "reference",
    "clinic",
    "kind",
    "service_at",
    "fee_total_jpy",
    "requested_at",
    "confirmed_at",
    "status",
    "paid_at",
    "notes",
    "created_at",
)


def _jsonable(value: object) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


async def export_customer(session: AsyncSession, customer_id: int) -> dict[str, Any] | None:
    """Everything the agency holds about one customer, as JSON-ready data."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        return None
    identities = await _all(
        session, select(ChannelIdentity).where(ChannelIdentity.customer_id == customer_id)
    )
    bookings = await _all(session, select(Booking).where(Booking.customer_id == customer_id))
    requests = await _all(session, select(Request).where(Request.customer_id == customer_id))
    notes = await _all(
        session, select(CustomerNote).where(CustomerNote.customer_id == customer_id).order_by(CustomerNote.id)
    )
    attachments = await attachments_repo.for_customer(session, customer_id)
    return {
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "customer": {"id": customer.id, **{f: _jsonable(getattr(customer, f)) for f in CUSTOMER_FIELDS}},
        "identities": [_identity_json(i) for i in identities],
        "bookings": [{f: _jsonable(getattr(b, f)) for f in BOOKING_FIELDS} for b in bookings],
        "requests": [_request_json(r) for r in requests],
        "conversations": await _conversations_json(session, [i.id for i in identities]),
        # What the agency's staff noted about the person is their personal data too.
        "notes": [{"at": _jsonable(n.created_at), "text": n.text} for n in notes],
        # What was sent, not the bytes: the files themselves are handed over on request (docs/attachments.md).
        "attachments": [_attachment_json(a) for a in attachments],
        "satisfaction": await _satisfaction(session, customer_id, [i.id for i in identities]),
    }


async def _all(session: AsyncSession, stmt: Select[Any]) -> list[Any]:
    return list((await session.execute(stmt)).scalars())


async def _conversations_json(session: AsyncSession, identity_ids: list[int]) -> list[dict[str, Any]]:
    if not identity_ids:
        return []
    conversations = await _all(
        session, select(Conversation).where(Conversation.identity_id.in_(identity_ids))
    )
    out = []
    for conv in conversations:
        lines = await _all(
            session,
            select(TranscriptMessage)
            .where(TranscriptMessage.conversation_id == conv.id)
            .order_by(TranscriptMessage.id),
        )
        out.append(
            {
                "id": conv.id,
                "channel": conv.channel,
                "locale": conv.locale,
                "messages": [
                    {"at": _jsonable(m.created_at), "author": m.author, "text": m.text} for m in lines
                ],
            }
        )
    return out


def _identity_json(i: ChannelIdentity) -> dict[str, Any]:
    return {
        "channel": i.channel,
        "user_id": i.user_id,
        "display_name": i.display_name,
        "locale_hint": i.locale_hint,
        "linked_at": _jsonable(i.linked_at),
        "consent_at": _jsonable(i.consent_at),
    }


def _request_json(r: Request) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "status": r.status,
        "details": r.details,
        "fee_jpy": r.fee_jpy,
        "requested_at": _jsonable(r.requested_at),
        "resolved_at": _jsonable(r.resolved_at),
        "outcome": r.outcome,
    }


def _attachment_json(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.id,
        "conversation_id": a.conversation_id,
        "direction": a.direction,
        "channel": a.channel,
        "kind": a.kind,
        "status": a.status,
        "mime": a.mime,
        "size": a.size,
        "original_name": a.original_name,
        "latitude": a.latitude,
        "longitude": a.longitude,
        "place": a.place,
        "at": _jsonable(a.created_at),
    }


async def _satisfaction(
    session: AsyncSession, customer_id: int, identity_ids: list[int]
) -> list[dict[str, Any]]:
    """The customer's CSAT answers (their own words in the comment)."""
    mine = or_(CsatSurvey.customer_id == customer_id, CsatSurvey.identity_id.in_(identity_ids))
    rows = await session.execute(select(CsatSurvey).where(mine).order_by(CsatSurvey.id))
    return [
        {
            "ticket_id": c.ticket_id,
            "asked_at": _jsonable(c.asked_at),
            "rating": c.rating,
            "comment": c.comment,
        }
        for c in rows.scalars()
    ]


async def erase_plan(session: AsyncSession, customer_id: int) -> dict[str, int]:
    """What erasing would touch (counts only: a dry run must not print personal data)."""
    identity_ids = list(
        (
            await session.execute(
                select(ChannelIdentity.id).where(ChannelIdentity.customer_id == customer_id)
            )
        ).scalars()
    )
    conversations = 0
    if identity_ids:
        conversations = int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(Conversation)
                    .where(Conversation.identity_id.in_(identity_ids))
                )
            ).scalar_one()
        )
    bookings = int(
        (
            await session.execute(
                select(func.count()).select_from(Booking).where(Booking.customer_id == customer_id)
            )
        ).scalar_one()
    )
    requests = int(
        (
            await session.execute(
                select(func.count()).select_from(Request).where(Request.customer_id == customer_id)
            )
        ).scalar_one()
    )
    return {
        "identities": len(identity_ids),
        "conversations": conversations,
        "bookings": bookings,
        "requests": requests,
        "attachments": len(await attachments_repo.for_customer(session, customer_id)),
    }


def default_mode(plan: dict[str, int]) -> EraseMode:
    """Bookings are accounting records: keep them on an anonymized customer; otherwise delete outright."""
    return "anonymize" if plan["bookings"] else "delete"


async def erase_customer(
    session: AsyncSession, customer_id: int, mode: EraseMode, now: dt.datetime
) -> dict[str, int]:
    """Remove a customer's personal data. Conversations (transcripts, outbox, requests, tickets) and chat
    identities go in both modes; `delete` also removes the bookings and the customer row; `anonymize`
    keeps the bookings' accounting fields on a customer row with every personal field cleared."""
    plan = await erase_plan(session, customer_id)
    identity_ids = list(
        (
            await session.execute(
                select(ChannelIdentity.id).where(ChannelIdentity.customer_id == customer_id)
            )
        ).scalars()
    )
    # The files and their content, explicitly (the conversations' cascade would take most of them too).
    await attachments_repo.delete_for_customer(session, customer_id)
    if identity_ids:
        # Which LINE rich menu a LINE user has: keyed by their LINE user id, so it goes with them.
        line_users = select(ChannelIdentity.user_id).where(
            ChannelIdentity.id.in_(identity_ids), ChannelIdentity.channel == "line"
        )
        await session.execute(delete(LineMenuLink).where(LineMenuLink.user_id.in_(line_users)))
        await session.execute(delete(Conversation).where(Conversation.identity_id.in_(identity_ids)))
        await session.execute(delete(ChannelIdentity).where(ChannelIdentity.id.in_(identity_ids)))
    await session.execute(delete(Request).where(Request.customer_id == customer_id))
    # Notes on the customer are about the person: gone in both modes (anonymize keeps the row).
    await session.execute(delete(CustomerNote).where(CustomerNote.customer_id == customer_id))
    # Surveys go with their conversations (cascade); one kept under the customer elsewhere goes too.
    await session.execute(delete(CsatSurvey).where(CsatSurvey.customer_id == customer_id))
    if mode == "delete":
        await session.execute(delete(Booking).where(Booking.customer_id == customer_id))
        await session.execute(delete(Customer).where(Customer.id == customer_id))
    else:
        await session.execute(update(Booking).where(Booking.customer_id == customer_id).values(notes=None))
        await session.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(
                full_name=None,
                birth_date=None,
                gender=None,
                phone=None,
                email=None,
                treatment_history=None,
                timezone=None,
                consent_at=None,
                anonymized_at=now,
                updated_at=now,
            )
        )
    return plan


async def purge_candidates(session: AsyncSession, ended_before: dt.date) -> list[Customer]:
    """Customers whose contract ended before `ended_before` (not renewed: a renewal moves the end date)."""
    rows = await session.execute(
        select(Customer)
        .where(
            Customer.contract_ends_on.is_not(None),
            Customer.contract_ends_on < ended_before,
            Customer.anonymized_at.is_(None),
        )
        .order_by(Customer.id)
    )
    return list(rows.scalars())


# The CSV import (bot/console/csv_import.py) looks rows up a chunk at a time: one query per chunk.


async def bookings_by_references(session: AsyncSession, references: list[str]) -> dict[str, Booking]:
    """The bookings with these references, keyed by the upper-cased reference (matching ignores case)."""
    keys = sorted({r.strip().upper() for r in references})
    if not keys:
        return {}
    rows = await session.execute(select(Booking).where(func.upper(Booking.reference).in_(keys)))
    return {b.reference.strip().upper(): b for b in rows.scalars()}


async def customers_by_emails(session: AsyncSession, emails: list[str]) -> dict[str, Customer]:
    """The first customer (lowest id) with each of these e-mail addresses, keyed by the lower-cased one."""
    keys = sorted({e.strip().lower() for e in emails})
    if not keys:
        return {}
    rows = await session.execute(
        select(Customer).where(func.lower(Customer.email).in_(keys)).order_by(Customer.id.desc())
    )
    # Highest id first, so the lowest id is the one left in the dict.
    return {(c.email or "").strip().lower(): c for c in rows.scalars()}


async def insert_customers(session: AsyncSession, rows: list[dict[str, Any]]) -> dict[str, int]:
    """New customers in one statement; their ids keyed by the lower-cased e-mail."""
    if not rows:
        return {}
    result = await session.execute(insert(Customer).returning(Customer.id, Customer.email), rows)
    return {(email or "").strip().lower(): id_ for id_, email in result.all()}


async def insert_bookings(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(Booking), rows)


async def update_bookings(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Each dict has the booking's `id` and the columns to set."""
    if rows:
        await session.execute(update(Booking), rows)
