"""The team panel, the availability toggle and the "my languages" filter in a real browser."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from bot.config import Settings
from storage.repositories import availability as team_repo
from tests.console.browser import sign_in
from tests.console.support import PASSWORD, add_agent, running
from tests.console.test_queue import ask_for_person

pytestmark = pytest.mark.browser


async def test_toggle_team_panel_and_my_languages(sqlite_settings: Settings, browser: Browser) -> None:
    async with running(sqlite_settings) as app:
        ann_id = await add_agent(app.db, "ann@agency.example", "Ann")
        async with app.db.write() as s:
            await team_repo.set_languages(s, ann_id, ("th",))
        await ask_for_person(app.engine, "visitor-th", "th")
        await ask_for_person(app.engine, "visitor-ko", "ko")
        context = await browser.new_context()
        try:
            page = await context.new_page()
            await sign_in(page, app.base, "ann@agency.example", PASSWORD)
            await page.wait_for_selector("body[data-queue-loaded='yes']")
            member = page.locator(f"#team li[data-agent='{ann_id}']")
            await member.wait_for()
            assert await member.get_attribute("data-status") == "online"
            assert await page.locator("#tickets li.ticket").count() == 2
            # "My languages only": the Korean ticket is hidden, the Thai one stays.
            await page.check("#my-languages")
            await page.wait_for_function("document.querySelectorAll('#tickets li.ticket').length === 1")
            assert await page.locator("#tickets li.ticket .lang").inner_text() == "ภาษาไทย"
            await page.uncheck("#my-languages")
            await page.wait_for_function("document.querySelectorAll('#tickets li.ticket').length === 2")
            # The header's toggle: away, and the team panel says so.
            await page.click("#presence-toggle")
            await page.wait_for_selector("body[data-queue-loaded='yes']")
            await page.wait_for_selector(f"#team li[data-agent='{ann_id}'][data-status='away']")
            assert await page.get_attribute("#presence-toggle", "value") == "online"
        finally:
            await context.close()
