"""`counselbot agents add|disable|list|reset|reset-2fa`: the console's accounts.

`add` asks for the password twice on the terminal, reads one line with --password-stdin (scripts), or
with --generate prints a one-time password once (it is never stored in clear or logged), which the
agent must replace at the first sign-in. `reset` gives an agent a new one-time password the same way
and ends their sessions; `reset-2fa` removes their second factor (they enrol again).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import sys
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.console import passwords
from bot.console.clidb import add_database_option, database, database_url
from bot.console.validate import EMAIL
from storage.models import Agent
from storage.repositories import accounts
from storage.repositories import console as repo


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("agents", help="console accounts (agents and admins)")
    sub = parser.add_subparsers(dest="agents_command", metavar="COMMAND", required=True)

    add = sub.add_parser("add", help="create an account")
    add.add_argument("email")
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=("agent", "admin"), default="agent")
    how = add.add_mutually_exclusive_group()
    how.add_argument("--generate", action="store_true", help="print a generated one-time password")
    how.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add_database_option(add)
    add.set_defaults(func=_add)

    disable = sub.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("email")
    add_database_option(disable)
    disable.set_defaults(func=_disable)

    reset = sub.add_parser("reset", help="print a new one-time password; it must be changed at sign-in")
    reset.add_argument("email")
    add_database_option(reset)
    reset.set_defaults(func=_reset)

    reset_2fa = sub.add_parser("reset-2fa", help="remove an agent's two-factor authentication")
    reset_2fa.add_argument("email")
    add_database_option(reset_2fa)
    reset_2fa.set_defaults(func=_reset_2fa)

    listing = sub.add_parser("list", help="list the accounts")
    add_database_option(listing)
    listing.set_defaults(func=_list)


def _fail(message: str) -> int:
    print(f"counselbot agents: {message}", file=sys.stderr)
    return 2


def _password(args: argparse.Namespace) -> str | None:
    if args.generate:
        return passwords.generate()
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat it: ") != first:
        return None
    return first


def _add(args: argparse.Namespace) -> int:
    email = args.email.strip().lower()
    if not EMAIL.match(email):
        return _fail("that is not an e-mail address")
    name = args.name.strip()
    if not name or len(name) > 200:
        return _fail("give a name (at most 200 characters)")
    password = _password(args)
    if password is None:
        return _fail("the passwords did not match; nothing was created")
    try:
        passwords.check_policy(password, email)
        hashed = passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        return _fail(str(exc))

    async def run() -> bool:
        db = database(url)
        try:
            async with db.write() as s:
                if await repo.agent_by_email(s, email) is not None:
                    return False
                agent = repo.add_agent(s, email, name, args.role, hashed, must_change_password=args.generate)
                await s.flush()
                repo.audit(s, "cli", "agent.create", "agent", agent.id, {"role": args.role})
            return True
        finally:
            await db.dispose()

    url = database_url(args)
    if not asyncio.run(run()):
        return _fail(f"an account for {email} exists already")
    print(f"created {args.role} {email}")
    if args.generate:
        print(f"one-time password (shown once): {password}")
    return 0


def _email(args: argparse.Namespace) -> str:
    return str(args.email).strip().lower()


def _change_agent(
    args: argparse.Namespace, action: str, change: Callable[[AsyncSession, Agent], Awaitable[None]]
) -> bool:
    """Applies `change` to the account named by args.email, ends its sessions and audits `action`, in
    one transaction. False when there is no such account."""
    email = _email(args)

    async def run() -> bool:
        db = database(url)
        try:
            async with db.write() as s:
                agent = await repo.agent_by_email(s, email)
                if agent is None:
                    return False
                await change(s, agent)
                await repo.end_sessions_of(s, agent.id)
                repo.audit(s, "cli", action, "agent", agent.id)
            return True
        finally:
            await db.dispose()

    url = database_url(args)
    return asyncio.run(run())


def _disable(args: argparse.Namespace) -> int:
    async def disable(_s: AsyncSession, agent: Agent) -> None:
        agent.disabled_at = agent.disabled_at or dt.datetime.now(dt.UTC)

    if not _change_agent(args, "agent.disable", disable):
        return _fail(f"no account for {_email(args)}")
    print(f"disabled {_email(args)}; their sessions are ended")
    return 0


def _reset(args: argparse.Namespace) -> int:
    one_time = passwords.generate()
    hashed = passwords.hash_password(one_time)

    async def reset(_s: AsyncSession, agent: Agent) -> None:
        agent.password_hash, agent.must_change_password = hashed, True
        agent.password_changed_at = dt.datetime.now(dt.UTC)

    if not _change_agent(args, "agent.password_reset", reset):
        return _fail(f"no account for {_email(args)}")
    print(f"reset the password of {_email(args)}; their sessions are ended")
    print(f"one-time password (shown once; to be changed at the next sign-in): {one_time}")
    return 0


def _reset_2fa(args: argparse.Namespace) -> int:
    if not _change_agent(args, "agent.totp_reset", accounts.clear_second_factor):
        return _fail(f"no account for {_email(args)}")
    print(f"removed the two-factor authentication of {_email(args)}; their sessions are ended")
    return 0


def _list(args: argparse.Namespace) -> int:
    async def run() -> list[tuple[str, str, str, str, str]]:
        db = database(url)
        try:
            async with db.read() as s:
                return [
                    (
                        a.email,
                        a.name,
                        a.role,
                        "disabled" if a.disabled_at else "active",
                        "2fa" if a.totp_enabled_at else "no-2fa",
                    )
                    for a in await repo.list_agents(s)
                ]
        finally:
            await db.dispose()

    url = database_url(args)
    for row in asyncio.run(run()):
        print("\t".join(row))
    return 0
