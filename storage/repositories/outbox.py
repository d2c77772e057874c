"""The outbox: rows written with the answer they carry, claimed, sent and marked by the delivery worker.

Hot-path statements are Core (no ORM unit of work), and each does its work in one round trip:
`reply_draft`'s INSERT inserts and, when nothing earlier of the conversation is undelivered, leases the row to
the inserting process in the same INSERT (the delivery worker gets it handed over without a claim);
`mark_sent` marks a whole batch in one UPDATE.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    Integer,
    Table,
    and_,
    bindparam,
    case,
    exists,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import ChannelIdentity, OutboxMessage
from storage.repositories.common import built, core_rows, cursor_rows, first_rows

_T: Table = OutboxMessage.__table__  # type: ignore[assignment]
UNDELIVERED = ("pending", "sending")


def undelivered(status: Any) -> Any:
    """status IN ('pending', 'sending'), the statuses rendered into the SQL (our own constants): the
    condition of the partial index ix_outbox_undelivered, which a bound parameter would not match."""
    return status.in_([literal_column(f"'{s}'") for s in UNDELIVERED])


@dataclass(frozen=True, slots=True)
class Enqueued:
    """A row `reply_draft`'s INSERT wrote. `claimed`: leased to the caller (status 'sending', attempt 1), to be
    sent by this process now; otherwise 'pending' behind an earlier row, for the worker's next claim."""

    id: int
    claimed: bool
    idempotency_key: str
    created_at: dt.datetime
    # The reply attempt is already recorded on the row (see claim_due and ADR 0001).
    reply_marked: bool


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


@dataclass(frozen=True, slots=True)
class ReplyDraft:
    """The answer's INSERT, ready to run (`run_draft`, or inside storage.repositories.turns): its variant's statement and its parameters."""

    statement: Any
    params: dict[str, Any]
    on_cursor: bool  # False: an IN list of unbounded size, left to SQLAlchemy to expand
    idempotency_key: str
    created_at: dt.datetime
    mark: bool

    def enqueued(self, row: Any) -> Enqueued:
        claimed = row.status == "sending"
        return Enqueued(row.id, claimed, self.idempotency_key, self.created_at, self.mark and claimed)


def reply_draft(
    session: AsyncSession,
    *,
    conversation_id: int,
    channel: str,
    user_id: str,
    messages: Sequence[Rendered],
    reply_token: str | None,
    reply_token_expires_at: dt.datetime | None,
    lease_until: dt.datetime | None,
    now: dt.datetime | None = None,
    delivered: Sequence[int] = (),
) -> ReplyDraft:
    """The bot's answer to an event as ONE statement (INSERT ... SELECT ... RETURNING id, status).

    With `lease_until`, the row is inserted already claimed unless an earlier row of the conversation
    is still undelivered (then it waits its turn as 'pending'): the caller holds the conversation lock,
    so no earlier row can appear meanwhile. `delivered`: this conversation's rows the caller knows went
    out (their "sent" mark is still being committed). A claimed row with a reply token carries the reply-attempt
    mark from the start, as claim_due would set it, so the send needs no commit of its own.
    """
    now = now or dt.datetime.now(dt.UTC)
    key = str(uuid.uuid4())
    claim = lease_until is not None
    mark = claim and reply_token is not None
    params: dict[str, Any] = {
        "conversation_id": conversation_id,
        "channel": channel,
        "user_id": user_id,
        "payload": {"messages": [m.to_json() for m in messages]},
        "now": now,
        "lease_until": lease_until,
        "idempotency_key": key,
        "reply_token": reply_token,
        "reply_token_expires_at": reply_token_expires_at,
    }
    slots = _delivered_slots(len(delivered)) if claim else 0
    if slots > 0:
        # Padded with 0, which no row has: one statement per size, run on the cursor as it is.
        params.update({f"d{i}": oid for i, oid in enumerate(delivered)})
        params.update({f"d{i}": 0 for i in range(len(delivered), slots)})
    elif slots < 0:
        params["delivered"] = list(delivered)
    variant = (claim, mark, slots)
    stmt = built(session, f"outbox.enqueue_reply{variant}", lambda _d: _enqueue_reply(*variant))
    return ReplyDraft(stmt, params, slots >= 0, key, now, mark)


