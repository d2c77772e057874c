"""An event's arrival: stored once in the inbox, and its customer's identity and conversation loaded
and locked — on PostgreSQL in one statement, the unit's first.

Every event starts the same way: the inbox INSERT (None for a redelivery) and the identity and
conversation (the conversation FOR UPDATE, so the processes that share the database take a
conversation's events one at a time). On PostgreSQL each statement is a round trip, and a round trip
costs the process about as much CPU as the statement costs the server: the INSERT rides in a
data-modifying CTE of the SELECT, one round trip where there were two. The SELECT still sees the
inbox as it was before the statement, which is all it needs; a duplicate still locks the
conversation, until its unit (which writes nothing else) commits at once.

SQLite has no data-modifying CTE, and its statements run in microseconds in-process: the two
statements as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, bindparam, literal_column, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.models import ChannelIdentity, Conversation, InboxEvent
from storage.repositories import conversations, hotrows, inbox
from storage.repositories.common import built, core_rows, cursor_select, is_postgres

_INBOX: Table = InboxEvent.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Arrival:
    inbox_id: int
    identity: ChannelIdentity
    conversation: Conversation


async def arrive(
    session: AsyncSession,
    *,
    channel: str,
    user_id: str,
    event_id: str,
    kind: str,
    received_at: dt.datetime,
    read_token: str | None = None,
) -> Arrival | None:
    """The event stored, with its customer's identity and conversation (locked as
    `conversations.lock_conversation` locks it; created for a new customer); None for a duplicate.
    Meant as the unit's first statement."""
    params = {
        "channel": channel,
        "user_id": user_id,
        "event_id": event_id,
        "kind": kind,
        "received_at": received_at,
        "stored_at": dt.datetime.now(dt.UTC),
        "read_token": read_token,
    }
    if not is_postgres(session):
        return await _arrive_on_sqlite(session, params)
    # Through SQLAlchemy, not the cursor: the first statement of a unit is the one that meets a
    # connection the server dropped, and SQLAlchemy's handling of that is what bot.engine relies on.
    (row,) = await core_rows(session, built(session, "arrivals.arrive", _arrive), params)
    if row[0] is None:
        return None
    found = await session.run_sync(_placed, tuple(row))
    if found is None:  # a new customer: no identity or conversation yet
        identity = await conversations.identity_for(session, channel, user_id)
        conv = await conversations.lock_conversation(session, channel, user_id, identity.id)
        return Arrival(row[0], identity, conv)
    return Arrival(row[0], *found)


async def _arrive_on_sqlite(session: AsyncSession, params: dict[str, Any]) -> Arrival | None:
    """The inbox INSERT, then the identity and conversation SELECT, from one hop into SQLAlchemy's
    sync layer; on the cursor both (no server can drop a SQLite connection: `common.first_rows`)."""
    store = built(session, "inbox.store", inbox.store_statement)
    both = built(session, "conversations.both", conversations.both_statement)
    stored = await session.run_sync(_stored_and_placed, store, both, params)
    if stored is None:
        return None
    inbox_id, found = stored
    if found is None:  # a new customer
        channel, user_id = params["channel"], params["user_id"]
        identity = await conversations.identity_for(session, channel, user_id)
        conv = await conversations.lock_conversation(session, channel, user_id, identity.id)
        return Arrival(inbox_id, identity, conv)
    return Arrival(inbox_id, *found)


def _stored_and_placed(
    session: Session, store: Any, both: Any, params: dict[str, Any]
) -> tuple[int, tuple[ChannelIdentity, Conversation] | None] | None:
    rows = cursor_select(session, store, params)  # the INSERT takes the names it has
    if not rows:
        return None  # a duplicate
    return int(rows[0].id), conversations.placed_both(session, both, params["channel"], params["user_id"])


def _placed(session: Session, row: tuple[Any, ...]) -> tuple[ChannelIdentity, Conversation] | None:
    if row[1] is None:
        return None
    dialect = session.get_bind().dialect
    identity_shape = hotrows.shape(dialect, ChannelIdentity)
    n = len(identity_shape.keys)
    # SQLAlchemy ran their result processors already (the statement went through core_rows).
    identity = hotrows.place(session, identity_shape, row[1 : 1 + n], processed=True)
    conversation = hotrows.place(session, hotrows.shape(dialect, Conversation), row[1 + n :], processed=True)
    return identity, conversation


def _arrive(dialect: str) -> Select[Any]:
    """WITH arrived AS (INSERT INTO inbox_events ... ON CONFLICT DO NOTHING RETURNING id)
    SELECT (SELECT id FROM arrived), hot.* FROM (SELECT 1) AS one
    LEFT JOIN (identity JOIN conversation ... FOR UPDATE OF conversations) AS hot ON true

    Always one row: the inbox id (NULL for a duplicate), then the identity's and the conversation's
    columns (NULL for a customer not seen before)."""
    assert dialect == "postgresql"
    arrived = (
        postgresql.insert(_INBOX)
        .values(
            channel=bindparam("channel"),
            event_id=bindparam("event_id"),
            kind=bindparam("kind"),
            received_at=bindparam("received_at"),
            stored_at=bindparam("stored_at"),
            read_token=bindparam("read_token"),
        )
        .on_conflict_do_nothing(index_elements=["channel", "event_id"])
        .returning(_INBOX.c.id)
        .cte("arrived")
    )
    hot = conversations.both_statement(dialect).subquery("hot")
    one = select(literal_column("1").label("one")).subquery("one")
    return (
        select(select(arrived.c.id).scalar_subquery().label("inbox_id"), *hot.c)
        .select_from(one.outerjoin(hot, true()))
        .add_cte(arrived)
    )
