from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxEvent
from storage.repositories.common import built, first_rows, insert_of

_T: Table = InboxEvent.__table__  # type: ignore[assignment]


def store_statement(dialect: str) -> Any:
    return (
        insert_of(dialect, _T)
        .values(
            channel=bindparam("channel"),
            event_id=bindparam("event_id"),
            kind=bindparam("kind"),
            received_at=bindparam("received_at"),
            stored_at=bindparam("stored_at"),
            read_token=bindparam("read_token"),
        )
        .on_conflict_do_nothing(index_elements=["channel", "event_id"])
        .returning(_T.c.id)
    )


async def store_once(
    session: AsyncSession,
    channel: str,
    event_id: str,
    kind: str,
    received_at: dt.datetime,
    read_token: str | None = None,
) -> int | None:
    """Store the event; None when (channel, event_id) is already there (a duplicate).

    `read_token`: LINE's markAsReadToken, kept so an agent's reading can mark the message read later.
    A Core statement, the hot path's first (`first_rows`), no ORM around it.
    """
    params = {
        "channel": channel,
        "event_id": event_id,
        "kind": kind,
        "received_at": received_at,
        "stored_at": dt.datetime.now(dt.UTC),
        "read_token": read_token,
    }
    rows = await first_rows(session, built(session, "inbox.store", store_statement), params)
    return int(rows[0].id) if rows else None
