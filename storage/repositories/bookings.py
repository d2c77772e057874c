"""Bookings: a customer's, by reference, the console's search."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Booking, Request
from storage.repositories.common import like_pattern


async def search(session: AsyncSession, q: str, status: str = "", limit: int = 200) -> list[Booking]:
    stmt = select(Booking).order_by(Booking.service_at.desc(), Booking.id.desc()).limit(limit)
    q = q.strip()
    if q:
        pattern = like_pattern(q)
        stmt = stmt.where(
            or_(
                func.lower(Booking.reference).like(pattern, escape="\\"),
                func.lower(Booking.clinic).like(pattern, escape="\\"),
            )
        )
    if status:
        stmt = stmt.where(Booking.status == status)
    return list((await session.execute(stmt)).scalars())


async def of_customer(session: AsyncSession, customer_id: int) -> list[Booking]:
    rows = await session.execute(
        select(Booking).where(Booking.customer_id == customer_id).order_by(Booking.service_at, Booking.id)
    )
    return list(rows.scalars())


async def cancellations_waiting(session: AsyncSession, booking_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """Booking id -> when its cancellation was asked, for those whose request the team has not
    answered yet."""
    if not booking_ids:
        return {}
    rows = await session.execute(
        select(Request.booking_id, func.min(Request.requested_at))
        .where(
            Request.booking_id.in_(booking_ids),
            Request.kind == "cancellation",
            Request.status == "filed",
        )
        .group_by(Request.booking_id)
    )
    return {int(booking_id): at for booking_id, at in rows if booking_id is not None}


async def by_reference(session: AsyncSession, reference: str) -> Booking | None:
    row = await session.execute(
        select(Booking).where(func.upper(Booking.reference) == reference.strip().upper())
    )
    return row.scalar_one_or_none()


async def by_references(session: AsyncSession, references: Sequence[str]) -> list[Booking]:
    rows = await session.execute(select(Booking).where(Booking.reference.in_(references)))
    return list(rows.scalars())
