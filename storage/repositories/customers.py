"""Customers: the console's search, and the one a chat identity links to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Booking, Customer
from storage.repositories.common import like_pattern


async def search_customers(
    session: AsyncSession, q: str, limit: int = 100, *, phone: str | None = None
) -> list[Customer]:
    """By name, e-mail, phone or booking reference; `phone` is the query read as a number (E.164), since
    phones are stored that way and an agent types them as the customer wrote them."""
    stmt = select(Customer).order_by(Customer.id.desc()).limit(limit)
    q = q.strip()
    if q:
        pattern = like_pattern(q)
        by_booking = select(Booking.customer_id).where(
            func.lower(Booking.reference).like(pattern, escape="\\")
        )
        stmt = stmt.where(
            or_(
                func.lower(Customer.full_name).like(pattern, escape="\\"),
                func.lower(Customer.email).like(pattern, escape="\\"),
                func.lower(Customer.phone).like(pattern, escape="\\"),
                Customer.phone == phone if phone else false(),
                Customer.id.in_(by_booking),
            )
        )
    return list((await session.execute(stmt)).scalars())


async def linkable(session: AsyncSession, reference: str, birth_date: dt.date) -> Customer | None:
    """The customer with this booking reference (any case) and birth date, unless anonymized."""
    row = await session.execute(
        select(Customer)
        .join(Booking, Booking.customer_id == Customer.id)
        .where(
            func.upper(Booking.reference) == reference.strip().upper(),
            Customer.birth_date == birth_date,
            Customer.anonymized_at.is_(None),
        )
        .limit(1)
    )
    return row.scalar_one_or_none()
