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

    def turn(label: str, target: dt.date | None) -> InlineKeyboardButton:
        if target is None or target == month:
            return _inert(BLANK)
        return _button(label, callbacks.page(token, target, min_date, max_date, locale))

    first = min_date.replace(day=1) if min_date else None
    last = max_date.replace(day=1) if max_date else None
    title_row = [
        turn("‹", _clamp(_add_months(month, -1), first, last)),
        _inert(format_skeleton("yMMMM", month, locale=loc)),
        turn("›", _clamp(_add_months(month, 1), first, last)),
    ]
    if first is None or last is None or (last.year - first.year) * 12 + last.month - first.month > 12:
        # A range of years (a date of birth): jumps of a year, to its ends at most.
        title_row.insert(0, turn("«", _clamp(_add_months(month, -12), first, last)))
        title_row.append(turn("»", _clamp(_add_months(month, 12), first, last)))
    rows: list[list[InlineKeyboardButton]] = [
        title_row,
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


def _add_months(month: dt.date, n: int) -> dt.date:
    index = min(max(month.year * 12 + month.month - 1 + n, 12), 9999 * 12 + 11)
    return dt.date(index // 12, index % 12 + 1, 1)


def _clamp(month: dt.date, first: dt.date | None, last: dt.date | None) -> dt.date | None:
    """`month` moved into [first, last] (None when no month is allowed at all)."""
    if first is not None and month < first:
        month = first
    if last is not None and month > last:
        month = last
    if first is not None and last is not None and first > last:
        return None
    return month


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def _inert(text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.NOOP)
