"""Attachments: the metadata row (pending -> fetched | failed | refused) and its content rows.

A customer's file is recorded `pending` in the event's own transaction (with the job that fetches
it); the fetch fills in the content. Content is read only by the console's signed-in routes and the
signed link LINE fetches an agent's file from. Deleting a conversation or a customer deletes both
tables' rows (foreign keys ON DELETE CASCADE), so erase and the retention purge remove the bytes.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Attachment, AttachmentContent, ChannelIdentity, Conversation, TranscriptMessage

STATUSES = ("pending", "fetched", "failed", "refused")
KINDS = ("image", "video", "audio", "file", "location")


def new_token() -> str:
    """The attachment's name in URLs: 256 random bits, never derived from its id."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class NewAttachment:
    conversation_id: int
    channel: str
    direction: str
    kind: str
    customer_id: int | None = None
    event_id: str | None = None
    source: str | None = None
    original_name: str | None = None
    size: int | None = None
    mime: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    place: str | None = None
    # Given when the content was put in a bucket under it before the row existed.
    token: str | None = None


async def add(session: AsyncSession, new: NewAttachment, now: dt.datetime) -> Attachment:
    """A new attachment row; a location (nothing to fetch) is `fetched` at once, anything else pending."""
    if new.kind not in KINDS or new.direction not in ("in", "out"):
        raise ValueError("unknown attachment kind or direction")
    row = Attachment(
        token=new.token or new_token(),
        conversation_id=new.conversation_id,
        customer_id=new.customer_id,
        direction=new.direction,
        channel=new.channel,
        event_id=new.event_id,
        kind=new.kind,
        source=new.source[:1000] if new.source else None,
        mime=new.mime,
        size=new.size,
        original_name=new.original_name[:255] if new.original_name else None,
        latitude=new.latitude,
        longitude=new.longitude,
        place=new.place[:500] if new.place else None,
        status="fetched" if new.kind == "location" else "pending",
        attempts=0,
        next_try_at=None if new.kind == "location" else now,
        created_at=now,
        fetched_at=now if new.kind == "location" else None,
    )
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, attachment_id: int) -> Attachment | None:
    return await session.get(Attachment, attachment_id)


async def by_token(session: AsyncSession, token: str) -> Attachment | None:
    if not token or len(token) > 48:
        return None
    found: Attachment | None = (
        await session.execute(select(Attachment).where(Attachment.token == token))
    ).scalar_one_or_none()
    return found


async def attempt_failed(
    session: AsyncSession, attachment_id: int, error: str, next_try_at: dt.datetime | None
) -> None:
    """One fetch failed: counted; `next_try_at` None means it will not be tried again (failed)."""
    values: dict[str, object] = {
        "attempts": Attachment.attempts + 1,
        "error": error[:200],
        "next_try_at": next_try_at,
    }
    if next_try_at is None:
        values["status"] = "failed"
    await session.execute(
        update(Attachment)
        .where(Attachment.id == attachment_id, Attachment.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def refuse(session: AsyncSession, attachment_id: int, reason: str, mime: str | None = None) -> bool:
    """Refused (too large, over the day's allowance, a type not accepted); the content is never kept."""
    result = await session.execute(
        update(Attachment)
        .where(Attachment.id == attachment_id, Attachment.status == "pending")
        .values(status="refused", error=reason[:200], mime=mime, next_try_at=None, source=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True, slots=True)
class Blob:
    """One content row to write: the bytes (database storage) or the bucket key they were put under."""

    role: str
    mime: str
    size: int
    data: bytes | None = None
    bucket_key: str | None = None


async def store_content(
    session: AsyncSession, attachment_id: int, *, kind: str, blobs: list[Blob], now: dt.datetime
) -> bool:
    """The fetched content (and thumbnail) in; the attachment `fetched` with the `full` blob's type and
    size. False if it is not pending any more (fetched by an earlier, slower attempt, or erased
    meanwhile): nothing is written then."""
    full = next(b for b in blobs if b.role == "full")
    result = await session.execute(
        update(Attachment)
        .where(Attachment.id == attachment_id, Attachment.status == "pending")
        .values(
            status="fetched",
            kind=kind,
            mime=full.mime,
            size=full.size,
            fetched_at=now,
            next_try_at=None,
            error=None,
            source=None,
        )
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return False
    for b in blobs:
        session.add(
            AttachmentContent(
                attachment_id=attachment_id,
                role=b.role,
                mime=b.mime,
                size=b.size,
                data=b.data,
                bucket_key=b.bucket_key,
            )
        )
    await session.flush()
    return True


async def content(session: AsyncSession, attachment_id: int, role: str = "full") -> AttachmentContent | None:
    found: AttachmentContent | None = (
        await session.execute(
            select(AttachmentContent).where(
                AttachmentContent.attachment_id == attachment_id, AttachmentContent.role == role
            )
        )
    ).scalar_one_or_none()
    return found


@dataclass(frozen=True, slots=True)
class Usage:
    files: int
    bytes: int


async def used_since(
    session: AsyncSession, *, customer_id: int | None, conversation_id: int, since: dt.datetime
) -> Usage:
    """What this customer (or, unlinked, this conversation) sent since `since`: kept files only."""
    who = (
        Attachment.customer_id == customer_id
        if customer_id is not None
        else Attachment.conversation_id == conversation_id
    )
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Attachment.size), 0)).where(
                who,
                Attachment.direction == "in",
                Attachment.status == "fetched",
                Attachment.kind != "location",
                Attachment.created_at >= since,
            )
        )
    ).one()
    return Usage(int(row[0] or 0), int(row[1] or 0))


