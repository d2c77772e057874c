"""The web chat feels live: the agent's "typing…", "seen" once an agent has read the message, the
unread count in the title while the tab is in the background, and a sound the customer can turn on
(remembered). In Debian's chromium against the real app; the agent acts through the console's HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import select

from bot.config import Settings
from storage.models import Conversation, Ticket
from tests.console.support import add_agent, running
from tests.support.browser import launch

pytestmark = pytest.mark.browser


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async for b in launch():
        yield b


async def test_typing_seen_unread_title_and_sound(
    browser: Browser, sqlite_url: str, settings_for: object
) -> None:
    settings: Settings = settings_for(sqlite_url)  # type: ignore[operator]
    async with running(settings) as app:
        page = await browser.new_page(viewport={"width": 390, "height": 780})
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        await page.goto(app.base + "/")
        await expect(page.locator(".options button:enabled").first).to_be_visible(timeout=10000)
        await page.fill("#text", "I would like to talk to a person please")
        await page.press("#text", "Enter")
        mine = page.locator(".msg.customer").last
        await expect(page.locator(".msg.handoff").last).to_be_visible(timeout=10000)
        await expect(page.get_by_test_id("seen")).to_have_count(0)

        async with app.db.read() as s:
            conv_id = (await s.execute(select(Conversation.id))).scalar_one()
            ticket_id = (await s.execute(select(Ticket.id))).scalar_one()
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")

        # The agent opens the conversation: the customer's message is marked seen.
        assert (await ann.client.get(f"/console/conversations/{conv_id}")).status_code == 200
        seen = page.get_by_test_id("seen")
        await expect(seen).to_be_visible(timeout=10000)
        await expect(mine.locator("xpath=following-sibling::*[1]")).to_have_id("seen-mark")

        # The agent writes: "typing…" shows, and goes when the reply arrives.
        typing = page.get_by_test_id("typing")
        await expect(typing).to_be_hidden()
        assert (await ann.post_json(f"/console/tickets/{ticket_id}/claim")).status_code == 200
        assert (await ann.post_json(f"/console/conversations/{conv_id}/typing")).json()["signalled"]
        await expect(typing).to_be_visible(timeout=10000)

        # In the background, the title counts what arrives.
        title = await page.title()
        await page.evaluate(
            "() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
            " document.dispatchEvent(new Event('visibilitychange')); }"
        )
        sent = await ann.post_json(f"/console/conversations/{conv_id}/reply", {"text": "Hello, this is Ann."})
        assert sent.status_code == 200
        await expect(page.locator(".msg.agent", has_text="Hello, this is Ann.")).to_be_visible(timeout=10000)
        await expect(typing).to_be_hidden()
        await expect(page).to_have_title(f"(1) {title}")
        await page.evaluate(
            "() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});"
            " document.dispatchEvent(new Event('visibilitychange')); }"
        )
        await expect(page).to_have_title(title)

        # A new message: the mark moves under it once an agent looks again.
        await page.fill("#text", "Thank you, one more question")
        await page.press("#text", "Enter")
        newest = page.locator(".msg.customer", has_text="one more question")
        await expect(newest).to_be_visible()
        assert (await ann.client.get(f"/console/conversations/{conv_id}")).status_code == 200
        await expect(newest.locator("xpath=following-sibling::*[1]")).to_have_id("seen-mark", timeout=10000)

        # Sound: off by default, turned on, remembered across a reload.
        sound = page.get_by_test_id("sound-toggle")
        await expect(sound).to_have_attribute("aria-pressed", "false")
        await sound.click()
        await expect(sound).to_have_attribute("aria-pressed", "true")
        await page.reload()
        await expect(page.get_by_test_id("sound-toggle")).to_have_attribute("aria-pressed", "true")
        # Reloaded, the stream gives the current read mark again.
        await expect(page.get_by_test_id("seen")).to_be_visible(timeout=10000)
        assert problems == []
