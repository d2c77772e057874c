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


def database(args: argparse.Namespace) -> Database:
    return Database(settings_from(args).database_url)
