"""What the console's CLI commands (agents, bookings, purge) share: settings and a ready database."""

from __future__ import annotations

import argparse

from bot.config import Settings, load_settings
from storage.db import Database


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", dest="database_url", help="default: COUNSELBOT_DATABASE_URL")


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    settings = load_settings(**overrides)
    from bot.cli import db_ready

    db_ready(settings)
    return settings


def database_url(args: argparse.Namespace) -> str:
    """The database URL, migrated on SQLite. Call it before asyncio.run (migrations run their own loop)."""
    return settings_from(args).database_url


def database(url: str) -> Database:
    return Database(url)
