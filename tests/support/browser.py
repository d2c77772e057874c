"""Debian's chromium driven by Playwright's Python package (Playwright's own download does not work here)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = os.environ.get("COUNSELBOT_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_or_skip() -> str:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"chromium not found at {CHROMIUM}: browser tests must run in CI (make browser)")
        pytest.skip("chromium not installed (make browser)")
    return CHROMIUM


async def launch() -> AsyncIterator[Browser]:
    path = chromium_or_skip()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=path, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()
