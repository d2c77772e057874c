"""/healthz says the process is up; /readyz says whether it may take traffic, naming each check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from tests.support.server import serve_app


async def get(base: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        return await client.get(path)


async def test_ready_when_the_database_answers_is_current_and_a_channel_is_on(settings: Settings) -> None:
    async with serve_app(settings) as base:
        health = await get(base, "/healthz")
        assert (health.status_code, health.text) == (200, "ok")
        ready = await get(base, "/readyz")
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert body["ready"] is True
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["migrations"] == "current"
        assert body["checks"]["channels"] == {"webchat": "on", "line": "off", "telegram": "off"}
        assert ready.headers["cache-control"] == "no-store"


async def test_not_ready_before_the_migrations_ran(
    tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    async with serve_app(settings) as base:
        assert (await get(base, "/healthz")).status_code == 200  # up, but...
        ready = await get(base, "/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["migrations"] == "not current: run `counselbot db upgrade`"


async def test_not_ready_when_the_database_cannot_be_reached(
    tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    async with serve_app(settings) as base:
        ready = await get(base, "/readyz")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["database"].startswith("unreachable")
        assert "migrations" not in checks


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"line_channel_secret": "only-the-secret-is-set"}, "LINE is half-configured"),
        ({"telegram_bot_token": "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"}, "Telegram webhook without"),
    ],
)
async def test_not_ready_when_a_channel_is_half_configured(
    sqlite_url: str, settings_for: Callable[..., Settings], overrides: dict[str, str], problem: str
) -> None:
    async with serve_app(settings_for(sqlite_url, **overrides)) as base:
        ready = await get(base, "/readyz")
        assert ready.status_code == 503
        [found] = ready.json()["checks"]["channel_problems"]
        assert found.startswith(problem)
        # The secret is named, never shown.
        assert "only-the-secret-is-set" not in ready.text and "ABCdefGHI" not in ready.text
