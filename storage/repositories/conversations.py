from __future__ import annotations

import contextlib
import datetime as dt
import weakref
from typing import Any, cast

from sqlalchemy import LABEL_STYLE_TABLENAME_PLUS_COL, Select, Table, and_, bindparam, event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from storage.models import ChannelIdentity, Conversation, OutboxMessage, TranscriptMessage
from storage.repositories import hotrows
from storage.repositories.common import built, cursor_many, cursor_select, insert_for, is_postgres


def _identity(_dialect: str) -> Select[ChannelIdentity]:
    return select(ChannelIdentity).where(
        ChannelIdentity.channel == bindparam("channel"), ChannelIdentity.user_id == bindparam("user_id")
    )


def _conversation(dialect: str) -> Select[Conversation]:
    stmt = select(Conversation).where(
        Conversation.channel == bindparam("channel"), Conversation.user_id == bindparam("user_id")
    )
    if dialect == "postgresql":
        stmt = stmt.with_for_update()
    return stmt.execution_options(populate_existing=True)


_IDENTITIES: Table = ChannelIdentity.__table__  # type: ignore[assignment]
_CONVERSATIONS: Table = Conversation.__table__  # type: ignore[assignment]


def both_statement(dialect: str) -> Select[Any]:
    """The identity joined to its conversation by (channel, user_id), the conversation FOR UPDATE on
    PostgreSQL; columns labelled table_column, the identity's first (see `placed_both`)."""
    i, c = _IDENTITIES, _CONVERSATIONS
    stmt = (
        select(*i.c, *c.c)
        .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL)
        .join_from(i, c, and_(c.c.channel == i.c.channel, c.c.user_id == i.c.user_id))
        .where(i.c.channel == bindparam("channel"), i.c.user_id == bindparam("user_id"))
    )
    if dialect == "postgresql":
        stmt = stmt.with_for_update(of=c)
    return stmt


def placed_both(
    session: Session, stmt: Select[Any], channel: str, user_id: str
) -> tuple[ChannelIdentity, Conversation] | None:
    rows = cursor_select(session, stmt, {"channel": channel, "user_id": user_id})
    if not rows:
        return None
    dialect = session.get_bind().dialect
    identity_shape = hotrows.shape(dialect, ChannelIdentity)
    n = len(identity_shape.keys)
    identity = hotrows.place(session, identity_shape, rows[0][:n])
    conversation = hotrows.place(session, hotrows.shape(dialect, Conversation), rows[0][n:])
    return identity, conversation


async def identity_and_conversation(
    session: AsyncSession, channel: str, user_id: str
) -> tuple[ChannelIdentity, Conversation]:
    """The customer's identity and their conversation, locked as `lock_conversation` locks it.

    A known customer (the common case) takes one statement for both, on the DBAPI cursor
    (storage.repositories.hotrows), so not as a unit's first statement; a new one is created by
    `identity_for` and `lock_conversation`.
    """
    stmt = built(session, "conversations.both", both_statement)
    found = await session.run_sync(placed_both, stmt, channel, user_id)
    if found is not None:
        return found
    identity = await identity_for(session, channel, user_id)
    return identity, await lock_conversation(session, channel, user_id, identity.id)


# The columns a turn changes (bot.engine); anything else it changed is flushed by the ORM as usual.
TURN = hotrows.Saver.of(
    Conversation,
    ("mode", "stack", "version", "locale", "locale_source", "last_event_at"),
    stamp="updated_at",
)


async def save_turn(session: AsyncSession, conversation: Conversation) -> None:
    """Writes what the turn changed of the conversation now, in one UPDATE built once (the engine
    writes a turn with its answer and lines through storage.repositories.turns)."""
    await session.run_sync(TURN.save, conversation)


async def identity_for(session: AsyncSession, channel: str, user_id: str) -> ChannelIdentity:
    stmt = built(session, "conversations.identity", _identity)
    key = {"channel": channel, "user_id": user_id}
    found = (await session.execute(stmt, key)).scalar_one_or_none()
    if found is not None:
        return found
    await session.execute(
        insert_for(session, ChannelIdentity)
        .values(channel=channel, user_id=user_id, created_at=dt.datetime.now(dt.UTC))
        .on_conflict_do_nothing(index_elements=["channel", "user_id"])
    )
    return (await session.execute(stmt, key)).scalar_one()


async def lock_conversation(
    session: AsyncSession, channel: str, user_id: str, identity_id: int
) -> Conversation:
    """The conversation row, created if new, locked FOR UPDATE on PostgreSQL (ordering across processes).

    On SQLite the write transaction itself (BEGIN IMMEDIATE) already serializes writers.
    """
    stmt = built(session, "conversations.lock", _conversation)
    key = {"channel": channel, "user_id": user_id}
    # The common case is a known conversation: one statement. New ones are inserted race-free below.
    found = (await session.execute(stmt, key)).scalar_one_or_none()
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
    return (await session.execute(stmt, key)).scalar_one()


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
LINE_COLUMNS = (
    "conversation_id", "author", "text", "event_id", "payload", "agent_id", "outbox_id", "created_at"
)  # fmt: skip
_INSERT_LINES = insert(_LINES).values(
    {name: bindparam(name, type_=_LINES.c[name].type) for name in LINE_COLUMNS}
)


def _write_lines(session: Session) -> None:
    pending: list[tuple[dict[str, Any], OutboxMessage | None]] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    if any(o is not None and o.id is None for _, o in pending):
        session.flush()
    write_plain_lines(session, [{**v, "outbox_id": o.id} if o is not None else v for v, o in pending])


def write_plain_lines(session: Session, rows: list[dict[str, Any]]) -> None:
    """Lines (values by LINE_COLUMNS) inserted now.

    On the unit's DBAPI cursor: nothing of the ORM or of SQLAlchemy's execution is needed for an
    executemany of plain rows, written after the unit's other statements. (One INSERT of n rows
    instead cost more CPU on PostgreSQL, whose driver pipelines an executemany.)"""
    cursor_many(session, _INSERT_LINES, rows)


def take_plain_lines(session: Session) -> list[dict[str, Any]] | None:
    """The unit's pending lines (values by LINE_COLUMNS), taken off the buffer to be written by the
    caller; None (left pending) when one of them waits for an outbox row still in the session."""
    pending: list[tuple[dict[str, Any], OutboxMessage | None]] = session.info.get(_PENDING) or []
    if any(o is not None for _, o in pending):
        return None
    session.info.pop(_PENDING, None)
    return [values for values, _ in pending]


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
    if _touches_lines(statement):
        _write_lines(session)


# Whether a statement reads or writes transcript lines, remembered per statement object: walking a
# statement's tree costs as much as running it, and the hot path's statements are built once.
_TOUCHES: weakref.WeakKeyDictionary[ClauseElement, bool] = weakref.WeakKeyDictionary()


def _touches_lines(statement: ClauseElement) -> bool:
    try:
        return _TOUCHES[statement]
    except (KeyError, TypeError):
        pass
    tables = find_tables(statement, include_crud=True, include_joins=True, include_aliases=True)
    touches = any(getattr(t, "name", None) == _LINES.name for t in tables)
    with contextlib.suppress(TypeError):
        _TOUCHES[statement] = touches
    return touches


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
