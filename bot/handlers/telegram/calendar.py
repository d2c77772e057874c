"""The date picker as an inline month calendar: a title row with previous/next month, weekday names,
then the weeks (Monday first). Days outside [min, max] are shown but inert; page turns redraw the
keyboard in place (bot.handlers.telegram.updates), so the engine only hears about the day pressed.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton
from telegram import InlineKeyboardButton

from bot.handlers.telegram import callbacks
from bot.i18n import JST

BLANK = " "
DISABLED = "·"


def initial_month(
    min_date: dt.date | None, max_date: dt.date | None, today: dt.date | None = None
) -> dt.date:
    """The month shown first: today's (in JST), moved into the allowed range."""
    day = today or dt.datetime.now(JST).date()
    if min_date and day < min_date:
        day = min_date
    if max_date and day > max_date:
        day = max_date
    return day.replace(day=1)


def month_rows(
    token: str,
    month: dt.date,
    min_date: dt.date | None,
    max_date: dt.date | None,
    locale: str | None = None,
) -> list[list[InlineKeyboardButton]]:
    month = month.replace(day=1)
    loc = _locale(locale)
    prev_month = (month - dt.timedelta(days=1)).replace(day=1)
    next_month = _add_month(month)
    can_prev = min_date is None or _last_day(prev_month) >= min_date
    can_next = max_date is None or next_month <= max_date
    title = format_skeleton("yMMMM", month, locale=loc)
    rows: list[list[InlineKeyboardButton]] = [
        [
            _button("‹", callbacks.page(token, prev_month, min_date, max_date, locale))
            if can_prev
            else _inert(BLANK),
            _inert(title),
            _button("›", callbacks.page(token, next_month, min_date, max_date, locale))
            if can_next
            else _inert(BLANK),
        ],
        [_inert(loc.days["format"]["short"][i]) for i in range(7)],
    ]
    for week in _cal.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        row = []
        for d in week:
            if d.month != month.month:
                row.append(_inert(BLANK))
            elif (min_date and d < min_date) or (max_date and d > max_date):
                row.append(_inert(DISABLED))
            else:
                row.append(_button(str(d.day), callbacks.day(token, d)))
        rows.append(row)
    return rows


def _locale(locale: str | None) -> Locale:
    try:
        return Locale.parse((locale or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def _add_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _last_day(month: dt.date) -> dt.date:
    return _add_month(month) - dt.timedelta(days=1)


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def _inert(text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.NOOP)
