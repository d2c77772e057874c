"""`counselbot hours show|set|close|open|clear`: the team's business hours and holidays (JST).

`set DAYS INTERVALS` replaces the weekly hours of those weekdays ("mon-fri 09:00-12:00,13:00-18:00",
"sat closed"); `close DATE` closes one day; `open DATE` keeps a public holiday (or a closed day) open
by the weekly hours; `clear DATE` removes what `close`/`open` set. Japan's public holidays come from the
`holidays` package and are closed unless opened.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys

from bot import hours, team
from bot.console.clidb import add_database_option, database, database_url
from storage.repositories import hours as repo

SHOW_DAYS = 60


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("hours", help="business hours, closures and public holidays (JST)")
    sub = parser.add_subparsers(dest="hours_command", metavar="COMMAND", required=True)

    show = sub.add_parser("show", help="the weekly hours, the coming holidays and closures, open now?")
    show.add_argument(
        "--days", type=int, default=SHOW_DAYS, help=f"how far ahead to list (default {SHOW_DAYS})"
    )
    add_database_option(show)
    show.set_defaults(func=_show)

    set_ = sub.add_parser("set", help="the weekly hours of some weekdays: mon-fri 09:00-18:00 | sat closed")
    set_.add_argument("days", help="mon, tue, ..., a range mon-fri, or a list mon,wed")
    set_.add_argument("intervals", help="HH:MM-HH:MM[,HH:MM-HH:MM...] or closed")
    add_database_option(set_)
    set_.set_defaults(func=_set)

    for name, what in (("close", "close all day"), ("open", "keep open (a holiday) by the weekly hours")):
        p = sub.add_parser(name, help=f"{what}: DATE as YYYY-MM-DD")
        p.add_argument("date", type=dt.date.fromisoformat)
        p.add_argument("--note", default=None, help="why (shown to the agents)")
        add_database_option(p)
        p.set_defaults(func=_override, is_open=name == "open")

    clear = sub.add_parser("clear", help="remove a closure or an opening: the day follows the rules again")
    clear.add_argument("date", type=dt.date.fromisoformat)
    add_database_option(clear)
    clear.set_defaults(func=_clear)


def weekdays(spec: str) -> list[int]:
    out: list[int] = []
    for part in spec.lower().split(","):
        if "-" in part:
            first, last = (hours.weekday_of(p) for p in part.split("-", 1))
            out += [d % 7 for d in range(first, first + (last - first) % 7 + 1)]
        else:
            out.append(hours.weekday_of(part))
    return sorted(set(out))


def _fail(message: str) -> int:
    print(f"counselbot hours: {message}", file=sys.stderr)
    return 2


def _set(args: argparse.Namespace) -> int:
    try:
        days = weekdays(args.days)
        intervals = hours.parse_intervals(args.intervals)
    except ValueError as exc:
        return _fail(str(exc))

    async def run() -> None:
        db = database(url)
        try:
            async with db.write() as s:
                for d in days:
                    await repo.set_weekday(s, d, [(i.start, i.end) for i in intervals])
        finally:
            await db.dispose()

    url = database_url(args)
    asyncio.run(run())
    shown = ", ".join(str(i) for i in intervals) or "closed"
    print(f"{', '.join(hours.WEEKDAYS[d] for d in days)}: {shown} (JST)")
    return 0


def _override(args: argparse.Namespace) -> int:
    async def run() -> None:
        db = database(url)
        try:
            async with db.write() as s:
                await repo.set_override(s, args.date, args.is_open, args.note, dt.datetime.now(dt.UTC))
        finally:
            await db.dispose()

    url = database_url(args)
    asyncio.run(run())
    name = hours.holiday(args.date)
    what = "open by the weekly hours" if args.is_open else "closed all day"
    print(f"{args.date.isoformat()}{f' ({name})' if name else ''}: {what}")
    return 0


def _clear(args: argparse.Namespace) -> int:
    async def run() -> bool:
        db = database(url)
        try:
            async with db.write() as s:
                return await repo.clear_override(s, args.date)
        finally:
            await db.dispose()

    url = database_url(args)
    if not asyncio.run(run()):
        return _fail(f"nothing was set for {args.date.isoformat()}")
    print(f"{args.date.isoformat()}: follows the weekly hours and holidays again")
    return 0


def _show(args: argparse.Namespace) -> int:
    async def run() -> tuple[hours.Rules, dict[dt.date, str | None]]:
        db = database(url)
        try:
            async with db.read() as s:
                notes = {o.day: o.note for o in await repo.overrides(s)}
                return await team.load_rules(s), notes
        finally:
            await db.dispose()

    url = database_url(args)
    rules, notes = asyncio.run(run())
    print("\n".join(show_lines(rules, notes, dt.datetime.now(dt.UTC), args.days)))
    return 0


def show_lines(
    rules: hours.Rules, notes: dict[dt.date, str | None], now: dt.datetime, days: int
) -> list[str]:
    lines = ["Weekly hours (JST):"]
    lines += [f"  {name}  {text}" for name, text in hours.describe_week(rules)]
    today = now.astimezone(hours.JST).date()
    lines.append(f"Holidays and closures, {today.isoformat()} + {days} days:")
    listed = 0
    for n in range(days):
        d = today + dt.timedelta(days=n)
        info = hours.day(rules, d)
        if info.why == "weekly" and d not in rules.overrides:
            continue
        label = {"holiday": "closed (public holiday)", "closed": "closed", "opened": "open (weekly hours)"}
        what = label.get(info.why, "open (weekly hours)")
        extra = " · ".join(x for x in (info.holiday, notes.get(d)) if x)
        lines.append(
            f"  {d.isoformat()} {hours.WEEKDAYS[d.weekday()]}  {what}{f'  {extra}' if extra else ''}"
        )
        listed += 1
    if not listed:
        lines.append("  none")
    if not rules.configured:
        lines.append("Now: no weekly hours are set, so the hours never close the team")
    elif hours.is_open(rules, now):
        until = hours.closes_at(rules, now)
        lines.append(f"Now: open{f' until {until:%a %Y-%m-%d %H:%M} JST' if until else ''}")
    else:
        nxt = hours.next_opening(rules, now)
        lines.append(f"Now: closed; opens {f'{nxt:%a %Y-%m-%d %H:%M} JST' if nxt else 'at no time set'}")
    return lines
