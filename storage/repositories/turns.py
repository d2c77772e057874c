"""A turn's writes at the end of its unit: the conversation's turn columns, the answer queued in the
outbox, and the unit's transcript lines (the customer's, and the bot's carrying the answer's row id).

On PostgreSQL they go as ONE statement, the unit's last before COMMIT:

    WITH saved AS (UPDATE conversations SET ... WHERE id = ...),
         queued AS (INSERT INTO outbox_messages ... SELECT ... RETURNING id, status),
         written AS (INSERT INTO transcript_messages (...)
                     SELECT ..., CASE WHEN lines.reply THEN (SELECT id FROM queued) ELSE ... END, ...
                     FROM unnest($1::BIGINT[], ...) AS lines(...))
    SELECT id, status FROM queued

Each statement is a round trip, and on PostgreSQL a round trip costs the process about as much CPU as
the server spends on the statement: with `arrivals`, a turn is BEGIN, two statements and COMMIT. The
sub-statements see one snapshot, and none reads what another writes (the lines take the answer's id
from its RETURNING), so together they write exactly what they write one after the other. The lines go
as one array per column with each value through its column's own bind processor, so they are stored
as the executemany stores them.

SQLite runs the statements one after the other (in-process, a statement costs microseconds), as does
PostgreSQL when a turn changed a column the turn's UPDATE does not cover (the ORM flushes it) or the
answer's IN list is too long to run on the cursor.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, Boolean, String, Table, bindparam, case, func, insert, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Conversation, TranscriptMessage
from storage.repositories import conversations, outbox
from storage.repositories.common import cursor_many, cursor_select, is_postgres
from storage.repositories.outbox import Enqueued, ReplyDraft

_LINES: Table = TranscriptMessage.__table__  # type: ignore[assignment]
_COLUMNS = conversations.LINE_COLUMNS
_IN_STEPS = object()


async def finish(
    session: AsyncSession,
    conversation: Conversation,
    reply: ReplyDraft | None = None,
    reply_lines: Sequence[tuple[str, dict[str, Any]]] = (),
) -> Enqueued | None:
    """Writes the turn: the conversation, `reply` (its outbox row) and the unit's transcript lines,
    with `reply_lines` (text, payload) as the bot's lines of that row. Returns the row written."""
    if reply is None or reply.on_cursor:
        one_hop = _at_once if is_postgres(session) else _in_one_hop
        done = await session.run_sync(one_hop, conversation, reply, reply_lines)
        if done is not _IN_STEPS:
            return done  # type: ignore[return-value]
    return await _in_steps(session, conversation, reply, reply_lines)


def _in_one_hop(
    session: Session,
    conversation: Conversation,
    reply: ReplyDraft | None,
    reply_lines: Sequence[tuple[str, dict[str, Any]]],
) -> Enqueued | object | None:
    """SQLite: `_in_steps`' statements (the answer, the lines, the conversation) from one hop into
    SQLAlchemy's sync layer instead of one per statement (a statement here takes microseconds)."""
    turn = conversations.TURN
    started = _covered(session, conversation)
    if started is None:
        return _IN_STEPS
    params, lines = started
    enqueued = None
    if reply is not None:
        (row,) = cursor_select(session, reply.statement, reply.params)
        enqueued = reply.enqueued(row)
        lines += _bot_lines(conversation.id, reply_lines, enqueued.id)
    cursor_many(session, turn.statement, [params])
    turn.saved(session, conversation, params)
    if lines:
        conversations.write_plain_lines(session, lines)
    return enqueued


