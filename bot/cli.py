"""The `counselbot` command. Built-ins: serve, chat, db; each bot/commands/<name>.py adds its own."""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from bot import commands
from bot.config import ConfigError, Settings, load_settings

# Seconds uvicorn waits for open responses after SIGTERM before it cancels them. Event streams end
# on their own as soon as the signal arrives (bot.ops.shutdown); this bounds anything else.
GRACEFUL_SHUTDOWN_SECONDS = 5


def _serve(args: argparse.Namespace) -> int:
    from bot.logs import configure
    from bot.ops.multiproc import metrics_directory

    settings = load_settings(**_overrides(args))
    configure(settings.log_format, settings.log_level)
    db_ready(settings)
    if args.demo:
        from bot.demo import seed_demo

        print(asyncio.run(seed_demo(settings)))
    # Before any worker starts (and before this process makes a metric): each worker finds the
    # directory in its environment and prometheus_client adds all the workers' files up at a scrape.
    with metrics_directory(settings.metrics_dir, args.workers):
        if args.workers > 1:
            return _serve_workers(settings, args.workers)
        return _serve_one(settings)


def _serve_workers(settings: Settings, workers: int) -> int:
    import os

    import uvicorn

    from bot.ops.slowclients import server_options

    # Separate processes share the database; uvicorn re-imports the app factory in each.
    os.environ["COUNSELBOT_HOST"], os.environ["COUNSELBOT_PORT"] = settings.host, str(settings.port)
    print(
        f"counselbot is starting {workers} workers on http://{settings.host}:{settings.port}/ (Ctrl+C stops them)",
        flush=True,
    )
    uvicorn.run(
        "bot.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="warning",
        log_config=None,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        **server_options(settings, workers=workers),
    )
    return 0


GC_THRESHOLDS = (20_000, 50, 100)


def _tune_gc() -> None:
    """The app's own objects (modules, mappers, catalogs) are moved out of the collector's sight, and
    the youngest generation is collected every 20,000 allocations rather than 700: each event
    allocates thousands of short-lived objects, and the collections cost ~8% of a saturated
    server's CPU (docs/benchmarks.md). Garbage in cycles still goes, a little later."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _serve_one(settings: Settings) -> int:
    import uvicorn

    from bot.app import build_app
    from bot.ops.slowclients import server_options

    app = build_app(settings)
    for component in app.state.components:
        if component.describe:
            print(component.describe, flush=True)
    print(f"counselbot is listening on http://{settings.host}:{settings.port}/ (Ctrl+C stops it)", flush=True)
    _tune_gc()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        # Our logging config, not uvicorn's: its tracebacks can carry customer text.
        log_config=None,
        proxy_headers=True,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        **server_options(settings),
    )
    return 0


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    out: dict[str, object] = {}
    for name in ("host", "port", "database_url"):
        value = getattr(args, name, None)
        if value is not None:
            out[name] = value
    return out


def db_ready(settings: Settings) -> None:
    """The embedded SQLite database upgrades itself; PostgreSQL is upgraded on purpose (`db upgrade`)."""
    from storage.migrate import upgrade

    if settings.database_url.startswith("sqlite"):
        upgrade(settings.database_url)


def _db_upgrade(args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    settings = load_settings(**_overrides(args))
    upgrade(settings.database_url)
    print("database is up to date")
    return 0


def _chat(args: argparse.Namespace) -> int:
    from bot.handlers.terminal import run_terminal_chat

    settings = load_settings(**_overrides(args))
    db_ready(settings)
    return asyncio.run(run_terminal_chat(settings, locale=args.locale, user=args.user))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="counselbot", description="The agency's counseling chat bot.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web chat, webhooks, console and delivery worker")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--database-url", dest="database_url")
    serve.add_argument("--demo", action="store_true", help="seed a demo customer with bookings")
    serve.add_argument("--workers", type=int, default=1, help="server processes sharing the database")
    serve.set_defaults(func=_serve)

    chat = sub.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument("--locale", default=None, help="ja, en, zh_Hans, zh_Hant, ko, th or vi")
    chat.add_argument("--user", default="local", help="who you are to the bot (one conversation per user)")
    chat.add_argument("--database-url", dest="database_url")
    chat.set_defaults(func=_chat)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply every migration")
    up.add_argument("--database-url", dest="database_url")
    up.set_defaults(func=_db_upgrade)

    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"bot.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"counselbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
