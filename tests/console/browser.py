"""Playwright on Debian's chromium for the console's browser tests and screenshots.

Without /usr/bin/chromium the browser tests are skipped locally and FAIL in CI (CI=true): a missing
browser must never turn into a green run that tested nothing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = Path(os.environ.get("COUNSELBOT_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def missing() -> str | None:
    if not CHROMIUM.exists():
        return f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def sign_in(
    page: Page, base: str, email: str, password: str, code: Callable[[], Awaitable[str]] | None = None
) -> None:
    """Sign in through the form; `code` gives the two-factor code when the account has one."""
    await page.goto(f"{base}/console/login")
    await page.fill('input[name="email"]', email)
    await page.fill('input[name="password"]', password)
    await page.click('button[type="submit"]')
    if code is not None:
        await page.wait_for_url(f"{base}/console/login/code**")
        await page.fill('input[name="code"]', await code())
        await page.click('button[type="submit"].primary')
    await page.wait_for_url(f"{base}/console/")