def _covered(
    session: Session, conversation: Conversation
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The conversation UPDATE's parameters and the unit's pending lines, taken to be written by the
    caller; None when the ORM must write them (another column changed, a line waits for an outbox
    row still in the session)."""
    params = conversations.TURN.params(conversation)
    if params is None:
        return None
    lines = conversations.take_plain_lines(session)
    if lines is None:
        return None
    return params, lines


def _bot_lines(
    conversation_id: int, reply_lines: Sequence[tuple[str, dict[str, Any]]], outbox_id: int | None
) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC)
    return [
        {
            "conversation_id": conversation_id,
            "author": "bot",
            "text": text,
            "event_id": None,
            "payload": payload,
            "agent_id": None,
            "outbox_id": outbox_id,
            "created_at": now,
        }
        for text, payload in reply_lines
    ]


async def _in_steps(
    session: AsyncSession,
    conversation: Conversation,
    reply: ReplyDraft | None,
    reply_lines: Sequence[tuple[str, dict[str, Any]]],
) -> Enqueued | None:
    enqueued = None
    if reply is not None:
        enqueued = await outbox.run_draft(session, reply)
        for text, payload in reply_lines:
            conversations.add_transcript(
                session, conversation.id, "bot", text, payload=payload, outbox_id=enqueued.id
            )
    await conversations.save_turn(session, conversation)
    return enqueued


def _at_once(
    session: Session,
    conversation: Conversation,
    reply: ReplyDraft | None,
    reply_lines: Sequence[tuple[str, dict[str, Any]]],
) -> Enqueued | object | None:
    turn = conversations.TURN
    started = _covered(session, conversation)
    if started is None:
        return _IN_STEPS
    params, pending = started
    lines = [{**values, "reply": False} for values in pending]
    lines += [{**values, "reply": True} for values in _bot_lines(conversation.id, reply_lines, None)]
    if reply is None and not lines:
        turn.save(session, conversation)
        return None
    params.update(_arrays(session, lines))
    if reply is None:
        cursor_select(session, _turn_and_lines(), params)
        turn.saved(session, conversation, params)
        return None
    params.update(reply.params)
    (row,) = cursor_select(session, _turn_reply_and_lines(reply.statement), params)
    turn.saved(session, conversation, params)
    return reply.enqueued(row)


def _arrays(session: Session, lines: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The lines as one array per column, each value through its column's bind processor."""
    arrays: dict[str, list[Any]] = {}
    for name, process in zip(_COLUMNS, _processors(session.get_bind().dialect), strict=True):
        values = [line[name] for line in lines]
        arrays[f"l_{name}"] = [process(v) if process is not None and v is not None else v for v in values]
    arrays["l_reply"] = [line["reply"] for line in lines]
    return arrays


_PROCESSORS: dict[str, tuple[Any, ...]] = {}


def _processors(dialect: Any) -> tuple[Any, ...]:
    """The lines' columns' bind processors, found once per dialect (not per event)."""
    found = _PROCESSORS.get(dialect.name)
    if found is None:
        found = _PROCESSORS[dialect.name] = tuple(
            _LINES.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in _COLUMNS
        )
    return found


def _unnested() -> Any:
    """unnest($1::BIGINT[], ...) AS lines(conversation_id, ..., reply). The arrays carry values already
    processed (`_arrays`), so their types only name what PostgreSQL is sent; JSON goes as text, cast."""
    dialect = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]
    arrays: list[ColumnElement[Any]] = []
    for name in _COLUMNS:
        column_type = _LINES.c[name].type
        if name == "payload":
            arrays.append(sql_cast(bindparam("l_payload", type_=ARRAY(String())), ARRAY(column_type)))
        else:
            impl = column_type.dialect_impl(dialect)
            plain = getattr(impl, "impl", impl)  # a TypeDecorator's processing is done already
            arrays.append(bindparam(f"l_{name}", type_=ARRAY(plain)))
    arrays.append(bindparam("l_reply", type_=ARRAY(Boolean())))
    return func.unnest(*arrays).table_valued(*_COLUMNS, "reply").render_derived(name="lines")


@functools.cache
def _turn_and_lines() -> Any:
    lines = _unnested()
    return (
        insert(_LINES)
        .from_select(list(_COLUMNS), select(*(lines.c[n] for n in _COLUMNS)))
        .add_cte(conversations.TURN.statement.cte("saved"))
    )


@functools.cache
def _turn_reply_and_lines(reply_statement: Any) -> Any:
    """Per variant of the answer's INSERT (outbox.reply_draft builds each once)."""
    queued = reply_statement.cte("queued")
    lines = _unnested()
    outbox_id = case((lines.c.reply, select(queued.c.id).scalar_subquery()), else_=lines.c.outbox_id)
    written = (
        insert(_LINES)
        .from_select(
            list(_COLUMNS), select(*(outbox_id if n == "outbox_id" else lines.c[n] for n in _COLUMNS))
        )
        .cte("written")
    )
    return (
        select(queued.c.id, queued.c.status)
        .add_cte(conversations.TURN.statement.cte("saved"))
        .add_cte(written)
    )
