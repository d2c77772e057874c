"""LINE rich menus against the fake LINE API: sync (create, image, alias, default), a second sync that
changes nothing, a new content replacing the old menu, the per-user link on a language change, and
the taps entering their flows whatever the conversation is doing."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import event as sa_event

from bot.cli import main
from bot.config import Settings
from bot.events import ChoiceIn
from bot.handlers.line import richmenu
from bot.handlers.line.menus import MenuLinker, sync
from bot.handlers.line.sender import LineApi
from bot.handlers.line.webhook import parse_event
from bot.i18n import SUPPORTED
from storage.repositories import line_menus
from tests import test_line_e2e
from tests.fakes.line_api import ACCESS_TOKEN, event_from
from tests.support.wait import eventually
from tests.test_line_e2e import USER

# The LINE bot fixture of the end-to-end tests (fake LINE API, the real app over HTTP).
line_bot = test_line_e2e.line_bot

MUTATING = ("richmenu", "richmenu_image", "richmenu_delete", "alias", "alias_update", "default", "link")


def _api(bot: Any) -> LineApi:
    settings = Settings(
        line_channel_access_token=ACCESS_TOKEN,
        line_api_base=bot.fake.base_url,
        line_data_api_base=bot.fake.base_url,
    )  # type: ignore[call-arg]
    return LineApi(settings)


async def test_sync_creates_a_menu_per_language_then_changes_nothing(db_url: str, line_bot: Any) -> None:
    async with line_bot(db_url, line_data_api_base="http://unused.invalid") as bot:
        built = [richmenu.build(locale) for locale in SUPPORTED]
        api = _api(bot)
        try:
            report = await sync(api, bot.db, built, "ja")
            assert len(report.created) == 7 and len(report.aliased) == 7
            fake = bot.fake
            assert {m["name"] for m in fake.rich_menus.values()} == {b.name for b in built}
            assert set(fake.images) == set(fake.rich_menus)
            assert set(fake.aliases) == {f"counselbot-{loc.lower().replace('_', '-')}" for loc in SUPPORTED}
            ja = next(b for b in built if b.locale == "ja")
            assert fake.rich_menus[fake.default_menu or ""]["name"] == ja.name
            with Image.open(io.BytesIO(fake.images[fake.aliases["counselbot-th"]])) as image:
                assert image.size == (2500, 1686)
            async with bot.db.read() as s:
                stored = await line_menus.menus(s)
            assert {loc: row.rich_menu_id for loc, row in stored.items()} == {
                loc: fake.aliases[richmenu.alias_id(loc)] for loc in SUPPORTED
            }

            before = len(fake.requests)
            again = await sync(api, bot.db, [richmenu.build(locale) for locale in SUPPORTED], "ja")
            assert not again.changed
            assert [r.endpoint for r in fake.requests[before:] if r.endpoint in MUTATING] == []
        finally:
            await api.close()


def _by_locale(fake: Any) -> dict[str, str]:
    return {loc: fake.aliases[richmenu.alias_id(loc)] for loc in SUPPORTED}


async def test_a_changed_menu_replaces_the_old_one(db_url: str, line_bot: Any, monkeypatch: Any) -> None:
    async with line_bot(db_url) as bot:
        api = _api(bot)
        try:
            await sync(api, bot.db, [richmenu.build("en")], "en")
            [old] = list(bot.fake.rich_menus)
            monkeypatch.setattr(richmenu, "DESIGN", richmenu.DESIGN + 1)
            report = await sync(api, bot.db, [richmenu.build("en")], "en")
            [new] = list(bot.fake.rich_menus)
            assert new != old and report.deleted and report.default == new
            assert bot.fake.aliases == {"counselbot-en": new}
        finally:
            await api.close()


async def test_a_language_change_links_the_users_menu_once(db_url: str, line_bot: Any) -> None:
    async with line_bot(db_url) as bot:
        api = _api(bot)
        try:
            await sync(api, bot.db, [richmenu.build(locale) for locale in SUPPORTED], "ja")
        finally:
            await api.close()
        menus = _by_locale(bot.fake)
        await bot.send(bot.text("Hello, I would like some help"))
        await eventually(lambda: bot.fake.user_menus.get(USER) == menus["en"])
        await bot.send(bot.text("ภาษาไทย"))
        await eventually(lambda: bot.fake.user_menus.get(USER) == menus["th"])
        links = len(bot.fake.of("link"))
        await bot.send(bot.text("ขอบคุณ"))
        await eventually(lambda: len(bot.fake.of("reply")) + len(bot.fake.of("push")) >= 3)
        await eventually(bot.outbox_settled)
        assert len(bot.fake.of("link")) == links


async def test_a_rich_menu_tap_starts_its_flow_from_any_state(db_url: str, line_bot: Any) -> None:
    async with line_bot(db_url) as bot:
        await bot.send(bot.text("I'm running late"))
        await eventually(lambda: bool(bot.fake.delivered))
        tap = event_from(
            "postback",
            user_id=USER,
            reply_token=bot.fake.issue_reply_token(USER),
            postback__data=richmenu.postback_data("language"),
        )
        await bot.send(tap)
        # Out of the late-arrival question and into the language question, as the menu's button does.
        await eventually(lambda: "Which language would you like me to use?" in bot.fake.texts(USER))


def test_every_cell_is_a_postback_the_webhook_reads_as_a_choice_anywhere() -> None:
    menu = richmenu.build("ja")
    assert menu.body["size"] == {"width": 2500, "height": 1686}
    for area in menu.body["areas"]:
        raw = event_from("postback", user_id=USER, postback__data=area["action"]["data"])
        body = parse_event(raw).event.body  # type: ignore[union-attr]
        assert isinstance(body, ChoiceIn) and body.anywhere and body.token == ""
        assert dataclasses.replace(body, anywhere=False).option in {
            "menu", "cancellation", "booking_change", "late_arrival", "language", "human"
        }  # fmt: skip


def test_dry_run_writes_the_seven_images(tmp_path: Path) -> None:
    assert main(["line", "rich-menu", "sync", "--dry-run", str(tmp_path)]) == 0
    pngs = sorted(tmp_path.glob("*.png"))
    assert [p.name for p in pngs] == sorted(f"richmenu-{loc}.png" for loc in SUPPORTED)
    for png in pngs:
        with Image.open(png) as image:
            assert image.size == (2500, 1686)


async def test_a_customer_who_keeps_their_language_costs_no_database_work(db_url: str, line_bot: Any) -> None:
    # Regression: every event read the user's wanted menu, and 40 concurrent webhooks overflowed the
    # SQLite read pool (a new connection and thread per read).
    async with line_bot(db_url) as bot:
        api = _api(bot)
        try:
            await sync(api, bot.db, [richmenu.build(locale) for locale in SUPPORTED], "ja")
            linker = MenuLinker(api, bot.db)
            statements: list[str] = []

            def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
                statements.append(statement)

            for engine in bot.db.engines:
                sa_event.listen(engine.sync_engine, "before_cursor_execute", count)
            assert not linker.settled(USER, "th")  # nothing known yet: the webhook spawns `link`
            assert await linker.link(USER, "th") is True
            assert bot.fake.user_menus.get(USER) == _by_locale(bot.fake)["th"]
            first = len(statements)
            assert first > 0
            for _ in range(5):
                assert linker.settled(USER, "th")  # ... and then not even a task
                assert await linker.link(USER, "th") is False
            assert len(statements) == first
            assert linker.settled(USER, None) and await linker.link(USER, None) is False
            assert not linker.settled(USER, "en")
            assert await linker.link(USER, "en") is True  # a change of language links again
            assert bot.fake.user_menus.get(USER) == _by_locale(bot.fake)["en"]
            for engine in bot.db.engines:
                sa_event.remove(engine.sync_engine, "before_cursor_execute", count)
        finally:
            await api.close()
