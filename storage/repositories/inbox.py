from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxEvent
from storage.repositories.common import insert_for


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
    """
    stmt = (
        insert_for(session, InboxEvent)
        .values(
            channel=channel,
            event_id=event_id,
            kind=kind,
            received_at=received_at,
            read_token=read_token,
            stored_at=dt.datetime.now(dt.UTC),
        )
        .on_conflict_do_nothing(index_elements=["channel", "event_id"])
        .returning(InboxEvent.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
