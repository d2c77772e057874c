"""Admin-edited texts (payment instructions, canned replies) per key and locale."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SettingText


async def text(session: AsyncSession, key: str, locale: str) -> str | None:
    row = await session.execute(
        select(SettingText.text).where(SettingText.key == key, SettingText.locale == locale)
    )
    return row.scalar_one_or_none()


async def all_texts(
    session: AsyncSession, prefix: str | None = None, locale: str | None = None
) -> list[SettingText]:
    stmt = select(SettingText).order_by(SettingText.key, SettingText.locale)
    if prefix:
        stmt = stmt.where(SettingText.key.startswith(prefix))
    if locale:
        stmt = stmt.where(SettingText.locale == locale)
    return list((await session.execute(stmt)).scalars())


async def set_text(
    session: AsyncSession, key: str, locale: str, text: str, agent_id: int
) -> SettingText | None:
    """Create, update, or (empty text) delete one text. Returns the row, None when deleted."""
    row = (
        await session.execute(select(SettingText).where(SettingText.key == key, SettingText.locale == locale))
    ).scalar_one_or_none()
    now = dt.datetime.now(dt.UTC)
    if not text.strip():
        if row is not None:
            await session.delete(row)
        return None
    if row is None:
        row = SettingText(key=key, locale=locale, text=text, updated_at=now, updated_by=agent_id)
        session.add(row)
    else:
        row.text, row.updated_at, row.updated_by = text, now, agent_id
    return row
