"""build_app(settings): the ASGI app. Its lifespan starts the bus, the channels and the delivery worker."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.bus import Bus, pg_dsn_from_url
from bot.channels import AppContext, Component
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.engine import Engine
from bot.limits import BodyLimit, QuietWarnings
from bot.ops.backpressure import Backpressure
from bot.ops.shutdown import ShutdownNotice
from storage.db import Database

log = logging.getLogger(__name__)


class _RowId(IntegerConvertor):
    """An `{x:int}` path part short enough for a 64-bit id: a longer one is 404, not an overflow."""

    regex = "[0-9]{1,18}"


# Before the components build their routes: Starlette compiles a path's convertors when it is routed.
register_url_convertor("int", _RowId())

COMPONENT_MODULES = (
    "bot.handlers.webchat",
    "bot.handlers.line",
    "bot.handlers.telegram",
    "bot.console",
    "bot.attachments.public",
    "bot.ops",
)


def load_components(ctx: AppContext) -> list[Component]:
    components = []
    for name in COMPONENT_MODULES:
        module = importlib.import_module(name)
        setup = getattr(module, "setup", None)
        component = setup(ctx) if setup is not None else None
        if component is not None:
            components.append(component)
    return components


async def healthz(_: Request) -> Response:
    return PlainTextResponse("ok")


def build_app(settings: Settings, *, db: Database | None = None) -> Starlette:
    db = db or Database(settings.database_url, pool_size=settings.database_pool_size)
    bus = Bus(pg_dsn_from_url(settings.database_url))
    engine = Engine(db, settings, bus)
    ctx = AppContext(settings=settings, db=db, engine=engine, bus=bus)
    components = load_components(ctx)
    senders = {s.channel: s for c in components for s in c.senders}
    worker = DeliveryWorker(db, settings, bus, senders, engine.instruments)
    ctx.delivery = worker
    engine.delivery = worker
    shutdown = ShutdownNotice()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await bus.start()
        shutdown.install()
        # Everything loaded so far (modules, catalogs, templates, the SQL compiled at start) lives as
        # long as the process: moved out of the collector's sight, a full collection no longer walks
        # it, and its pause on the event loop shrinks from hundreds of ms to a few (docs/deployment.md).
        gc.collect()
        gc.freeze()
        tasks = [asyncio.create_task(worker.run(), name="delivery")]
        tasks += [
            asyncio.create_task(_run(job), name=f"{c.name}-bg") for c in components for job in c.background
        ]
        try:
            yield
        finally:
            shutdown.uninstall()
            worker.stop()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            for c in components:
                for hook in c.on_shutdown:
                    with contextlib.suppress(Exception):
                        await hook()
            await bus.stop()
            await db.dispose()

    routes: list[BaseRoute] = [Route("/healthz", healthz)]
    for c in components:
        routes.extend(c.routes)
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={500: _server_error, ClientDisconnect: _client_gone},
        # Outermost: a webhook over capacity is refused before anything else is done for it.
        middleware=[
            Middleware(Backpressure, registry=engine.instruments.registry),
            Middleware(BodyLimit, cap_for=body_cap(settings)),
        ],
    )
    app.state.ctx = ctx
    app.state.worker = worker
    app.state.components = components
    # Set on SIGTERM/SIGINT, before uvicorn waits for open responses: event streams end on it.
    app.state.stopping = shutdown.stopping
    return app


# The only bodies allowed past COUNSELBOT_MAX_BODY_BYTES: the console's CSV import uploads.
UPLOAD_PATHS = frozenset({"/console/bookings/import"})


# Files customers and agents send (bot.attachments): the largest file accepted, plus the form around it.
FILE_PATHS = ("/api/chat/files",)
FILE_OVERHEAD = 64 * 1024


def body_cap(settings: Settings) -> Callable[[str], int]:
    def cap_for(path: str) -> int:
        if path in UPLOAD_PATHS:
            return settings.max_upload_bytes
        if path in FILE_PATHS or (path.startswith("/console/conversations/") and path.endswith("/attach")):
            return max(settings.max_body_bytes, settings.attachment_max_bytes + FILE_OVERHEAD)
        return settings.max_body_bytes

    return cap_for


async def _run(job: Callable[[], Awaitable[None]]) -> None:
    await job()


_quiet = QuietWarnings(log)


async def _client_gone(_: Request, exc: Exception) -> Response:
    # The client went away mid-body (or the slow-client guard gave up on it: bot.ops.slowclients):
    # not a server error, and a flood of them must not flood the log either.
    _quiet.warning("request body not received: the client disconnected")
    return Response(status_code=400)


async def _server_error(_: Request, exc: Exception) -> Response:
    log.error("request failed", extra={"error": type(exc).__name__})
    return JSONResponse({"error": "internal error"}, status_code=500)


def app_from_env() -> Starlette:
    """Factory for `uvicorn --factory` (several worker processes): settings from the environment."""
    from bot.config import load_settings
    from bot.logs import configure

    settings = load_settings()
    configure(settings.log_format, settings.log_level)
    return build_app(settings)
