"""Every conversation and search in a real browser: filter, search a Thai phrase, open the result at
its line (older than the lines the page loads: fetched, scrolled to and marked), no CSP violation."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, ConsoleMessage

from bot.config import Settings
from storage.models import AuditEntry, TranscriptMessage
from tests.console.browser import sign_in
from tests.console.support import PASSWORD, add_agent, count, running
from tests.support.collecting import event

pytestmark = pytest.mark.browser

NEEDLE = "ยกเลิกการจอง"


async def test_filter_search_and_open_the_conversation_at_the_matching_line(
    sqlite_settings: Settings, browser: Browser
) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        first = await app.engine.handle(event("u-th", f"สวัสดีค่ะ ดิฉันต้องการ{NEEDLE}วันพรุ่งนี้", locale_hint="th"))
        conv_id = first.conversation_id
        assert conv_id is not None
        # More later lines than the page loads (300): the matching line is fetched when opened.
        async with app.db.write() as s:
            s.add_all(
                TranscriptMessage(conversation_id=conv_id, author="customer", text=f"ขอบคุณค่ะ {n}")
                for n in range(320)
            )
        await app.engine.handle(event("u-en", "I would like to change my booking", locale_hint="en"))
        context = await browser.new_context(viewport={"width": 1200, "height": 700})
        try:
            page = await context.new_page()
            violations: list[str] = []

            def on_console(message: ConsoleMessage) -> None:
                if "Content Security Policy" in message.text:
                    violations.append(message.text)

            page.on("console", on_console)
            await sign_in(page, app.base, "ann@agency.example", PASSWORD)
            await page.click("#nav-conversations")
            await page.wait_for_selector("[data-testid='conversations']")
            assert await page.locator("[data-testid='conversation-row']").count() == 2
            await page.select_option("#f-locale", "th")
            await page.click("#find-submit")
            await page.wait_for_url("**locale=th**")
            rows = page.locator("[data-testid='conversation-row']")
            assert await rows.count() == 1 and await rows.get_attribute("data-conversation") == str(conv_id)

            await page.fill("[data-testid='search-q']", NEEDLE)
            await page.click("#find-submit")
            hit = page.locator("[data-testid='hit']")
            await hit.first.wait_for()
            assert await hit.count() == 1
            assert await hit.locator("mark").inner_text() == NEEDLE
            message_id = await hit.get_attribute("data-message")

            await hit.locator("[data-testid='hit-link']").click()
            await page.wait_for_selector("body[data-line-shown='yes']")
            line = page.locator(f"#m-{message_id}")
            assert "found" in (await line.get_attribute("class") or "")
            assert NEEDLE in await line.inner_text()
            # Scrolled to: the marked line is inside the transcript's visible area.
            visible = await page.evaluate(
                """(id) => { const l = document.getElementById('transcript').getBoundingClientRect();
                             const m = document.getElementById(id).getBoundingClientRect();
                             return m.top >= l.top - 1 && m.bottom <= l.bottom + 1; }""",
                f"m-{message_id}",
            )
            assert visible
            assert violations == []
            history = AuditEntry.action == "conversation.history"
            assert await count(app.db, AuditEntry, history, AuditEntry.target_id == str(conv_id)) == 1
        finally:
            await context.close()
