from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import OutboxMessage
from storage.repositories.common import is_postgres


class Rendered(Protocol):
    """A rendered message (bot.replies.Rendered); storage only needs its JSON (storage imports no bot)."""

    def to_json(self) -> dict[str, Any]: ...


def enqueue(
    session: AsyncSession,
    *,
    conversation_id: int,
    channel: str,
    user_id: str,
    messages: Sequence[Rendered],
    source: str = "bot",
    reply_token: str | None = None,
    reply_token_expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> OutboxMessage:
    now = now or dt.datetime.now(dt.UTC)
    row = OutboxMessage(
        conversation_id=conversation_id,
        channel=channel,
        user_id=user_id,
        payload={"messages": [m.to_json() for m in messages]},
        parts_sent=0,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        idempotency_key=str(uuid.uuid4()),
        reply_token=reply_token,
        reply_token_expires_at=reply_token_expires_at,
        source=source,
        created_at=now,
    )
    session.add(row)
    return row


async def claim_due(
    session: AsyncSession, channels: Sequence[str], now: dt.datetime, limit: int, lease: dt.timedelta
) -> list[OutboxMessage]:
    """Claim deliverable rows: due, and the oldest undelivered row of their conversation.

    A row waiting for a retry holds back the later rows of its conversation (messages arrive in
    order) and nothing else. On PostgreSQL, SKIP LOCKED lets several workers claim side by side.
    """
    earlier = aliased(OutboxMessage)
    due = or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.locked_until < now),
    )
    blocked = exists().where(
        earlier.conversation_id == OutboxMessage.conversation_id,
        earlier.id < OutboxMessage.id,
        earlier.status.in_(("pending", "sending")),
    )
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.channel.in_(channels), due, ~blocked)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True, of=OutboxMessage)
    rows = list((await session.execute(stmt.execution_options(populate_existing=True))).scalars())
    for row in rows:
        row.status = "sending"
        row.locked_until = now + lease
        row.attempts += 1
    return rows


async def record_progress(session: AsyncSession, outbox_id: int, parts_sent: int) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.parts_sent < parts_sent)
        .values(parts_sent=parts_sent)
    )


async def mark_reply_attempt(session: AsyncSession, outbox_id: int, at: dt.datetime | None) -> None:
    """`at`: a reply with the row's token is about to leave; None: it certainly never left."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(reply_attempted_at=at)
    )


async def renew_lease(session: AsyncSession, outbox_ids: Sequence[int], until: dt.datetime) -> None:
    """Keep rows still being sent leased; only rows still 'sending' (a finished row stays finished)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(outbox_ids), OutboxMessage.status == "sending")
        .values(locked_until=until)
    )


async def cancel_pending(session: AsyncSession, conversation_id: int, reason: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.conversation_id == conversation_id, OutboxMessage.status.in_(("pending", "sending"))
        )
        .values(status="cancelled", last_error=reason[:500])
    )


async def sent_after(session: AsyncSession, conversation_id: int, after_id: int) -> list[OutboxMessage]:
    rows = await session.execute(
        select(OutboxMessage)
        .where(
            OutboxMessage.conversation_id == conversation_id,
            OutboxMessage.id > after_id,
            OutboxMessage.status == "sent",
        )
        .order_by(OutboxMessage.id)
    )
    return list(rows.scalars())


async def revive_dead(session: AsyncSession, outbox_id: int, now: dt.datetime) -> bool:
    """A dead row back to pending with a fresh attempt budget; False when it is not dead."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "dead")
        .values(
            status="pending",
            attempts=0,
            next_attempt_at=now,
            locked_until=None,
            last_error="retried at an agent's request",
        )
    )
    return bool(getattr(result, "rowcount", 0))
