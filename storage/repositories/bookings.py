"""Bookings: a customer's, by reference, the console's search."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Booking
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


async def by_reference(session: AsyncSession, reference: str) -> Booking | None:
    row = await session.execute(
        select(Booking).where(func.upper(Booking.reference) == reference.strip().upper())
    )
    return row.scalar_one_or_none()


async def by_references(session: AsyncSession, references: Sequence[str]) -> list[Booking]:
    rows = await session.execute(select(Booking).where(Booking.reference.in_(references)))
    return list(rows.scalars())
