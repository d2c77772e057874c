"""The real app against the fake LINE and Telegram platforms, with its scheduler driven by the test:
`run_jobs(at)` runs the fetch jobs due at `at` (the app's own background pass is switched off)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import build_app
from bot.config import Settings
from bot.scheduler import Scheduler
from storage.db import Database
from storage.models import Attachment, OutboxMessage
from tests.fakes.line_api import (
    ACCESS_TOKEN,
    CHANNEL_SECRET,
    FakeLine,
    event_from,
    run_fake_line,
    sign,
    webhook_body,
)
from tests.fakes.telegram_api import WEBHOOK_SECRET, FakeTelegram, run_fake_telegram
from tests.support.server import serve_asgi
from tests.support.wait import eventually

LINE_USER = "U4af4980629a1b2c3d4e5f60718293a4b"


@dataclass
class World:
    line: FakeLine
    telegram: FakeTelegram
    http: httpx.AsyncClient
    db: Database
    scheduler: Scheduler
    app: Any

    async def post_line(self, *events: dict[str, Any]) -> httpx.Response:
        body = webhook_body(*events)
        headers = {"content-type": "application/json", "x-line-signature": sign(body)}
        return await self.http.post("/webhooks/line", content=body, headers=headers)

    def line_event(self, fixture: str, user: str = LINE_USER, **fields: Any) -> dict[str, Any]:
        return event_from(fixture, user_id=user, reply_token=self.line.issue_reply_token(user), **fields)

    async def post_telegram(self, update: dict[str, Any]) -> httpx.Response:
        headers = {"content-type": "application/json", "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        return await self.http.post("/webhooks/telegram", json=update, headers=headers)

    async def run_jobs(self, at: dt.datetime | None = None) -> int:
        return await self.scheduler.run_once(at or dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))

    async def run_until_settled(self, max_passes: int = 12) -> None:
        """Run passes, each an hour later than the last (past any backoff), until nothing is pending."""
        at = dt.datetime.now(dt.UTC)
        for _ in range(max_passes):
            at += dt.timedelta(hours=1)
            await self.run_jobs(at)
            if not [a for a in await self.attachments() if a.status == "pending"]:
                return
        raise AssertionError("attachments still pending")

    async def attachments(self) -> list[Attachment]:
        async with self.db.read() as s:
            return list((await s.execute(select(Attachment).order_by(Attachment.id))).scalars())

    async def count(self, model: Any, *where: Any) -> int:
        async with self.db.read() as s:
            return int((await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one())

    async def outbox_settled(self) -> None:
        async def done() -> bool:
            async with self.db.read() as s:
                rows = (await s.execute(select(OutboxMessage.status))).scalars().all()
            return bool(rows) and all(r in ("sent", "dead", "cancelled") for r in rows)

        await eventually(done, timeout=20)


@contextlib.asynccontextmanager
async def world(settings_for: Callable[..., Settings], db_url: str, **overrides: Any) -> AsyncIterator[World]:
    async with run_fake_line() as line, run_fake_telegram() as telegram:
        settings = settings_for(
            db_url,
            line_channel_secret=CHANNEL_SECRET,
            line_channel_access_token=ACCESS_TOKEN,
            line_api_base=line.base_url,
            line_data_api_base=line.base_url,
            telegram_bot_token=SecretStr(telegram.token),
            telegram_webhook_secret=SecretStr(WEBHOOK_SECRET),
            telegram_api_base=telegram.base_url,
            scheduler_enabled=False,
            **overrides,
        )
        app = build_app(settings)
        ops = next(c for c in app.state.components if c.name == "ops")
        db = Database(db_url)
        try:
            async with serve_asgi(app) as base, httpx.AsyncClient(base_url=base, timeout=15) as http:
                yield World(line, telegram, http, db, ops.extra["scheduler"], app)
        finally:
            await db.dispose()
