"""Running it for real: /readyz, /metrics, the scheduler (reminders, the daily purge) and log hygiene.

`setup(ctx)` is loaded by bot.app like a channel. Its background tasks start with the app: the
scheduler (every process runs one; jobs are claimed in the database, so each happens once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from starlette.routing import Route

from bot import logs
from bot.attachments.fetch import build_fetcher
from bot.attachments.inbound import FETCH
from bot.attachments.store import ContentStore
from bot.channels import AppContext, Component
from bot.ops.health import Readiness
from bot.ops.housekeeping import PURGE, RETRY_DEAD, plan_purge, purge_handler, retry_dead_handler
from bot.ops.metrics import Metrics
from bot.reminders import Reminders
from bot.scheduler import Scheduler, SchedulerConfig

log = logging.getLogger(__name__)

# The first scheduler pass waits this long after start-up: a process restarting in a loop does not
# hammer the database, and a short-lived app (a test, a one-off command) does no scheduled work.
START_DELAY = 30.0


def build_scheduler(ctx: AppContext, config: SchedulerConfig | None = None) -> Scheduler:
    reminders = Reminders(ctx.engine, ctx.settings, ctx.db)
    return Scheduler(
        ctx.db,
        {
            **reminders.handlers(),
            PURGE: purge_handler(ctx.db, ContentStore(ctx.settings)),
            RETRY_DEAD: retry_dead_handler(ctx.db, ctx.bus),
            FETCH: build_fetcher(ctx.engine, ctx.settings),
        },
        [reminders.plan, plan_purge],
        config,
        instruments=ctx.engine.instruments,
    )


def setup(ctx: AppContext) -> Component:
    settings = ctx.settings
    logs.register_secrets(
        s.get_secret_value() if s is not None else None
        for s in (
            settings.secret_key,
            settings.line_channel_secret,
            settings.line_channel_access_token,
            settings.telegram_bot_token,
            settings.telegram_webhook_secret,
        )
    )
    scheduler = build_scheduler(ctx)
    metrics = Metrics(ctx)
    readiness = Readiness(ctx, scheduler)
    # Until Settings has a switch for it, the scheduler can be held off per process (tests, a
    # maintenance process): COUNSELBOT_SCHEDULER_ENABLED=false.
    enabled = bool(getattr(settings, "scheduler_enabled", True)) and _env_enabled()
    background: list[Callable[[], Awaitable[None]]] = [_adopt_server_logs]
    if enabled:
        background.append(lambda: _run_scheduler(scheduler))
        background.append(lambda: _wake_on_attachments(ctx, scheduler))
    time = settings.reminder_time.strftime("%H:%M")
    return Component(
        name="ops",
        routes=[
            Route("/readyz", readiness.endpoint, methods=["GET"]),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
        ],
        background=background,
        on_shutdown=[metrics.worker_exiting, _closer(scheduler)],
        describe=f"Ops: /healthz, /readyz, /metrics; scheduler {'on' if enabled else 'off'} (reminders at {time} JST)",
        extra={"scheduler": scheduler, "metrics": metrics, "readiness": readiness},
    )


def _env_enabled() -> bool:
    import os

    return os.environ.get("COUNSELBOT_SCHEDULER_ENABLED", "true").strip().lower() not in (
        "0",
        "false",
        "no",
        "off",
    )


async def _run_scheduler(scheduler: Scheduler) -> None:
    await asyncio.sleep(START_DELAY)
    await scheduler.run()


async def _wake_on_attachments(ctx: AppContext, scheduler: Scheduler) -> None:
    """A customer's file was just recorded: fetch it now rather than at the next poll."""
    await asyncio.sleep(START_DELAY)
    async with ctx.bus.subscribe("attachments") as sub:
        async for _ in sub:
            scheduler.wake()


def _closer(scheduler: Scheduler) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        fetcher = scheduler.handlers.get(FETCH)
        if fetcher is not None and hasattr(fetcher, "close"):
            await fetcher.close()

    return close


async def _adopt_server_logs() -> None:
    # Runs once the server has started (uvicorn configured its loggers after ours).
    if logs.adopt_server_loggers():
        log.debug("uvicorn's loggers now go through counselbot's formatter")
