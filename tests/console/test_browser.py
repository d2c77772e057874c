"""The handoff in real browsers: a web chat customer, two agents, live queue, claim race, reply, resolve."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, Page
from playwright.async_api import Error as PlaywrightError
from sqlalchemy import select

from bot.config import Settings
from storage.models import Agent, Ticket
from tests.console.browser import sign_in
from tests.console.support import PASSWORD, add_agent, running
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

            # The ticket appears in both queues without a reload.
            for page in (ann, ben):
                row = page.locator("li.ticket", has_text="Asked for a person")
                await row.wait_for()
                assert await row.locator(".channel").text_content() == "webchat"
                assert await page.evaluate("window.__sameDocument") is True

            # Both click Claim at once: exactly one owns it, the other is told who.
            await asyncio.gather(ann.click("button[data-claim]"), ben.click("button[data-claim]"))
            outcomes = await eventually(lambda: _both(ann, ben), timeout=20)
            assert sorted(o.split(":")[0] for o in outcomes) == ["lost", "won"], outcomes
            winner_page, loser_page = (ann, ben) if outcomes[0] == "won" else (ben, ann)
            winner = "Ann" if winner_page is ann else "Ben"
            assert (
                outcomes[1 if winner_page is ann else 0] == f"lost: Ticket #1: Already claimed by {winner}."
            )
            async with app.db.read() as s:
                ticket = (await s.execute(select(Ticket))).scalar_one()
                owner = await s.get(Agent, ticket.claimed_by)
            assert owner is not None and owner.name == winner and ticket.status == "claimed"
            await loser_page.locator("li.ticket .state", has_text=f"claimed by {winner}").wait_for()

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
            await agent.wait_for_selector("#mode:text('bot')")
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
