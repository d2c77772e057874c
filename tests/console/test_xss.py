"""Hostile customer text and names render as inert text in the console: nothing runs, nothing links,
and right-to-left overrides are shown as visible codes instead of reordering the page."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import Browser, Page
from sqlalchemy import select

from bot.config import Settings
from bot.events import ChoiceIn
from storage.models import Booking, SettingText, Ticket
from tests.console.browser import sign_in
from tests.console.support import PASSWORD, add_agent, link, running, seed_customer
from tests.support.collecting import event

pytestmark = pytest.mark.browser

RLO = "\u202e"
SCRIPT = "<script>window.__xss.push('script')</script>"
IMG = "<img src=x onerror=\"window.__xss.push('img')\">"
JS_LINK = "javascript:window.__xss.push('link')"
SVG = "<svg onload=\"window.__xss.push('svg')\"></svg>"
NAME = f"<img src=y onerror=\"window.__xss.push('name')\">{RLO}gnp.exe"
# Anything that runs records itself; an alert() is caught too.
WATCH = "window.__xss = []; window.alert = (m) => window.__xss.push('alert:' + m);"


async def ran(page: Page) -> list[str]:
    return list(await page.evaluate("window.__xss"))


async def no_active_content(page: Page) -> None:
    assert await ran(page) == []
    assert await page.locator("img").count() == 0
    assert await page.locator("svg").count() == 0
    assert await page.locator("a[href^='javascript']").count() == 0
    scripts = await page.evaluate("Array.from(document.scripts, s => s.src)")
    assert scripts == [page.url.split("/console")[0] + "/console/static/console.js"]
    assert RLO not in await page.evaluate("document.body.innerText")


async def test_customer_text_and_names_render_inert(console_settings: Settings, browser: Browser) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        customer_id, (booking_id,) = await seed_customer(app.db, name=f"{SCRIPT}{RLO}Mallory")
        for text in (SCRIPT, IMG, JS_LINK, SVG, f"please cancel {RLO}fdp.exe"):
            await app.engine.handle(event("tg-42", text, channel="telegram", display_name=NAME))
        result = await app.engine.handle(
            event("tg-42", ChoiceIn("human"), channel="telegram", display_name=NAME)
        )
        conv_id = result.conversation_id
        await link(app.db, "telegram", "tg-42", customer_id)
        async with app.db.write() as s:
            ticket = (await s.execute(select(Ticket))).scalar_one()
            ticket.summary = f"Summary {IMG}"
            booking = await s.get(Booking, booking_id)
            assert booking is not None
            booking.clinic = f"{SVG} Clinic"
            s.add(
                SettingText(
                    key="canned:hello", locale="en", text=f"Hi {SCRIPT}", updated_at=dt.datetime.now(dt.UTC)
                )
            )

        context = await browser.new_context()
        await context.add_init_script(WATCH)
        dialogs: list[str] = []
        try:
            page = await context.new_page()
            page.on("dialog", lambda d: dialogs.append(d.message))
            await sign_in(page, app.base, "ann@agency.example", PASSWORD)
            await page.wait_for_selector("body[data-queue-loaded='yes']")
            await page.click("button[data-claim]")
            await page.wait_for_url(f"{app.base}/console/conversations/{conv_id}")
            await page.wait_for_selector("body[data-transcript-loaded='yes']")

            texts = await page.locator(".entry.customer .text").all_text_contents()
            assert texts[:5] == [SCRIPT, IMG, JS_LINK, SVG, "please cancel [U+202E]fdp.exe"]
            who = await page.locator(".entry.customer .who").first.text_content()
            assert who == "お客様 · <img src=y onerror=\"window.__xss.push('name')\">[U+202E]gnp.exe"
            heading = await page.locator("h1 .name").text_content()
            assert heading == "<img src=y onerror=\"window.__xss.push('name')\">[U+202E]gnp.exe"
            assert f"{SCRIPT}[U+202E]Mallory" in (await page.locator("aside").text_content() or "")
            assert f"Summary {IMG}" == await page.locator(".summary").text_content()
            await page.click("button.canned-reply")
            assert await page.input_value("#reply-text") == f"Hi {SCRIPT}"
            await no_active_content(page)

            await page.goto(f"{app.base}/console/customers/{customer_id}")
            assert await page.locator("h1 .name").text_content() == f"{SCRIPT}[U+202E]Mallory"
            await no_active_content(page)
            await page.goto(f"{app.base}/console/customers?q=Mallory")
            await no_active_content(page)
            await page.goto(f"{app.base}/console/bookings")
            assert f"{SVG} Clinic" in (await page.locator("table").text_content() or "")
            await no_active_content(page)

            assert dialogs == []
            # The watch itself works: the same payload as live markup does run (outside the console).
            await page.goto("about:blank")
            await page.set_content(IMG)
            await page.wait_for_function("window.__xss.length > 0")
            assert await ran(page) == ["img"]
        finally:
            await context.close()
