"""`counselbot jobs run-once` plans and runs one pass; `jobs list` shows keys and outcomes, no customer."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest

from bot.bus import Bus
from bot.cli import main
from bot.config import Settings
from bot.engine import Engine
from bot.i18n import JST
from storage.db import Database
from tests.ops.support import chat_as, reminders, seed_booking


def test_run_once_sends_due_reminders_once_and_list_shows_them(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COUNSELBOT_SECRET_KEY", "cli-test-secret")
    # The command configures logging for its process; keep that from outliving this test.
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    url = settings.database_url
    # Due now whatever the time of day: the reminder time is midnight JST.
    monkeypatch.setenv("COUNSELBOT_REMINDER_TIME", "00:00")
    tomorrow = dt.datetime.now(JST).date() + dt.timedelta(days=1)

    async def seed() -> None:
        db = Database(url)
        try:
            seeded = await seed_booking(db, dt.datetime.combine(tomorrow, dt.time(23, 0), tzinfo=JST))
            await chat_as(Engine(db, settings, Bus()), "telegram", "6000001", seeded.customer_id)
        finally:
            await db.dispose()

    asyncio.run(seed())
    assert main(["jobs", "run-once", "--dry-run", "--database-url", url]) == 0
    assert "nothing run" in capsys.readouterr().out
    assert main(["jobs", "run-once", "--database-url", url]) == 0
    assert main(["jobs", "run-once", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "0 job(s) planned, 0 run" in out

    async def count() -> int:
        db = Database(url)
        try:
            return len(await reminders(db))
        finally:
            await db.dispose()

    assert asyncio.run(count()) == 1
    assert main(["jobs", "list", "--database-url", url]) == 0
    listing = capsys.readouterr().out
    assert "reminder:appointment:" in listing and "done" in listing and "sent (outbox" in listing
    assert "Test Customer" not in listing
