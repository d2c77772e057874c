from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable

import pytest
from playwright.async_api import Browser

from bot.config import Settings
from tests.console.browser import chromium, missing


@pytest.fixture
def console_settings(db_url: str, settings_for: Callable[..., Settings]) -> Settings:
    return settings_for(db_url)


@pytest.fixture
def sqlite_settings(sqlite_url: str, settings_for: Callable[..., Settings]) -> Settings:
    return settings_for(sqlite_url)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    reason = missing()
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason} — the browser tests must run in CI")
        pytest.skip(reason)
    async with chromium() as b:
        yield b
