"""What agents have read: the web chat's "seen", and LINE's mark-as-read, planned as a job.

`record_read` runs when an agent opens a conversation or has it open while the customer writes. It
moves the conversation's read mark forward (never back) and, on LINE, plans one job per message
token to be marked — the job's unique key is what makes the API call happen once, and the job table
is the durable path (a process that stops before the call leaves the job for another).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation, ConversationRead, InboxEvent, TranscriptMessage
from storage.repositories import jobs
from storage.repositories.common import insert_for

LINE_MARK_READ = "line_mark_read"


@dataclass(frozen=True, slots=True)
class Read:
    transcript_id: int
    # A LINE mark-as-read job was planned (the caller wakes whoever runs it).
    planned: bool


async def record_read(
    session: AsyncSession, conversation_id: int, agent_id: int | None, now: dt.datetime
) -> Read | None:
    """The agent has read everything the customer wrote so far; None if the customer wrote nothing."""
    last = (
        await session.execute(
            select(func.max(TranscriptMessage.id)).where(
                TranscriptMessage.conversation_id == conversation_id, TranscriptMessage.author == "customer"
            )
        )
    ).scalar_one_or_none()
    if last is None:
        return None
    stmt = insert_for(session, ConversationRead).values(
        conversation_id=conversation_id, transcript_id=last, agent_id=agent_id, read_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["conversation_id"],
        set_={"transcript_id": last, "agent_id": agent_id, "read_at": now},
        where=ConversationRead.transcript_id < last,
    )
    await session.execute(stmt)
    return Read(last, await _plan_line_mark(session, conversation_id, last, now))


async def _plan_line_mark(session: AsyncSession, conversation_id: int, last: int, now: dt.datetime) -> bool:
    # The newest unmarked token: marking it read marks every earlier message of the chat read too.
    row = (
        await session.execute(
            select(InboxEvent.id, InboxEvent.read_token)
            .join(
                TranscriptMessage,
                and_(
                    TranscriptMessage.event_id == InboxEvent.event_id,
                    TranscriptMessage.conversation_id == conversation_id,
                ),
            )
            .join(Conversation, Conversation.id == TranscriptMessage.conversation_id)
            .where(
                Conversation.channel == "line",
                InboxEvent.channel == "line",
                InboxEvent.read_token.is_not(None),
                InboxEvent.read_marked_at.is_(None),
                TranscriptMessage.id <= last,
            )
            .order_by(InboxEvent.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return False
    inbox_id, token = int(row[0]), str(row[1])
    job = jobs.Planned(
        key=f"line-read:{inbox_id}",
        kind=LINE_MARK_READ,
        run_at=now,
        data={"conversation_id": conversation_id, "inbox_id": inbox_id, "token": token},
    )
    return await jobs.plan(session, [job]) > 0


async def marked(session: AsyncSession, conversation_id: int, inbox_id: int, now: dt.datetime) -> int:
    """Every LINE message of the conversation up to `inbox_id` is read now; returns how many rows."""
    events = select(TranscriptMessage.event_id).where(
        TranscriptMessage.conversation_id == conversation_id, TranscriptMessage.event_id.is_not(None)
    )
    result = await session.execute(
        update(InboxEvent)
        .where(
            InboxEvent.channel == "line",
            InboxEvent.id <= inbox_id,
            InboxEvent.read_marked_at.is_(None),
            InboxEvent.event_id.in_(events),
        )
        .values(read_marked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def seen_up_to(session: AsyncSession, conversation_id: int) -> int | None:
    """The last customer transcript id an agent has read, or None."""
    return (
        await session.execute(
            select(ConversationRead.transcript_id).where(ConversationRead.conversation_id == conversation_id)
        )
    ).scalar_one_or_none()


async def seen_event_id(session: AsyncSession, conversation_id: int) -> str | None:
    """The channel's id of the last customer message an agent has read (the web chat's message id)."""
    return (
        await session.execute(
            select(TranscriptMessage.event_id)
            .join(ConversationRead, ConversationRead.transcript_id == TranscriptMessage.id)
            .where(ConversationRead.conversation_id == conversation_id)
        )
    ).scalar_one_or_none()
