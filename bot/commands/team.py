"""`counselbot team show|assignment|languages|capacity`: who is online, and how tickets are assigned.

`assignment auto` assigns each new ticket round robin among the online agents who serve the
conversation's language and are below their capacity; `manual` leaves every ticket to be claimed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys

from bot import availability, modes, team
from bot.console.clidb import add_database_option, database, settings_from
from storage.repositories import availability as team_repo
from storage.repositories import console as accounts_repo
from storage.repositories import hours as repo


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("team", help="agents' availability, languages and ticket assignment")
    sub = parser.add_subparsers(dest="team_command", metavar="COMMAND", required=True)

    show = sub.add_parser(
        "show", help="each agent: online/away/offline, languages, load; the assignment mode"
    )
    add_database_option(show)
    show.set_defaults(func=_show)

    mode = sub.add_parser("assignment", help="auto (round robin by language) or manual (claim by hand)")
    mode.add_argument("mode", choices=("auto", "manual"))
    mode.add_argument("--capacity", type=int, help="default open conversations per agent")
    add_database_option(mode)
    mode.set_defaults(func=_assignment)

    langs = sub.add_parser(
        "languages", help=f"the languages an agent serves: {','.join(availability.LANGUAGES)}"
    )
    langs.add_argument("email")
    langs.add_argument("codes", help="comma-separated, e.g. ja,en")
    add_database_option(langs)
    langs.set_defaults(func=_languages)

    cap = sub.add_parser("capacity", help="an agent's own capacity (a number, or 'default')")
    cap.add_argument("email")
    cap.add_argument("capacity")
    add_database_option(cap)
    cap.set_defaults(func=_capacity)


def _fail(message: str) -> int:
    print(f"counselbot team: {message}", file=sys.stderr)
    return 2


def _show(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    now = dt.datetime.now(dt.UTC)

    async def run() -> tuple[list[team_repo.AgentLoad], modes.Assignment]:
        db = database(settings.database_url)
        try:
            async with db.read() as s:
                rows = await team_repo.team(s, now, now - modes.SESSION_IDLE)
                return rows, await modes.assignment(s, team.away_after(settings))
        finally:
            await db.dispose()

    rows, rules = asyncio.run(run())
    print(f"assignment: {'auto' if rules.auto else 'manual'} · default capacity {rules.default_capacity}")
    for a in rows:
        state = availability.status(a, now, rules.away_after)
        cap = a.capacity if a.capacity is not None else rules.default_capacity
        print(f"{a.name}\t{state}\t{','.join(a.languages) or '-'}\t{a.load}/{cap} open")
    return 0


def _assignment(args: argparse.Namespace) -> int:
    if args.capacity is not None and args.capacity < 1:
        return _fail("the capacity is at least 1")
    settings = settings_from(args)

    async def run() -> None:
        db = database(settings.database_url)
        try:
            async with db.write() as s:
                await repo.set_setting(s, "assignment", args.mode)
                if args.capacity is not None:
                    await repo.set_setting(s, "capacity", str(args.capacity))
        finally:
            await db.dispose()

    asyncio.run(run())
    print(f"assignment: {args.mode}")
    return 0


def _languages(args: argparse.Namespace) -> int:
    try:
        codes = availability.parse_languages(args.codes)
    except ValueError as exc:
        return _fail(str(exc))
    return _change(args, lambda s, agent_id: team_repo.set_languages(s, agent_id, codes), ",".join(codes))


def _capacity(args: argparse.Namespace) -> int:
    value = None if args.capacity == "default" else int(args.capacity) if args.capacity.isdigit() else 0
    if value is not None and value < 1:
        return _fail("the capacity is a number of at least 1, or 'default'")
    return _change(args, lambda s, agent_id: team_repo.set_capacity(s, agent_id, value), str(args.capacity))


def _change(args: argparse.Namespace, change: team_repo.Change, shown: str) -> int:
    settings = settings_from(args)
    email = args.email.strip().lower()

    async def run() -> bool:
        db = database(settings.database_url)
        try:
            async with db.write() as s:
                agent = await accounts_repo.agent_by_email(s, email)
                if agent is None:
                    return False
                await change(s, agent.id)
                return True
        finally:
            await db.dispose()

    if not asyncio.run(run()):
        return _fail(f"no account for {email}")
    print(f"{email}: {args.team_command} {shown}")
    return 0
