"""`counselbot telegram ...`: register or remove the webhook, the command menu, and show what Telegram knows.

`set-webhook URL` registers URL with a newly generated secret token and prints the line to put in
the server's environment (COUNSELBOT_TELEGRAM_WEBHOOK_SECRET=...). The bot token is read from the
settings and never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from urllib.parse import urlsplit, urlunsplit

from telegram.error import InvalidToken, TelegramError

from bot.config import Settings, load_settings
from bot.handlers.telegram.client import make_bot
from bot.handlers.telegram.updates import USED_KINDS
from bot.handlers.telegram.webhook import PATH

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class _BadInput(Exception):
    pass


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("telegram", help="the Telegram bot's webhook")
    commands = parser.add_subparsers(dest="telegram_command", metavar="COMMAND", required=True)

    setw = commands.add_parser(
        "set-webhook",
        help="register the webhook with a new secret token",
        description=(
            "Register URL (https) as the bot's webhook with a newly generated secret token, and print the "
            f"line to put in the server's environment. A URL without a path gets {PATH}; without URL, "
            "COUNSELBOT_PUBLIC_URL is used."
        ),
    )
    setw.add_argument(
        "url", nargs="?", metavar="URL", help=f"public https URL (default: PUBLIC_URL + {PATH})"
    )
    setw.add_argument(
        "--keep-secret",
        action="store_true",
        help="reuse COUNSELBOT_TELEGRAM_WEBHOOK_SECRET instead of generating a new one",
    )
    setw.add_argument(
        "--drop-pending", action="store_true", help="discard updates Telegram is still holding for the bot"
    )
    setw.set_defaults(func=_set_webhook)

    delw = commands.add_parser("delete-webhook", help="remove the webhook (for long polling)")
    delw.set_defaults(func=_delete_webhook)

    info = commands.add_parser("info", help="the bot's name and the webhook Telegram has registered")
    info.set_defaults(func=_info)

    cmds = commands.add_parser(
        "set-commands",
        help="register /start, /menu, /human, /language in every language",
        description=(
            "Register the bot's command menu with setMyCommands: one list per language code (ja, en, "
            "zh, ko, th, vi) with the descriptions from the catalogs, and an English list for every "
            "other language. Running it again replaces the lists with the same ones."
        ),
    )
    cmds.set_defaults(func=_set_commands)


def webhook_url(given: str | None, public_url: str | None) -> str:
    raw = given or (public_url.rstrip("/") + PATH if public_url else None)
    if not raw:
        raise _BadInput("give the webhook URL, or set COUNSELBOT_PUBLIC_URL")
    parts = urlsplit(raw)
    if parts.scheme != "https" or not parts.hostname:
        raise _BadInput(f"the webhook URL must be https://HOST/...; got {raw!r}")
    path = parts.path if parts.path not in ("", "/") else PATH
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _settings() -> Settings:
    settings = load_settings()
    if settings.telegram_bot_token is None:
        raise _BadInput("COUNSELBOT_TELEGRAM_BOT_TOKEN is not set")
    return settings


def _run(action: str, args: argparse.Namespace) -> int:
    try:
        settings = _settings()
        return asyncio.run(_ACTIONS[action](settings, args))
    except _BadInput as exc:
        print(f"counselbot telegram: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except InvalidToken:
        print(
            "counselbot telegram: Telegram refused the bot token (COUNSELBOT_TELEGRAM_BOT_TOKEN)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except TelegramError as exc:
        # Telegram's description names the problem (bad URL, certificate, ...), never the token.
        print(f"counselbot telegram: {type(exc).__name__}: {exc.message}", file=sys.stderr)
        return EXIT_FAILED


def _set_webhook(args: argparse.Namespace) -> int:
    return _run("set", args)


def _delete_webhook(args: argparse.Namespace) -> int:
    return _run("delete", args)


def _info(args: argparse.Namespace) -> int:
    return _run("info", args)


def _set_commands(args: argparse.Namespace) -> int:
    return _run("commands", args)


async def _do_set(settings: Settings, args: argparse.Namespace) -> int:
    url = webhook_url(args.url, settings.public_url)
    if args.keep_secret:
        if settings.telegram_webhook_secret is None:
            raise _BadInput("--keep-secret: COUNSELBOT_TELEGRAM_WEBHOOK_SECRET is not set")
        secret = settings.telegram_webhook_secret.get_secret_value()
    else:
        # Telegram allows 1-256 characters of A-Z a-z 0-9 _ -; token_urlsafe uses exactly those.
        secret = secrets.token_urlsafe(48)
    async with make_bot(settings) as bot:
        await bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=list(USED_KINDS),
            drop_pending_updates=args.drop_pending,
        )
        me = bot.bot
    print(f"Webhook of @{me.username} set to {url}")
    if args.keep_secret:
        print("It uses the secret already in COUNSELBOT_TELEGRAM_WEBHOOK_SECRET.")
    else:
        print("Put this line in the server's environment (or .env) and restart `counselbot serve`;")
        print("until then the server refuses Telegram's calls with 403 and Telegram retries them:")
        print()
        print(f"COUNSELBOT_TELEGRAM_WEBHOOK_SECRET={secret}")
    return 0


async def _do_delete(settings: Settings, args: argparse.Namespace) -> int:
    async with make_bot(settings) as bot:
        await bot.delete_webhook(drop_pending_updates=False)
        me = bot.bot
    print(
        f"Webhook of @{me.username} removed; set COUNSELBOT_TELEGRAM_POLLING=true to receive by long polling."
    )
    return 0


async def _do_info(settings: Settings, args: argparse.Namespace) -> int:
    async with make_bot(settings) as bot:
        info = await bot.get_webhook_info()
        me = bot.bot
    print(f"bot: @{me.username} (id {me.id})")
    print(f"webhook: {info.url or '(none: long polling)'}")
    print(f"pending updates: {info.pending_update_count}")
    if info.last_error_message:
        print(f"last error: {info.last_error_message}")
    return 0


async def _do_commands(settings: Settings, args: argparse.Namespace) -> int:
    from bot.handlers.telegram.commands import set_commands

    async with make_bot(settings) as bot:
        done = await set_commands(bot)
        me = bot.bot
    for code, locale in done:
        print(f"commands of @{me.username} set for {code or 'every other language'} ({locale})")
    return 0


_ACTIONS = {"set": _do_set, "delete": _do_delete, "info": _do_info, "commands": _do_commands}
