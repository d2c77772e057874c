"""Rendered replies -> Telegram messages: texts split at 4,096 characters, buttons as inline keyboards.

A reply's keyboard rides on its last piece, so the buttons sit under the end of the text they answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.handlers.telegram import calendar, callbacks
from bot.replies import Rendered

MAX_CHARS = 4096
CHOSEN_MARK = "✓ "


@dataclass(frozen=True, slots=True)
class Part:
    text: str
    markup: InlineKeyboardMarkup | None = None
    # An agent's file (sendPhoto / sendDocument): the Rendered's extra, with the attachment's token.
    file: dict[str, Any] = field(default_factory=dict)


def parts(message: Rendered, today: dt.date | None = None) -> list[Part]:
    if message.kind == "file":
        return [Part(message.text, file=dict(message.extra))]
    texts = split_text(message.text or "…")
    markup = keyboard(message, today)
    return [Part(t) for t in texts[:-1]] + [Part(texts[-1], markup)]


def flatten(messages: tuple[Rendered, ...], today: dt.date | None = None) -> list[Part]:
    """Every Telegram message an outbox row becomes, in order (the unit `parts_sent` counts)."""
    return [p for m in messages for p in parts(m, today)]


def keyboard(message: Rendered, today: dt.date | None = None) -> InlineKeyboardMarkup | None:
    option_rows = [
        [InlineKeyboardButton(o.label[:200] or o.id, callback_data=callbacks.choice(message.token, o.id))]
        for o in message.options
    ]
    if message.kind == "date_picker":
        lo, hi = _date(message.min_date), _date(message.max_date)
        locale = message.extra.get("locale") if isinstance(message.extra.get("locale"), str) else None
        rows = calendar.month_rows(message.token, calendar.initial_month(lo, hi, today), lo, hi, locale)
        return InlineKeyboardMarkup(rows + option_rows)
    return InlineKeyboardMarkup(option_rows) if option_rows else None


def chosen(label: str) -> InlineKeyboardMarkup:
    """What replaces a keyboard once a button on it was pressed: the choice, inert."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(CHOSEN_MARK + label, callback_data=callbacks.NOOP)]])


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Pieces of at most `limit` UTF-16 code units (Telegram's measure), cut at a line break or a
    space where one is near the end, never inside a surrogate pair."""
    pieces: list[str] = []
    rest = text
    while _units(rest) > limit:
        cut = _fit(rest, limit)
        window = rest[:cut]
        # A line break near the end first, else a space, else a hard cut.
        brk = window.rfind("\n")
        if brk <= cut // 2:
            brk = window.rfind(" ")
        if brk > cut // 2:
            cut = brk + 1
        pieces.append(rest[:cut].rstrip() or rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """The number of characters of `text` that fit in `limit` UTF-16 code units."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return i
    return len(text)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
