"""What a button carries in its callback_data (at most 64 bytes, so ids and the prompt token, never text).

  c:<token>:<option id>               a choice            -> ChoiceIn(option, token)
  d:<token>:<YYYYMMDD>                a day in a calendar -> DateIn(date, token)
  m:<token>:<YYYYMM>:<min>:<max>:<locale>  calendar page turn  -> the keyboard is redrawn in place, no event
  x                                   inert (calendar headers, blanks, the "chosen" mark)

The token is the engine's prompt token (a small number); it lets the dialogs spot a stale press.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MAX_BYTES = 64
NOOP = "x"


@dataclass(frozen=True, slots=True)
class ChoicePress:
    token: str
    option: str


@dataclass(frozen=True, slots=True)
class DayPress:
    token: str
    day: dt.date


@dataclass(frozen=True, slots=True)
class PageTurn:
    token: str
    month: dt.date  # the first day of the month to show
    min_date: dt.date | None
    max_date: dt.date | None
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class Inert:
    pass


Press = ChoicePress | DayPress | PageTurn | Inert


def fits(data: str) -> bool:
    return 1 <= len(data.encode()) <= MAX_BYTES


def choice(token: str, option: str) -> str:
    data = f"c:{token}:{option}"
    # A token that does not fit is dropped rather than the option: the press still works, only
    # without stale detection. Option ids are short by contract (bot.replies.Option).
    return data if fits(data) else f"c::{option}"


def day(token: str, d: dt.date) -> str:
    return f"d:{token}:{d:%Y%m%d}"


def page(
    token: str, month: dt.date, lo: dt.date | None, hi: dt.date | None, locale: str | None = None
) -> str:
    data = f"m:{token}:{month:%Y%m}:{_d(lo)}:{_d(hi)}:{locale or ''}"
    return data if fits(data) else f"m::{month:%Y%m}:::"


def parse(data: str | None) -> Press:
    """Decode callback_data; anything unknown or damaged is inert (answered, nothing done)."""
    if not data:
        return Inert()
    kind, _, rest = data.partition(":")
    try:
        if kind == "c":
            token, _, option = rest.partition(":")
            return ChoicePress(token, option) if option else Inert()
        if kind == "d":
            token, _, ymd = rest.partition(":")
            return DayPress(token, dt.datetime.strptime(ymd, "%Y%m%d").date())
        if kind == "m":
            token, ym, lo, hi, locale = rest.split(":")
            month = dt.datetime.strptime(ym, "%Y%m").date()
            return PageTurn(token, month, _parse_d(lo), _parse_d(hi), locale or None)
    except ValueError:
        return Inert()
    return Inert()


def _d(value: dt.date | None) -> str:
    return f"{value:%Y%m%d}" if value else ""


def _parse_d(value: str) -> dt.date | None:
    return dt.datetime.strptime(value, "%Y%m%d").date() if value else None
