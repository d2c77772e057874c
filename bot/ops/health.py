"""/readyz: may this process take traffic? The database answers, its schema is current, channels are set.

/healthz (in bot.app) only says the process is up; a load balancer should route on /readyz.
The answer is JSON naming each check, 200 when every check passes and 503 otherwise.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.channels import AppContext
from bot.config import Settings
from bot.scheduler import Scheduler
from storage import migrate
from storage.repositories import ops as ops_repo

TIMEOUT = 3.0


class Readiness:
    def __init__(self, ctx: AppContext, scheduler: Scheduler | None = None) -> None:
        self.ctx = ctx
        self.scheduler = scheduler
        self._heads: set[str] | None = None

    def heads(self) -> set[str]:
        # The migration scripts shipped with this release do not change while it runs.
        if self._heads is None:
            self._heads = migrate.heads(self.ctx.settings.database_url)
        return self._heads

    async def check(self) -> tuple[bool, dict[str, Any]]:
        checks: dict[str, Any] = {}
        ready = True
        try:
            async with asyncio.timeout(TIMEOUT):
                async with self.ctx.db.read() as s:
                    await ops_repo.ping(s)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable ({type(exc).__name__})"
            ready = False
        if ready:
            try:
                async with asyncio.timeout(TIMEOUT):
                    current = await migrate.current(self.ctx.db.engine)
                if current == self.heads():
                    checks["migrations"] = "current"
                else:
                    checks["migrations"] = "not current: run `counselbot db upgrade`"
                    ready = False
            except Exception as exc:
                checks["migrations"] = f"unknown ({type(exc).__name__})"
                ready = False
        senders = set(self.ctx.delivery.senders) if self.ctx.delivery is not None else set()
        channels, problems = channel_status(self.ctx.settings, senders)
        checks["channels"] = channels
        if problems:
            checks["channel_problems"] = problems
            ready = False
        if self.scheduler is not None and self.scheduler.last_pass_at is not None:
            checks["scheduler_last_pass"] = self.scheduler.last_pass_at.isoformat(timespec="seconds")
        return ready, checks

    async def endpoint(self, request: Request) -> Response:
        ready, checks = await self.check()
        body = {"ready": ready, "checks": checks, "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        return JSONResponse(body, status_code=200 if ready else 503, headers={"Cache-Control": "no-store"})


def channel_status(settings: Settings, senders: set[str]) -> tuple[dict[str, str], list[str]]:
    """Each channel on or off, and what is half-configured (a setting missing, a sender not loaded)."""
    channels: dict[str, str] = {"webchat": "on" if "webchat" in senders else "off"}
    problems: list[str] = []
    line_secret, line_token = settings.line_channel_secret, settings.line_channel_access_token
    if settings.line_enabled:
        channels["line"] = "on"
    elif line_secret is not None or line_token is not None:
        channels["line"] = "off"
        problems.append(
            "LINE is half-configured: set both COUNSELBOT_LINE_CHANNEL_SECRET and COUNSELBOT_LINE_CHANNEL_ACCESS_TOKEN"
        )
    else:
        channels["line"] = "off"
    if settings.telegram_enabled:
        if settings.telegram_polling:
            channels["telegram"] = "on (polling)"
        elif settings.telegram_webhook_secret is None:
            channels["telegram"] = "on (webhook refuses every call)"
            problems.append(
                "Telegram webhook without COUNSELBOT_TELEGRAM_WEBHOOK_SECRET: every update is refused"
            )
        else:
            channels["telegram"] = "on (webhook)"
    else:
        channels["telegram"] = "off"
    for name, state in channels.items():
        if state.startswith("on") and name not in senders:
            problems.append(f"{name} is configured but its sender did not load")
    if not any(state.startswith("on") for state in channels.values()):
        problems.append("no channel is on")
    return channels, problems
