"""LINE rich menus: the menu of each language, and which menu each LINE user was last linked to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation, LineMenuLink, LineRichMenu
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


async def wanted_menu(session: AsyncSession, user_id: str) -> tuple[str, str, str | None] | None:
    """(locale, menu id of that locale, menu id last linked) for a LINE user whose locale is known."""
    row = (
        await session.execute(
            select(Conversation.locale, LineRichMenu.rich_menu_id, LineMenuLink.rich_menu_id)
            .join(LineRichMenu, LineRichMenu.locale == Conversation.locale)
            .outerjoin(LineMenuLink, LineMenuLink.user_id == Conversation.user_id)
            .where(Conversation.channel == "line", Conversation.user_id == user_id)
        )
    ).first()
    if row is None or row[0] is None:
        return None
    return str(row[0]), str(row[1]), row[2]


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
