"""Satisfaction surveys: opened when a ticket is resolved (at most one a day per customer), answered once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelIdentity, Conversation, CsatSurvey, Ticket


async def open_survey(
    session: AsyncSession, ticket_id: int, conversation_id: int, now: dt.datetime, quiet: dt.timedelta
) -> int | None:
    """A survey for this resolved ticket, or None: the customer (the linked customer, else this chat
    identity) was asked within `quiet`, cannot be reached, or the ticket already has one."""
    conv = await session.get(Conversation, conversation_id)
    ticket = await session.get(Ticket, ticket_id)
    if conv is None or ticket is None or conv.identity_id is None:
        return None
    identity = await session.get(ChannelIdentity, conv.identity_id)
    if identity is None or identity.unreachable_at is not None:
        return None
    who = [CsatSurvey.identity_id == identity.id]
    if identity.customer_id is not None:
        who.append(CsatSurvey.customer_id == identity.customer_id)
    recent = await session.scalar(
        select(CsatSurvey.id)
        .where(or_(*who, CsatSurvey.ticket_id == ticket_id), CsatSurvey.asked_at > now - quiet)
        .limit(1)
    )
    if recent is not None or await session.scalar(
        select(CsatSurvey.id).where(CsatSurvey.ticket_id == ticket_id)
    ):
        return None
    survey = CsatSurvey(
        ticket_id=ticket_id,
        conversation_id=conversation_id,
        identity_id=identity.id,
        customer_id=identity.customer_id,
        agent_id=ticket.claimed_by,
        asked_at=now,
    )
    session.add(survey)
    await session.flush()
    return survey.id


async def record(
    session: AsyncSession,
    survey_id: int,
    conversation_id: int,
    now: dt.datetime,
    *,
    rating: int | None = None,
    comment: str | None = None,
) -> bool:
    """Store the first rating (1-5) and the first comment of the conversation's own survey.

    Conditional UPDATEs: a repeated press or a retried event finds the value set and changes nothing.
    """
    changed = False
    mine = (CsatSurvey.id == survey_id, CsatSurvey.conversation_id == conversation_id)
    if rating is not None and 1 <= rating <= 5:
        result = await session.execute(
            update(CsatSurvey)
            .where(*mine, CsatSurvey.rating.is_(None))
            .values(rating=rating, rated_at=now)
            .returning(CsatSurvey.id)
        )
        changed = result.first() is not None
    if comment:
        result = await session.execute(
            update(CsatSurvey)
            .where(*mine, CsatSurvey.comment.is_(None))
            .values(comment=comment, commented_at=now)
            .returning(CsatSurvey.id)
        )
        changed = changed or result.first() is not None
    return changed


async def of_ticket(session: AsyncSession, ticket_id: int) -> CsatSurvey | None:
    return await session.scalar(select(CsatSurvey).where(CsatSurvey.ticket_id == ticket_id))
