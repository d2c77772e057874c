"""Requests a customer filed for a person to confirm (cancellation, change, late notice, ...)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Request
from storage.repositories.common import insert_for


async def file_once(
    session: AsyncSession,
    *,
    conversation_id: int,
    customer_id: int | None,
    booking_id: int | None,
    kind: str,
    details: dict[str, Any],
    fee_jpy: int | None,
    dedupe_key: str,
    now: dt.datetime,
) -> int | None:
    """File a request once per dedupe key: the new request's id, or None when it was filed before."""
    result = await session.execute(
        insert_for(session, Request)
        .values(
            conversation_id=conversation_id,
            customer_id=customer_id,
            booking_id=booking_id,
            kind=kind,
            status="filed",
            details=details,
            fee_jpy=fee_jpy,
            dedupe_key=dedupe_key[:96],
            requested_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Request.id)
    )
    found: int | None = result.scalar_one_or_none()
    return found
