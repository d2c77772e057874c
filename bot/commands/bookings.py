"""`counselbot bookings import FILE.csv`: all rows or none, with a report line for each bad row.

The columns are described in bot/console/csv_import.py and docs/console.md.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.console import csv_import, csv_text
from bot.console.clidb import add_database_option, database, database_url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("bookings", help="bookings kept for the bot and the console")
    sub = parser.add_subparsers(dest="bookings_command", metavar="COMMAND", required=True)
    imp = sub.add_parser("import", help="import bookings from a CSV file (all rows or none)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--update", action="store_true", help="change bookings whose reference exists")
    imp.add_argument(
        "--encoding",
        type=_encoding,
        default="auto",
        metavar="{auto,utf-8,cp932}",
        help="the file's encoding: auto (UTF-8, else Shift_JIS read strictly; the default), utf-8, or "
        "cp932 (Shift_JIS, what Excel's plain CSV is on a Japanese Windows machine)",
    )
    add_database_option(imp)
    imp.set_defaults(func=_import)


def _encoding(value: str) -> str:
    found = csv_text.choice(value)
    if found is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not one of auto, utf-8, cp932 (shift_jis)")
    return found


def _import(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"counselbot bookings: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2

    async def run() -> csv_import.ImportReport:
        db = database(url)
        try:
            return await csv_import.import_bookings(
                db, data, update=args.update, encoding=args.encoding, actor="cli"
            )
        finally:
            await db.dispose()

    url = database_url(args)
    report = asyncio.run(run())
    if report.ok:
        print(report.summary())
        return 0
    for error in report.errors:
        where = f"line {error.line}" if error.line else "file"
        print(f"{path.name}: {where}: {error.reason}", file=sys.stderr)
    print(report.summary(), file=sys.stderr)
    return 1
