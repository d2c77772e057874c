"""Two-factor authentication in a real browser: an admin is sent to enrolment, scans (reads) the QR
page's key, confirms with a code, keeps the recovery codes, and signs in again with a TOTP code."""

from __future__ import annotations

import pyotp
import pytest
from playwright.async_api import Browser, ConsoleMessage

from bot.config import Settings
from tests.console.support import PASSWORD, add_agent, next_code, running

pytestmark = pytest.mark.browser


async def test_an_admin_enrols_in_two_factor_and_signs_in_with_a_code(
    console_settings: Settings, browser: Browser
) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "root@agency.example", "Root", "admin", two_factor=False)
        context = await browser.new_context()
        try:
            page = await context.new_page()
            refused: list[str] = []

            def on_console(message: ConsoleMessage) -> None:
                if "Content Security Policy" in message.text or "Refused to" in message.text:
                    refused.append(message.text)

            page.on("console", on_console)
            await page.goto(f"{app.base}/console/login")
            await page.fill('input[name="email"]', "root@agency.example")
            await page.fill('input[name="password"]', PASSWORD)
            await page.click('button[type="submit"]')
            # An admin without a second factor lands on the enrolment page, whatever was asked for.
            await page.wait_for_url(f"{app.base}/console/account/2fa")
            qr = page.locator("#qr svg")
            await qr.wait_for()
            box = await qr.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 100  # drawn, not blocked
            secret = (await page.locator("#totp-secret").inner_text()).replace(" ", "")
            assert len(secret) == 32
            await page.fill('input[name="code"]', pyotp.TOTP(secret).now())
            await page.click('button[type="submit"].primary')
            await page.locator("#recovery-codes li").nth(9).wait_for()
            assert await page.locator("#recovery-codes li").count() == 10
            await page.click("#continue")
            await page.wait_for_selector("body[data-queue-loaded='yes']")

            await page.click("header .who button")  # sign out
            await page.wait_for_url(f"{app.base}/console/login")
            await page.fill('input[name="email"]', "root@agency.example")
            await page.fill('input[name="password"]', PASSWORD)
            await page.click('button[type="submit"]')
            await page.wait_for_url(f"{app.base}/console/login/code**")
            await page.fill('input[name="code"]', await next_code(app.db, "root@agency.example", secret))
            await page.click('button[type="submit"].primary')
            await page.wait_for_url(f"{app.base}/console/")
            await page.wait_for_selector("body[data-queue-loaded='yes']")
            await page.goto(f"{app.base}/console/admin/agents")
            assert await page.locator("td", has_text="オン （必須）").count() == 1  # the Japanese default
            assert refused == []  # the inline SVG and every page passed the strict CSP
        finally:
            await context.close()