async def run_draft(session: AsyncSession, draft: ReplyDraft) -> Enqueued:
    """Runs `reply_draft`'s INSERT now (never a unit's first statement: the inbox and the
    conversation come first, so on the cursor unless its IN list is left to SQLAlchemy)."""
    run = cursor_rows if draft.on_cursor else core_rows
    (row,) = await run(session, draft.statement, draft.params)
    return draft.enqueued(row)


_SLOTS = (4, 32)  # sizes of the delivered-rows IN list built with fixed parameters


def _delivered_slots(n: int) -> int:
    """0: no list; a size from _SLOTS to pad it to; -1: longer, expanded by SQLAlchemy."""
    if n == 0:
        return 0
    return next((size for size in _SLOTS if n <= size), -1)


def _enqueue_reply(claim: bool, mark: bool, slots: int) -> Any:
    """reply_draft's INSERT ... SELECT ... RETURNING, built once per variant with bind parameters."""

    def bound(name: str, column: str) -> Any:
        return bindparam(name, type_=_T.c[column].type)

    conversation_id = bound("conversation_id", "conversation_id")
    earlier = exists().where(
        _T.c.conversation_id == conversation_id,
        # Rendered into the SQL (our own constants): the statement then runs on the cursor as it is.
        undelivered(_T.c.status),
        # Rows the caller's worker has already delivered and not yet marked sent do not hold it back.
        *([_T.c.id.not_in([bound(f"d{i}", "id") for i in range(slots)])] if slots > 0 else []),
        *([_T.c.id.not_in(bindparam("delivered", expanding=True))] if slots < 0 else []),
    )
    flag = select((earlier if claim else literal(True)).label("blocked")).subquery()
    blocked = flag.c.blocked
    when = bound("now", "created_at")
    values = {
        "conversation_id": conversation_id,
        "channel": bound("channel", "channel"),
        "user_id": bound("user_id", "user_id"),
        "payload": bound("payload", "payload"),
        "parts_sent": literal(0),
        "status": case((blocked, literal("pending")), else_=literal("sending")),
        "attempts": case((blocked, literal(0)), else_=literal(1)),
        "next_attempt_at": when,
        "locked_until": case((blocked, None), else_=bound("lease_until", "locked_until")),
        "idempotency_key": bound("idempotency_key", "idempotency_key"),
        "reply_token": bound("reply_token", "reply_token"),
        "reply_token_expires_at": bound("reply_token_expires_at", "reply_token_expires_at"),
        "reply_attempted_at": case((blocked, None), else_=when)
        if mark
        else literal(None, _T.c.created_at.type),
        "source": literal("bot"),
        "created_at": when,
    }
    return (
        insert(_T)
        .from_select(list(values), select(*values.values()).select_from(flag))
        .returning(_T.c.id, _T.c.status)
    )


async def claim_due(
    session: AsyncSession, channels: Sequence[str], now: dt.datetime, limit: int, lease: dt.timedelta
) -> list[OutboxMessage]:
    return [row for row, _ in await claim_due_marked(session, channels, now, limit, lease)]


async def claim_due_marked(
    session: AsyncSession, channels: Sequence[str], now: dt.datetime, limit: int, lease: dt.timedelta
) -> list[tuple[OutboxMessage, bool]]:
    """Claim deliverable rows: due, and the oldest undelivered row of their conversation.

    A row waiting for a retry holds back the later rows of its conversation (messages arrive in
    order) and nothing else. On PostgreSQL, SKIP LOCKED lets several workers claim side by side.
    """
    stmt = built(session, "outbox.claim", _claim_statement)
    params = {"channels": list(channels), "now": now, "limit": limit}
    rows = list((await session.execute(stmt, params)).scalars())
    claimed = []
    for row in rows:
        row.status = "sending"
        row.locked_until = now + lease
        row.attempts += 1
        marked = will_reply(row, now)
        if marked:
            # The reply-attempt mark (ADR 0001) rides in the claim's commit instead of a commit per send.
            row.reply_attempted_at = now
        claimed.append((row, marked))
    return claimed


