"""The bot's command menu (the "/" button in Telegram), registered per language with setMyCommands.

Each command enters the same flow as the menu's button of that name, in every state of the
conversation (bot/handlers/telegram/inbound.py reads them as ChoiceIn(..., anywhere=True)); /start
opens the chat as a follow does. Descriptions are customer strings from the catalogs.

Telegram matches a list to the user's app language by a two-letter ISO 639-1 code, so the two Chinese
scripts cannot have a list each: "zh" gets Simplified Chinese. The list without a code (everyone
whose language has none of its own) is English.
"""

from __future__ import annotations

from telegram import Bot, BotCommand

from bot.dialogs.menu import HUMAN, LANGUAGE, MENU, human_option
from bot.i18n import Msg, msg, translator

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


def command_lists() -> list[tuple[str, str, list[BotCommand]]]:
    """(language_code, locale, commands): the default list ("") first, then one per language code."""
    wanted = [("", DEFAULT_LOCALE), *((code, locale) for locale, code in LANGUAGE_CODES.items())]
    out = []
    for code, locale in wanted:
        tr = translator(locale)
        out.append((code, locale, [BotCommand(name, tr.render(text)[:256]) for name, text in COMMANDS]))
    return out


async def set_commands(bot: Bot) -> list[tuple[str, str]]:
    """Register every list; returns (language_code, locale) of each, in order."""
    done = []
    for code, locale, commands in command_lists():
        await bot.set_my_commands(commands, language_code=code or None)
        done.append((code, locale))
    return done
