from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Table, event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from storage.models import ChannelIdentity, Conversation, OutboxMessage, TranscriptMessage
from storage.repositories.common import insert_for, is_postgres


async def identity_for(session: AsyncSession, channel: str, user_id: str) -> ChannelIdentity:
    stmt = select(ChannelIdentity).where(
        ChannelIdentity.channel == channel, ChannelIdentity.user_id == user_id
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is not None:
        return found
    await session.execute(
        insert_for(session, ChannelIdentity)
        .values(channel=channel, user_id=user_id, created_at=dt.datetime.now(dt.UTC))
        .on_conflict_do_nothing(index_elements=["channel", "user_id"])
    )
    row = await session.execute(
        select(ChannelIdentity).where(ChannelIdentity.channel == channel, ChannelIdentity.user_id == user_id)
    )
    return row.scalar_one()


async def lock_conversation(
    session: AsyncSession, channel: str, user_id: str, identity_id: int
) -> Conversation:
    """The conversation row, created if new, locked FOR UPDATE on PostgreSQL (ordering across processes).

    On SQLite the write transaction itself (BEGIN IMMEDIATE) already serializes writers.
    """
    stmt = select(Conversation).where(Conversation.channel == channel, Conversation.user_id == user_id)
    if is_postgres(session):
        stmt = stmt.with_for_update()
    stmt = stmt.execution_options(populate_existing=True)
    # The common case is a known conversation: one statement. New ones are inserted race-free below.
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is not None:
        return found
    now = dt.datetime.now(dt.UTC)
    await session.execute(
        insert_for(session, Conversation)
        .values(
            channel=channel,
            user_id=user_id,
            identity_id=identity_id,
            mode="bot",
            stack={},
            version=0,
            link_failures=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["channel", "user_id"])
    )
    return (await session.execute(stmt)).scalar_one()


async def lock_conversation_by_id(session: AsyncSession, conversation_id: int) -> Conversation | None:
    stmt = select(Conversation).where(Conversation.id == conversation_id)
    if is_postgres(session):
        stmt = stmt.with_for_update()
    return (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()


def add_transcript(
    session: AsyncSession,
    conversation_id: int,
    author: str,
    text: str,
    *,
    event_id: str | None = None,
    payload: dict[str, object] | None = None,
    agent_id: int | None = None,
    outbox_id: int | None = None,
    outbox: OutboxMessage | None = None,
    at: dt.datetime | None = None,
) -> None:
    """A transcript line, written with the unit of work's other lines in ONE statement at commit.

    Lines are buffered on the session and inserted together (an executemany, in the order added)
    just before the commit, or before any statement of the same unit of work that reads or changes
    transcript lines, so the unit of work still reads its own lines. `outbox`: an outbox row still
    pending in the session; its id is taken when the lines are written.
    """
    values = {
        "conversation_id": conversation_id,
        "author": author,
        "text": text,
        "event_id": event_id,
        "payload": payload,
        "agent_id": agent_id,
        "outbox_id": outbox_id,
        "created_at": at or dt.datetime.now(dt.UTC),
    }
    session.info.setdefault(_PENDING, []).append((values, outbox))


_PENDING = "counselbot.transcript_lines"
_LINES: Table = TranscriptMessage.__table__  # type: ignore[assignment]


def _write_lines(session: Session) -> None:
    pending: list[tuple[dict[str, Any], OutboxMessage | None]] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    if any(o is not None and o.id is None for _, o in pending):
        session.flush()
    rows = [{**v, "outbox_id": o.id} if o is not None else v for v, o in pending]
    session.execute(insert(_LINES), rows)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _write_lines(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    # Never written: a unit of work that failed leaves no lines behind for the session's next one.
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    session = state.session
    if not session.info.get(_PENDING):
        return
    statement = cast(ClauseElement, state.statement)
    tables = find_tables(statement, include_crud=True, include_joins=True, include_aliases=True)
    if any(getattr(t, "name", None) == _LINES.name for t in tables):
        _write_lines(session)


async def transcript(
    session: AsyncSession, conversation_id: int, after_id: int = 0, limit: int = 500
) -> list[TranscriptMessage]:
    rows = await session.execute(
        select(TranscriptMessage)
        .where(TranscriptMessage.conversation_id == conversation_id, TranscriptMessage.id > after_id)
        .order_by(TranscriptMessage.id)
        .limit(limit)
    )
    return list(rows.scalars())


async def conversation_id(session: AsyncSession, channel: str, user_id: str) -> int | None:
    row = await session.execute(
        select(Conversation.id).where(Conversation.channel == channel, Conversation.user_id == user_id)
    )
    found: int | None = row.scalar_one_or_none()
    return found


async def locale_of(session: AsyncSession, channel: str, user_id: str) -> str | None:
    """The conversation's language, if the conversation exists and it is known."""
    row = await session.execute(
        select(Conversation.locale).where(Conversation.channel == channel, Conversation.user_id == user_id)
    )
    found: str | None = row.scalar_one_or_none()
    return found


async def visible_transcript(
    session: AsyncSession, conversation_id: int, limit: int = 200
) -> list[TranscriptMessage]:
    """The last `limit` messages the customer sees (theirs, the bot's, the agents'), oldest first."""
    rows = await session.execute(
        select(TranscriptMessage)
        .where(
            TranscriptMessage.conversation_id == conversation_id,
            TranscriptMessage.author.in_(("customer", "bot", "agent")),
        )
        .order_by(TranscriptMessage.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows.scalars())))