def _claim_statement(dialect: str) -> Any:
    """claim_due_marked's SELECT, built once per dialect (the delivery worker claims many times a
    second under load), with the channels, the time and the limit as parameters."""
    earlier = aliased(OutboxMessage)
    now = bindparam("now", type_=OutboxMessage.__table__.c.next_attempt_at.type)
    due = or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.locked_until < now),
    )
    blocked = exists().where(
        earlier.conversation_id == OutboxMessage.conversation_id,
        earlier.id < OutboxMessage.id,
        undelivered(earlier.status),
    )
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.channel.in_(bindparam("channels", expanding=True)), due, ~blocked)
        .order_by(OutboxMessage.id)
        .limit(bindparam("limit", type_=Integer))
        .execution_options(populate_existing=True)
    )
    if dialect == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=OutboxMessage)
    return stmt


# The sender uses a reply token only with this much life left (bot.handlers.line.sender agrees).
REPLY_TOKEN_MARGIN = dt.timedelta(seconds=2)


def will_reply(row: OutboxMessage, now: dt.datetime) -> bool:
    """This attempt's first request is a reply with the row's token (a fresh bot answer, never tried)."""
    if row.source != "bot" or row.parts_sent or not row.reply_token or row.reply_attempted_at is not None:
        return False
    expires = row.reply_token_expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.UTC)
    return expires is None or now < expires - REPLY_TOKEN_MARGIN


async def mark_sent(session: AsyncSession, sent: Sequence[tuple[int, int]], now: dt.datetime) -> None:
    """Many rows sent, in one executemany: (outbox id, parts sent) each."""
    if not sent:
        return
    stmt = built(session, "outbox.mark_sent", lambda _d: _mark_sent())
    # The unit's first statement (`first_rows`). In id order, as renew_lease, so that the two never
    # deadlock on the same rows.
    rows = [{"oid": oid, "parts": parts, "now": now} for oid, parts in sorted(sent)]
    await first_rows(session, stmt, rows)


def _mark_sent() -> Any:
    return (
        update(_T)
        # Only rows still out: one an agent or an unfollow settled meanwhile keeps that outcome.
        .where(_T.c.id == bindparam("oid", type_=_T.c.id.type), _T.c.status == literal_column("'sending'"))
        .values(
            status=literal_column("'sent'"),
            parts_sent=bindparam("parts", type_=_T.c.parts_sent.type),
            sent_at=bindparam("now", type_=_T.c.sent_at.type),
            last_error=None,
            locked_until=None,
        )
    )


async def get(session: AsyncSession, outbox_id: int) -> OutboxMessage | None:
    return await session.get(OutboxMessage, outbox_id)


async def mark_unreachable(session: AsyncSession, row: OutboxMessage, error: str, now: dt.datetime) -> None:
    """The customer blocked us: this row dead, the identity unreachable, nothing more queued for them."""
    row.status, row.last_error, row.locked_until = "dead", f"unreachable: {error}"[:500], None
    await session.execute(
        update(ChannelIdentity)
        .where(ChannelIdentity.channel == row.channel, ChannelIdentity.user_id == row.user_id)
        .values(unreachable_at=now)
    )
    await cancel_pending(session, row.conversation_id, "customer unreachable", keep=row.id)


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
    """Keep rows still being sent leased; only rows still 'sending' (a finished row stays finished).

    Row by row in id order, as mark_sent: two units locking the same rows always lock them in the same
    order, so a renewal and a "sent" mark never deadlock (an UPDATE ... IN locks in its plan's order).
    """
    stmt = built(session, "outbox.renew_lease", lambda _d: _renew_lease())
    await first_rows(session, stmt, [{"oid": oid, "until": until} for oid in sorted(outbox_ids)])


def _renew_lease() -> Any:
    return (
        update(_T)
        .where(_T.c.id == bindparam("oid", type_=_T.c.id.type), _T.c.status == literal_column("'sending'"))
        .values(locked_until=bindparam("until", type_=_T.c.locked_until.type))
    )


async def cancel_pending(
    session: AsyncSession, conversation_id: int, reason: str, *, keep: int | None = None
) -> None:
    """The conversation's undelivered rows cancelled, but `keep` (a row the caller is settling).

    Rare, so the statuses stay bound parameters: SQLAlchemy then evaluates the condition on the rows
    in the session, and leaves alone a row whose status the caller changed but has not flushed."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.conversation_id == conversation_id,
            OutboxMessage.status.in_(UNDELIVERED),
            *([OutboxMessage.id != keep] if keep is not None else []),
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
