from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, expect

from bot.config import Settings
from tests.support.browser import launch
from tests.support.server import serve_app

pytestmark = pytest.mark.browser


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async for b in launch():
        yield b


async def test_a_visitor_says_hello_sees_the_menu_and_reaches_a_person(
    browser: Browser, sqlite_url: str, settings_for: object
) -> None:
    settings: Settings = settings_for(sqlite_url)  # type: ignore[operator]
    async with serve_app(settings) as base:
        page = await browser.new_page(viewport={"width": 390, "height": 780})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(base + "/")
        await expect(page.get_by_text("How can I help you?").last).to_be_visible(timeout=10000)
        await page.fill("#text", "hello")
        await page.press("#text", "Enter")
        await expect(page.locator(".msg.customer", has_text="hello")).to_be_visible()
        # The greeting brings the menu again; its buttons replace the old ones.
        await expect(page.locator(".options")).to_have_count(2, timeout=10000)
        await page.locator(".options button:enabled", has_text="Talk to a person").click()
        await expect(page.get_by_text("I have asked a person from our team to take over")).to_be_visible(
            timeout=10000
        )
        # A reload shows the same conversation.
        await page.reload()
        await expect(page.get_by_text("I have asked a person from our team to take over")).to_be_visible(
            timeout=10000
        )
        assert errors == []


async def test_customer_text_is_inert(browser: Browser, sqlite_url: str, settings_for: object) -> None:
    settings: Settings = settings_for(sqlite_url)  # type: ignore[operator]
    async with serve_app(settings) as base:
        page = await browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))
        await page.goto(base + "/")
        await expect(page.get_by_text("How can I help you?").last).to_be_visible(timeout=10000)
        payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
        await page.fill("#text", payload)
        await page.press("#text", "Enter")
        await expect(page.locator(".msg.customer").last).to_have_text(payload)
        await page.wait_for_timeout(300)
        assert dialogs == []
        assert await page.locator(".msg img, .msg script").count() == 0
