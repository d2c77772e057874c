from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.config import Settings


@pytest.fixture
def console_settings(db_url: str, settings_for: Callable[..., Settings]) -> Settings:
    return settings_for(db_url)


@pytest.fixture
def sqlite_settings(sqlite_url: str, settings_for: Callable[..., Settings]) -> Settings:
    return settings_for(sqlite_url)
