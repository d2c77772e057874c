"""The handoff in real browsers: a web chat customer, two agents, live queue, claim race, reply, resolve."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, Page
from playwright.async_api import Error as PlaywrightError
from sqlalchemy import select

from bot.config import Settings
from bot.events import FollowIn
from storage.models import Agent, Ticket
from storage.repositories.tickets import open_ticket
from tests.console.browser import sign_in
from tests.console.support import PASSWORD, Running, add_agent, running
from tests.support.collecting import event
from tests.support.wait import eventually

pytestmark = pytest.mark.browser


async def claim_outcome(page: Page) -> str:
    """'won' once the page went to the conversation; 'lost: <message>' once it was told; '' meanwhile."""
    if "/console/conversations/" in page.url:
        return "won"
    try:
        message = await page.evaluate("document.getElementById('queue-message')?.textContent || ''")
    except PlaywrightError:  # navigating away right now: ask again
        return ""
    return f"lost: {message}" if message else ""


async def test_handoff_from_web_chat_to_an_agent_and_back(
    console_settings: Settings, browser: Browser
) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        await add_agent(app.db, "ben@agency.example", "Ben")
        ann_ctx, ben_ctx, customer_ctx = [await browser.new_context() for _ in range(3)]
        try:
            ann, ben, customer = (
                await ann_ctx.new_page(),
                await ben_ctx.new_page(),
                await customer_ctx.new_page(),
            )
            await sign_in(ann, app.base, "ann@agency.example", PASSWORD)
            await sign_in(ben, app.base, "ben@agency.example", PASSWORD)
            for page in (ann, ben):
                await page.wait_for_selector("body[data-queue-loaded='yes']")
                await page.evaluate("window.__sameDocument = true")  # gone if the page reloads

            # The customer opens the web chat and asks for a person.
            await customer.goto(f"{app.base}/")
            await customer.click("button[data-option='human']")

            # The ticket appears in both queues without a reload, in the console's default Japanese.
            for page in (ann, ben):
                assert await page.get_attribute("html", "lang") == "ja"
                row = page.locator("li.ticket[data-reason='human']")
                await row.wait_for()
                assert await row.locator(".channel").text_content() == "webchat"
                assert await row.locator(".reason").text_content() == "担当者との会話を希望"
                assert await row.locator("button[data-claim]").text_content() == "担当する"
                assert await page.evaluate("window.__sameDocument") is True

            # Both click Claim at once: exactly one owns it, the other is told who.
            # (Both buttons are pressed in the same instant: a Playwright click waits for actionability,
            # and the loser's button can be re-rendered away by the winner's live update meanwhile.)
            buttons = [await p.wait_for_selector("button[data-claim]") for p in (ann, ben)]
            await asyncio.gather(*(b.evaluate("b => b.click()") for b in buttons if b is not None))
            outcomes = await eventually(lambda: _both(ann, ben), timeout=20)
            assert sorted(o.split(":")[0] for o in outcomes) == ["lost", "won"], outcomes
            winner_page, loser_page = (ann, ben) if outcomes[0] == "won" else (ben, ann)
            winner = "Ann" if winner_page is ann else "Ben"
            assert (
                outcomes[1 if winner_page is ann else 0]
                == f"lost: チケット #1: {winner}さんが既に担当しています。"
            )
            async with app.db.read() as s:
                ticket = (await s.execute(select(Ticket))).scalar_one()
                owner = await s.get(Agent, ticket.claimed_by)
            assert owner is not None and owner.name == winner and ticket.status == "claimed"
            await loser_page.locator("li.ticket .state", has_text=f"{winner}さんが対応中").wait_for()

            # The agent replies; the customer sees it in the web chat; the console shows it was sent.
            agent = winner_page
            await agent.wait_for_selector("body[data-transcript-loaded='yes']")
            await agent.fill("#reply-text", "Hello, this is the agency. How can we help?")
            await agent.click("#reply-send")
            await customer.locator(".msg.agent", has_text="Hello, this is the agency.").wait_for()
            await agent.locator(".entry.agent .delivery[data-state='sent']").wait_for()

            # While the agent has it, the customer's words appear live and the bot stays silent.
            bot_bubbles = await customer.locator(".msg.bot").count()
            await customer.fill("#text", "My train is late, I will be 40 minutes late")
            await customer.press("#text", "Enter")
            await agent.locator(".entry.customer .text", has_text="My train is late").wait_for()
            assert await customer.locator(".msg.bot").count() == bot_bubbles

            # Resolve: the customer is told, the bot has the conversation again and answers.
            await agent.select_option("#outcome", "done")
            await agent.click("#resolve-submit")
            await agent.wait_for_selector("#mode[data-mode='bot']")
            assert await agent.locator("#mode").text_content() == "ボット"
            await customer.locator(".msg.bot", has_text="Our team has finished helping you").wait_for()
            after_resolve = await customer.locator(".msg.bot").count()
            await customer.fill("#text", "Hello again")
            await customer.press("#text", "Enter")
            await eventually(lambda: _more(customer, after_resolve), timeout=20)
        finally:
            for ctx in (ann_ctx, ben_ctx, customer_ctx):
                await ctx.close()


async def _both(a: Page, b: Page) -> list[str] | None:
    results = [await claim_outcome(a), await claim_outcome(b)]
    return results if all(results) else None


async def _more(page: Page, count: int) -> bool:
    return await page.locator(".msg.bot").count() > count


# Headless chromium shows no notifications and plays no sound: record what the page asks for instead.
ALERT_WATCH = """
window.__notes = []; window.__plays = [];
window.Notification = class {
  constructor(title, options) { window.__notes.push(title + " | " + options.body); }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
};
HTMLMediaElement.prototype.play = function () { window.__plays.push(this.src); return Promise.resolve(); };
"""


async def test_a_new_urgent_ticket_raises_a_notification_and_a_sound(
    sqlite_settings: Settings, browser: Browser
) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        context = await browser.new_context()
        await context.add_init_script(ALERT_WATCH)
        try:
            page = await context.new_page()
            await sign_in(page, app.base, "ann@agency.example", PASSWORD)
            await page.wait_for_selector("body[data-queue-loaded='yes']")
            normal = await _ticket(app, "asks", "human", "normal")
            await page.locator("li.ticket[data-reason='human']").wait_for()
            urgent = await _ticket(app, "late", "late", "urgent")
            await page.locator("#alert", has_text=f"新しい緊急チケット #{urgent}：遅刻 (English)").wait_for()
            assert await page.evaluate("window.__notes") == [
                f"緊急：遅刻 | チケット #{urgent} · English · webchat"
            ]
            assert await page.evaluate("window.__plays") == [f"{app.base}/console/static/alert.wav"]
            assert (
                await page.get_attribute("body", "data-urgent-alerts") == "1"
            )  # the normal one raised nothing
            assert normal != urgent
        finally:
            await context.close()


async def _ticket(app: Running, user: str, reason: str, priority: str) -> int:
    conv_id = (await app.engine.handle(event(user, FollowIn(), locale_hint="en"))).conversation_id
    async with app.db.write() as s:
        ticket = await open_ticket(s, conv_id, reason, priority, "")
        ticket_id = ticket.id
    await app.engine.bus.publish("tickets", {"ticket_id": ticket_id})
    return ticket_id
