"""Admin-edited texts (payment instructions, canned replies) per key and locale.

`text` is read for every event (the dialogs' facts) and changes a few times a year, so each process
keeps what it read for CACHE_SECONDS. An edit made through `set_text` empties this process's cache
when its transaction commits (so the next event reads it); another process sees it within
CACHE_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import time
import weakref
from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.models import SettingText
from storage.repositories.common import built, core_rows

CACHE_SECONDS = 5.0
_cache: dict[tuple[object, str, str], tuple[float, str | None]] = {}
_urls: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_CHANGED = "counselbot.texts_changed"


def _text(_dialect: str) -> Any:
    return select(SettingText.text).where(
        SettingText.key == bindparam("key"), SettingText.locale == bindparam("locale")
    )


async def text(session: AsyncSession, key: str, locale: str) -> str | None:
    # Per database (its URL), so two databases in one process (tests) never share an entry. The
    # URL's text is kept per engine: hashing a URL renders it as a string every time.
    bind = session.get_bind()
    url = _urls.get(bind)
    if url is None:
        url = _urls[bind] = str(bind.engine.url)
    slot = (url, key, locale)
    now = time.monotonic()
    hit = _cache.get(slot)
    if hit is not None and hit[0] > now:
        return hit[1]
    rows = await core_rows(session, built(session, "texts.text", _text), {"key": key, "locale": locale})
    found: str | None = rows[0].text if rows else None
    _cache[slot] = (now + CACHE_SECONDS, found)
    return found


def forget() -> None:
    """Empty this process's cache (after an edit, or when texts are written around `set_text`)."""
    _cache.clear()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        forget()


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
    session.info[_CHANGED] = True
    forget()  # and again at commit: an event reading meanwhile must not keep the old text
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
