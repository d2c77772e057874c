"""In the browser: a customer uploads a photo in the web chat, the agent (who took the conversation
over) sees its thumbnail arrive live, opens it, replies with a PDF, and the customer sees it. Without
a session the content URL is 401."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import select

from bot.config import Settings
from storage.models import Conversation
from tests.console.support import PASSWORD, add_agent, running
from tests.fakes.content import jpeg_with_gps, pdf
from tests.support.browser import launch
from tests.support.wait import eventually

pytestmark = pytest.mark.browser


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async for b in launch():
        yield b


async def test_photo_up_pdf_back_between_web_chat_and_console(
    browser: Browser, sqlite_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with running(settings_for(sqlite_url)) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        errors: list[str] = []
        customer = await browser.new_context(viewport={"width": 390, "height": 780})
        chat = await customer.new_page()
        chat.on("pageerror", lambda e: errors.append(str(e)))
        await chat.goto(app.base + "/?lang=en")
        await expect(chat.locator(".options").first).to_be_visible(timeout=10000)

        async def conversation() -> int | None:
            async with app.db.read() as s:
                return (await s.execute(select(Conversation.id))).scalar_one_or_none()

        await eventually(conversation)
        conv_id = await conversation()

        agents = await browser.new_context(viewport={"width": 1280, "height": 900})
        console = await agents.new_page()
        console.on("pageerror", lambda e: errors.append(str(e)))
        await console.goto(app.base + "/console/login")
        await console.fill('input[name="email"]', "ann@agency.example")
        await console.fill('input[name="password"]', PASSWORD)
        await console.click('button[type="submit"]')
        await console.wait_for_url(app.base + "/console/")
        await console.goto(f"{app.base}/console/conversations/{conv_id}")
        await console.locator('form[action$="/take"] button').click()
        await console.wait_for_url(f"{app.base}/console/conversations/{conv_id}")
        await expect(console.locator("body[data-transcript-loaded=yes]")).to_have_count(1, timeout=10000)

        # The customer sends a photo with the paperclip (the camera input works the same way).
        await chat.set_input_files(
            "#file", files=[{"name": "rash.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}]
        )
        await expect(chat.locator("[data-testid=sent-file]")).to_have_count(1)

        # Live in the console: no reload.
        thumb = console.locator("[data-testid=attachment-thumb]")
        await expect(thumb).to_be_visible(timeout=15000)
        assert await thumb.evaluate("img => img.complete && img.naturalWidth > 0")
        async with agents.expect_page() as opened:
            await thumb.click()
        full = await opened.value
        await full.wait_for_load_state()
        assert full.url.startswith(app.base + "/console/api/files/")
        shown = await full.evaluate("() => document.images.length && document.images[0].naturalWidth")
        assert shown == 800

        # Without a session, the same URL is 401.
        stranger = await browser.new_context()
        assert (await stranger.request.get(full.url)).status == 401

        # The agent replies with a PDF; the customer sees it and can open it.
        await console.set_input_files(
            "[data-testid=reply-file]",
            files=[{"name": "aftercare.pdf", "mimeType": "application/pdf", "buffer": pdf("Aftercare")}],
        )
        sent = chat.locator("[data-testid=chat-file] a")
        await expect(sent).to_have_text("📄 aftercare.pdf", timeout=15000)
        href = await sent.get_attribute("href")
        assert href is not None
        got = await customer.request.get(app.base + href)
        assert got.status == 200 and got.headers["content-type"] == "application/pdf"
        assert await got.body() == pdf("Aftercare")
        assert (await stranger.request.get(app.base + href)).status == 401
        assert errors == []
