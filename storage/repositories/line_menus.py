"""LINE rich menus: the menu of each language, and which menu each LINE user was last linked to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LineMenuLink, LineRichMenu
from storage.repositories.common import insert_for


async def menus(session: AsyncSession) -> dict[str, LineRichMenu]:
    rows = (await session.execute(select(LineRichMenu))).scalars().all()
    return {row.locale: row for row in rows}


async def save_menu(
    session: AsyncSession, locale: str, rich_menu_id: str, digest: str, now: dt.datetime
) -> None:
    stmt = insert_for(session, LineRichMenu).values(
        locale=locale, rich_menu_id=rich_menu_id, digest=digest, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["locale"], set_={"rich_menu_id": rich_menu_id, "digest": digest, "updated_at": now}
    )
    await session.execute(stmt)


async def menu_ids(session: AsyncSession) -> dict[str, str]:
    """The rich menu id of each language that has one."""
    rows = (await session.execute(select(LineRichMenu.locale, LineRichMenu.rich_menu_id))).all()
    return {str(locale): str(menu_id) for locale, menu_id in rows}


async def linked_menu(session: AsyncSession, user_id: str) -> str | None:
    """The menu a LINE user was last linked to by us, if any."""
    row = await session.scalar(select(LineMenuLink.rich_menu_id).where(LineMenuLink.user_id == user_id))
    return None if row is None else str(row)


async def record_link(
    session: AsyncSession, user_id: str, rich_menu_id: str, locale: str, now: dt.datetime
) -> None:
    stmt = insert_for(session, LineMenuLink).values(
        user_id=user_id, rich_menu_id=rich_menu_id, locale=locale, linked_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id"], set_={"rich_menu_id": rich_menu_id, "locale": locale, "linked_at": now}
    )
    await session.execute(stmt)
