"""The bot's command menu (the "/" button in Telegram), registered per language with setMyCommands.

Each command enters the same flow as the menu's button of that name, in every state of the
conversation (bot/handlers/telegram/inbound.py reads them as ChoiceIn(..., anywhere=True)); /start
opens the chat as a follow does. Descriptions are customer strings from the catalogs.

Telegram matches a list to the user's app language by a two-letter ISO 639-1 code, so the two Chinese
scripts cannot have a list each: "zh" gets Simplified Chinese, and a chat whose conversation is in
Traditional Chinese gets its own list (scope: that chat) from `ChatCommands` after its next message —
removed again if the language changes. The list without a code (everyone whose language has none of
its own) is English.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.dialogs.menu import HUMAN, LANGUAGE, MENU, human_option
from bot.i18n import Msg, msg, translator
from storage.db import Database
from storage.repositories import conversations

log = logging.getLogger(__name__)

START = "start"
COMMANDS: tuple[tuple[str, Msg], ...] = (
    (START, msg("Start the chat")),
    (MENU, msg("Show the menu")),
    (HUMAN, human_option().label),
    (LANGUAGE, msg("Change the language")),
)
# Commands that are presses of the menu's buttons (/start is a follow).
MENU_COMMANDS = frozenset((MENU, HUMAN, LANGUAGE))
LANGUAGE_CODES = {"ja": "ja", "en": "en", "zh_Hans": "zh", "ko": "ko", "th": "th", "vi": "vi"}
DEFAULT_LOCALE = "en"
# Locales no language code reaches: their chats get a list of their own.
PER_CHAT = ("zh_Hant",)


def commands_in(locale: str) -> list[BotCommand]:
    tr = translator(locale)
    return [BotCommand(name, tr.render(text)[:256]) for name, text in COMMANDS]


def command_lists() -> list[tuple[str, str, list[BotCommand]]]:
    """(language_code, locale, commands): the default list ("") first, then one per language code."""
    wanted = [("", DEFAULT_LOCALE), *((code, locale) for locale, code in LANGUAGE_CODES.items())]
    return [(code, locale, commands_in(locale)) for code, locale in wanted]


async def set_commands(bot: Bot) -> list[tuple[str, str]]:
    """Register every list; returns (language_code, locale) of each, in order."""
    done = []
    for code, locale, commands in command_lists():
        await bot.set_my_commands(commands, language_code=code or None)
        done.append((code, locale))
    return done


class ChatCommands:
    """A chat-scoped command list for the chats whose language no language code reaches (zh_Hant).

    Remembered per process (a restart sets a chat's list once more: setMyCommands is idempotent).
    Best effort, after the event is stored: a failure only logs and the next message tries again.
    """

    MAX_TRACKED = 50_000

    def __init__(self, bot: Bot, db: Database) -> None:
        self.bot, self.db = bot, db
        self._set: dict[str, str] = {}

    async def follow(self, chat_id: str) -> None:
        async with self.db.read() as s:
            locale = await conversations.locale_of(s, "telegram", chat_id)
        has = self._set.get(chat_id)
        try:
            if locale in PER_CHAT and has != locale:
                await self.bot.set_my_commands(commands_in(locale), scope=BotCommandScopeChat(int(chat_id)))
                if len(self._set) >= self.MAX_TRACKED:
                    self._set.clear()
                self._set[chat_id] = locale
            elif locale not in PER_CHAT and has is not None:
                await self.bot.delete_my_commands(scope=BotCommandScopeChat(int(chat_id)))
                self._set.pop(chat_id, None)
        except (TelegramError, TimeoutError, OSError, ValueError) as exc:
            log.info("telegram: chat commands not set", extra={"error": type(exc).__name__})
