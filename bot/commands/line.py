"""`counselbot line rich-menu sync [--dry-run DIR]`: the rich menu of each language on LINE.

Builds the seven menus (bot/handlers/line/richmenu.py), then creates what LINE does not have yet,
points the aliases at them, sets the default and forgets the menus of an earlier content. Run again
with nothing changed, it only reads. `--dry-run DIR` writes the images (and the menus' JSON) to DIR
and calls nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from linebot.v3.messaging.exceptions import ApiException

from bot.config import Settings, load_settings
from bot.handlers.line.richmenu import Built, FontMissing, build
from bot.i18n import SUPPORTED

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
# The menu customers see before their language is known (LINE shows the default to everyone else).
DEFAULT_MENU_LOCALE = "ja"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("line", help="the LINE official account's rich menus")
    commands = parser.add_subparsers(dest="line_command", metavar="COMMAND", required=True)
    menu = commands.add_parser("rich-menu", help="the rich menu of each language")
    menu_commands = menu.add_subparsers(dest="rich_menu_command", metavar="COMMAND", required=True)
    sync = menu_commands.add_parser(
        "sync",
        help="create/update the menus, aliases and default on LINE",
        description=(
            "Build the rich menu of each language and make LINE hold exactly these: new menus created "
            "with their image, aliases counselbot-<locale> pointed at them, the default set, old ones "
            "deleted. Nothing changes when nothing changed."
        ),
    )
    sync.add_argument("--dry-run", metavar="DIR", type=Path, help="write the images to DIR instead")
    sync.add_argument(
        "--default", default=DEFAULT_MENU_LOCALE, choices=SUPPORTED, help="the default menu's language"
    )
    sync.set_defaults(func=_sync)


def _sync(args: argparse.Namespace) -> int:
    try:
        built = [build(locale) for locale in SUPPORTED]
    except FontMissing as exc:
        print(f"counselbot line: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.dry_run is not None:
        _write(args.dry_run, built)
        return 0
    settings = load_settings()
    if settings.line_channel_access_token is None:
        print("counselbot line: COUNSELBOT_LINE_CHANNEL_ACCESS_TOKEN is not set", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return asyncio.run(_sync_online(settings, built, args.default))
    except ApiException as exc:
        print(f"counselbot line: LINE API {exc.status}: {exc.reason}", file=sys.stderr)
        return EXIT_FAILED


def _write(folder: Path, built: list[Built]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for menu in built:
        (folder / f"richmenu-{menu.locale}.png").write_bytes(menu.png)
        (folder / f"richmenu-{menu.locale}.json").write_text(
            json.dumps(menu.body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        print(f"{folder / f'richmenu-{menu.locale}.png'}  {menu.name}")


async def _sync_online(settings: Settings, built: list[Built], default: str) -> int:
    from bot.cli import db_ready
    from bot.handlers.line.menus import sync
    from bot.handlers.line.sender import LineApi
    from storage.db import Database

    db_ready(settings)
    db = Database(settings.database_url)
    api = LineApi(settings)
    try:
        report = await sync(api, db, built, default)
    finally:
        await api.close()
        await db.dispose()
    for name in report.created:
        print(f"created {name}")
    for alias in report.aliased:
        print(f"alias {alias} updated")
    for name in report.deleted:
        print(f"deleted {name}")
    if report.default:
        print(f"default set to {report.default}")
    if not report.changed:
        print("rich menus are up to date; nothing changed")
    return 0