async def for_conversation(session: AsyncSession, conversation_id: int, limit: int = 200) -> list[Attachment]:
    rows = await session.execute(
        select(Attachment)
        .where(Attachment.conversation_id == conversation_id)
        .order_by(Attachment.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows.scalars())))


async def link_ticket(session: AsyncSession, conversation_id: int, event_id: str, ticket_id: int) -> None:
    await session.execute(
        update(Attachment)
        .where(Attachment.conversation_id == conversation_id, Attachment.event_id == event_id)
        .values(ticket_id=ticket_id)
        .execution_options(synchronize_session=False)
    )


async def with_entries(
    session: AsyncSession, conversation_id: int, limit: int = 200
) -> list[tuple[Attachment, int | None]]:
    """The conversation's attachments, each with the transcript entry it belongs to (the customer's
    line of the same event, or the agent's line of the same outbox row)."""
    rows = await session.execute(
        select(Attachment, TranscriptMessage.id)
        .outerjoin(
            TranscriptMessage,
            (TranscriptMessage.conversation_id == Attachment.conversation_id)
            & (
                ((Attachment.direction == "in") & (TranscriptMessage.event_id == Attachment.event_id))
                | ((Attachment.direction == "out") & (TranscriptMessage.outbox_id == Attachment.outbox_id))
            ),
        )
        .where(Attachment.conversation_id == conversation_id)
        .order_by(Attachment.id.desc())
        .limit(limit)
    )
    return [(a, entry) for a, entry in reversed(rows.all())]


async def by_event(session: AsyncSession, channel: str, event_id: str) -> list[Attachment]:
    rows = await session.execute(
        select(Attachment).where(Attachment.channel == channel, Attachment.event_id == event_id)
    )
    return list(rows.scalars())


async def for_customer(session: AsyncSession, customer_id: int) -> list[Attachment]:
    """Every attachment of the customer: linked to them, or in a conversation of one of their chats."""
    conversation_ids = (
        select(Conversation.id)
        .join(ChannelIdentity, ChannelIdentity.id == Conversation.identity_id)
        .where(ChannelIdentity.customer_id == customer_id)
    )
    rows = await session.execute(
        select(Attachment)
        .where(or_(Attachment.customer_id == customer_id, Attachment.conversation_id.in_(conversation_ids)))
        .order_by(Attachment.id)
    )
    return list(rows.scalars())


async def bucket_keys_for_customer(session: AsyncSession, customer_id: int) -> list[str]:
    """The bucket objects of the customer's attachments (deleted after their rows, by the caller)."""
    ids = [a.id for a in await for_customer(session, customer_id)]
    if not ids:
        return []
    rows = await session.execute(
        select(AttachmentContent.bucket_key).where(
            AttachmentContent.attachment_id.in_(ids), AttachmentContent.bucket_key.is_not(None)
        )
    )
    return [k for k in rows.scalars() if k]


async def delete_for_customer(session: AsyncSession, customer_id: int) -> int:
    """Erase: the customer's attachments and (by cascade) their content. Returns how many went."""
    ids = [a.id for a in await for_customer(session, customer_id)]
    if not ids:
        return 0
    await session.execute(delete(AttachmentContent).where(AttachmentContent.attachment_id.in_(ids)))
    await session.execute(delete(Attachment).where(Attachment.id.in_(ids)))
    return len(ids)


async def content_rows(session: AsyncSession) -> int:
    """How many content rows exist (tests and /metrics-style checks)."""
    return int((await session.execute(select(func.count()).select_from(AttachmentContent))).scalar_one())
