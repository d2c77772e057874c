"""The page's event stream in a real browser: resumed after its lifetime without a reply lost or shown
twice, and opened again after a 429 (too many streams for this visitor)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from playwright.async_api import Browser, Page, expect

from bot.config import Settings
from tests.support.browser import launch
from tests.support.server import serve_app

pytestmark = pytest.mark.browser

GREETING = "How can I help you?"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async for b in launch():
        yield b


async def say_hello(page: Page) -> None:
    await page.fill("#text", "hello")
    await page.press("#text", "Enter")


async def test_a_stream_past_its_lifetime_is_resumed_with_nothing_lost_or_doubled(
    browser: Browser, sqlite_url: str, settings_for: Callable[..., Settings]
) -> None:
    settings = settings_for(sqlite_url, webchat_stream_lifetime=1.0)
    async with serve_app(settings) as base:
        page = await browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(base + "/")
        await expect(page.get_by_text(GREETING)).to_have_count(1, timeout=10000)
        await page.wait_for_timeout(3500)  # the stream ended and was resumed (retry: 2 s) at least once
        await say_hello(page)
        await expect(page.get_by_text(GREETING)).to_have_count(2, timeout=10000)
        await page.wait_for_timeout(3500)  # another resume: Last-Event-ID, so nothing is sent twice
        await expect(page.get_by_text(GREETING)).to_have_count(2)
        assert errors == []


async def test_a_stream_refused_429_is_opened_again_later(
    browser: Browser, sqlite_url: str, settings_for: Callable[..., Settings]
) -> None:
    settings = settings_for(sqlite_url, webchat_streams_per_visitor=1)
    async with serve_app(settings) as base:
        context = await browser.new_context()  # both tabs share the visitor's cookie
        first = await context.new_page()
        await first.goto(base + "/")
        await expect(first.get_by_text(GREETING)).to_have_count(1, timeout=10000)
        second = await context.new_page()
        refused: list[int] = []
        second.on("response", lambda r: refused.append(r.status) if "/api/chat/stream" in r.url else None)
        await second.goto(base + "/")
        await expect(second.get_by_text(GREETING)).to_have_count(1, timeout=10000)  # from the history
        await second.wait_for_timeout(500)
        assert 429 in refused
        await first.close()  # its stream's slot is free; the second tab's retry (5-10 s) gets it
        await say_hello(second)
        await expect(second.get_by_text(GREETING)).to_have_count(2, timeout=20000)
        await context.close()
