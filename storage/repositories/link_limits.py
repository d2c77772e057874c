"""Identity-check failures and locks, per booking reference and per source (keys are keyed hashes)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Booking, Conversation, LinkFailure, LinkLock
from storage.repositories.common import insert_for, is_postgres


def _active(now: dt.datetime) -> ColumnElement[bool]:
    return and_(LinkLock.locked_until > now, LinkLock.lifted_at.is_(None))


async def serialize(session: AsyncSession, *key_hashes: str) -> None:
    """Hold these keys until commit, so parallel attempts are counted one after another.

    Otherwise, on PostgreSQL, attempts in flight at once each count only their own failure and many
    slip past the limit together. Sorted, so two attempts never wait on each other in a cycle. SQLite
    needs nothing: its write transactions already run one at a time.
    """
    if not is_postgres(session):
        return
    for key in sorted(set(key_hashes)):
        # The first 63 bits of the (hex) hash: a signed bigint, as pg_advisory_xact_lock takes.
        await session.execute(select(func.pg_advisory_xact_lock(int(key[:16], 16) >> 1)))


async def active_lock(session: AsyncSession, kind: str, key_hash: str, now: dt.datetime) -> LinkLock | None:
    row = await session.execute(
        select(LinkLock).where(LinkLock.kind == kind, LinkLock.key_hash == key_hash, _active(now))
    )
    return row.scalar_one_or_none()


async def record_failure(
    session: AsyncSession, kind: str, key_hash: str, now: dt.datetime, window: dt.timedelta
) -> int:
    """Count one failure; return how many the key has had within `window` (this one included)."""
    session.add(LinkFailure(kind=kind, key_hash=key_hash, at=now))
    await session.flush()
    count = await session.execute(
        select(func.count())
        .select_from(LinkFailure)
        .where(LinkFailure.kind == kind, LinkFailure.key_hash == key_hash, LinkFailure.at > now - window)
    )
    return int(count.scalar_one())


async def clear_failures(session: AsyncSession, kind: str, key_hash: str) -> None:
    await session.execute(
        delete(LinkFailure).where(LinkFailure.kind == kind, LinkFailure.key_hash == key_hash)
    )


async def take_lock(
    session: AsyncSession,
    kind: str,
    key_hash: str,
    now: dt.datetime,
    until: dt.datetime,
    conversation_id: int | None,
    booking_id: int | None,
) -> LinkLock | None:
    """Lock the key, or None if it is locked already: only the writer that takes it opens a ticket."""
    values = {
        "locked_until": until,
        "locked_at": now,
        "conversation_id": conversation_id,
        "booking_id": booking_id,
        "ticket_id": None,
        "lifted_at": None,
        "lifted_by": None,
    }
    lock_id = (
        await session.execute(
            insert_for(session, LinkLock)
            .values(kind=kind, key_hash=key_hash, **values)
            .on_conflict_do_nothing(index_elements=["kind", "key_hash"])
            .returning(LinkLock.id)
        )
    ).scalar_one_or_none()
    if lock_id is None:
        # The row of an earlier lock: reused only once that lock has ended (expired or lifted).
        lock_id = (
            await session.execute(
                update(LinkLock)
                .where(
                    LinkLock.kind == kind,
                    LinkLock.key_hash == key_hash,
                    or_(LinkLock.locked_until <= now, LinkLock.lifted_at.is_not(None)),
                )
                .values(**values)
                .returning(LinkLock.id)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one_or_none()
    if lock_id is None:
        return None
    await clear_failures(session, kind, key_hash)
    return await session.get(LinkLock, lock_id, populate_existing=True)


async def booking_id_for(session: AsyncSession, reference: str) -> int | None:
    """The booking a normalized reference names, for the agents' view of a lock."""
    found = await session.execute(
        select(Booking.id)
        .where(func.upper(func.replace(Booking.reference, " ", "")) == reference)
        .order_by(Booking.id)
        .limit(1)
    )
    return found.scalar_one_or_none()


async def active_locks(session: AsyncSession, now: dt.datetime) -> list[tuple[LinkLock, str | None]]:
    """The locks in force, newest first, each with the reference of the booking it names (if any)."""
    rows = await session.execute(
        select(LinkLock, Booking.reference)
        .outerjoin(Booking, Booking.id == LinkLock.booking_id)
        .where(_active(now))
        .order_by(LinkLock.locked_at.desc(), LinkLock.id.desc())
    )
    return [(lock, reference) for lock, reference in rows.all()]


async def lift_lock(session: AsyncSession, lock_id: int, now: dt.datetime, actor: str) -> LinkLock | None:
    """End an active lock early, and forget its key's failures so the customer starts afresh."""
    lock = await session.get(LinkLock, lock_id, with_for_update=True)
    if lock is None or lock.lifted_at is not None or lock.locked_until <= now:
        return None
    lock.lifted_at, lock.lifted_by = now, actor[:300]
    await clear_failures(session, lock.kind, lock.key_hash)
    if lock.conversation_id is not None:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == lock.conversation_id)
            .values(link_locked_until=None, link_failures=0)
        )
    return lock
