"""Customers: the console's search, and the one a chat identity links to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import Booking, Customer
from storage.repositories.common import like_pattern

# What customers type between the parts of a reference, or that NFKC leaves there.
_SEPARATORS = ("-", " ", "_", "/", ".")


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


def compact_reference(column: InstrumentedAttribute[str]) -> ColumnElement[str]:
    """A stored reference upper case, without its separators (the same in SQLite and PostgreSQL)."""
    stripped: ColumnElement[str] = func.upper(column)
    for sep in _SEPARATORS:
        stripped = func.replace(stripped, sep, "")
    return stripped


def compact_reference_text(reference: str) -> str:
    """What was typed, compared the same way as `compact_reference`."""
    return "".join(ch for ch in reference.upper() if ch not in _SEPARATORS)


async def linkable(session: AsyncSession, reference: str, birth_date: dt.date) -> Customer | None:
    """The customer with this booking reference and birth date, unless anonymized. References compare
    without case, hyphens or spaces: "h3 en01", "H3EN01" and "H3-EN01" name the same booking."""
    row = await session.execute(
        select(Customer)
        .join(Booking, Booking.customer_id == Customer.id)
        .where(
            compact_reference(Booking.reference) == compact_reference_text(reference),
            Customer.birth_date == birth_date,
            Customer.anonymized_at.is_(None),
        )
        .limit(1)
    )
    return row.scalar_one_or_none()
