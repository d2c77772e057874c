"""Rich menus through the Messaging API: `sync` makes LINE hold exactly our current menus; `MenuLinker`
gives a LINE user the menu of their language.

`sync` is idempotent: a menu is found by its name, which carries the content hash, so a second run
with nothing changed only reads (list menus, list aliases, get the default) and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiohttp
from linebot.v3.messaging import CreateRichMenuAliasRequest, RichMenuRequest, UpdateRichMenuAliasRequest
from linebot.v3.messaging.exceptions import ApiException

from bot.handlers.line.richmenu import NAME_PREFIX, Built
from bot.handlers.line.sender import LineApi
from storage.db import Database
from storage.repositories import line_menus

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    aliased: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    default: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.aliased or self.deleted or self.default)


async def sync(api: LineApi, db: Database, built: Sequence[Built], default_locale: str) -> SyncReport:
    report = SyncReport()
    messaging = api.api()
    existing = {m.name: m.rich_menu_id for m in (await messaging.get_rich_menu_list()).richmenus}
    aliases = {
        a.rich_menu_alias_id: a.rich_menu_id for a in (await messaging.get_rich_menu_alias_list()).aliases
    }
    ids: dict[str, str] = {}
    for menu in built:
        menu_id = existing.get(menu.name)
        if menu_id is None:
            menu_id = await _create(api, menu)
            report.created.append(menu.name)
        ids[menu.locale] = menu_id
        if menu.alias not in aliases:
            await messaging.create_rich_menu_alias(
                CreateRichMenuAliasRequest(rich_menu_alias_id=menu.alias, rich_menu_id=menu_id)
            )
            report.aliased.append(menu.alias)
        elif aliases[menu.alias] != menu_id:
            await messaging.update_rich_menu_alias(
                menu.alias, UpdateRichMenuAliasRequest(rich_menu_id=menu_id)
            )
            report.aliased.append(menu.alias)
    if default_locale in ids and await _default(api) != ids[default_locale]:
        await messaging.set_default_rich_menu(ids[default_locale])
        report.default = ids[default_locale]
    # Stored before the old ones go, so the webhook links users to the new menus from now on.
    await _store(db, built, ids)
    # Our menus of an earlier content (LINE unlinks their users, who get the default until their
    # next message relinks them to the new menu of their language).
    current = set(ids.values())
    for name, menu_id in existing.items():
        if name.startswith(NAME_PREFIX + " ") and menu_id not in current:
            await messaging.delete_rich_menu(menu_id)
            report.deleted.append(name)
    return report


async def _create(api: LineApi, menu: Built) -> str:
    menu_id = str((await api.api().create_rich_menu(RichMenuRequest.from_dict(menu.body))).rich_menu_id)
    try:
        await api.blob().set_rich_menu_image(menu_id, body=menu.png, _headers={"Content-Type": "image/png"})
    except BaseException:
        # A menu without its image would be found by name next time and never get one: remove it.
        await api.api().delete_rich_menu(menu_id)
        raise
    return menu_id


async def _default(api: LineApi) -> str | None:
    try:
        return str((await api.api().get_default_rich_menu_id()).rich_menu_id)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


async def _store(db: Database, built: Sequence[Built], ids: dict[str, str]) -> None:
    now = dt.datetime.now(dt.UTC)
    async with db.read() as s:
        stored = await line_menus.menus(s)
    changed = [
        m for m in built if (stored.get(m.locale) is None or stored[m.locale].rich_menu_id != ids[m.locale])
    ]
    if not changed:
        return
    async with db.write() as s:
        for menu in changed:
            await line_menus.save_menu(s, menu.locale, ids[menu.locale], menu.digest, now)


class MenuLinker:
    """Links each LINE user to the rich menu of their language, with no database work per event.

    After every event the webhook says the conversation's language. The menus of each language are
    read once a minute (`counselbot line rich-menu sync` runs in another process), and the menu each
    user was linked to is remembered here (bounded, and re-read from the database after a minute, in
    case another process linked them since), so a customer who keeps their language costs nothing.
    With several processes, a customer who switches language back and forth between them may keep
    the previous language's menu for up to that minute. Best effort: a failure is logged and the
    user's next event tries again.
    """

    MENUS_TTL = 60.0
    LINK_TTL = 60.0
    MAX_USERS = 100_000

    def __init__(self, api: LineApi, db: Database, clock: Callable[[], float] = time.monotonic) -> None:
        self.api, self.db, self._clock = api, db, clock
        self._menus: dict[str, str] = {}
        self._menus_until = -1.0
        self._linked: OrderedDict[str, tuple[str | None, float]] = OrderedDict()

    def settled(self, user_id: str, locale: str | None) -> bool:
        """True when what is known here already says `link` has nothing to do (no task needed)."""
        if locale is None:
            return True
        now = self._clock()
        if now >= self._menus_until:
            return False
        menu_id = self._menus.get(locale)
        if menu_id is None:
            return True
        known = self._linked.get(user_id)
        return known is not None and known[1] >= now and known[0] == menu_id

    async def link(self, user_id: str, locale: str | None) -> bool:
        """Link the user to `locale`'s menu unless that is the one they have; True if it linked."""
        if locale is None:
            return False
        menu_id = (await self._current_menus()).get(locale)
        if menu_id is None:
            return False
        now = self._clock()
        known = self._linked.get(user_id)
        if known is None or known[1] < now:
            async with self.db.read() as s:
                known = (await line_menus.linked_menu(s, user_id), now + self.LINK_TTL)
            self._remember(user_id, known[0], now)
        if known[0] == menu_id:
            return False
        try:
            await self.api.api().link_rich_menu_id_to_user(
                user_id, menu_id, _request_timeout=self.api.request_timeout(5.0)
            )
        except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
            log.info("line: rich menu link failed", extra={"status": getattr(exc, "status", None)})
            return False
        async with self.db.write() as s:
            await line_menus.record_link(s, user_id, menu_id, locale, dt.datetime.now(dt.UTC))
        self._remember(user_id, menu_id, now)
        return True

    async def _current_menus(self) -> dict[str, str]:
        if self._clock() >= self._menus_until:
            async with self.db.read() as s:
                self._menus = await line_menus.menu_ids(s)
            self._menus_until = self._clock() + self.MENUS_TTL
        return self._menus

    def _remember(self, user_id: str, menu_id: str | None, now: float) -> None:
        self._linked[user_id] = (menu_id, now + self.LINK_TTL)
        self._linked.move_to_end(user_id)
        while len(self._linked) > self.MAX_USERS:
            self._linked.popitem(last=False)
