"""Business hours in JST: is the team open at an instant, and when does it open next. Pure.

The rules are weekly intervals (several a weekday; an interval whose end is not after its start runs
past midnight into the next day, "22:00-02:00"), dated overrides (a closure, or a public holiday the
admins keep open) and Japan's public holidays from the maintained `holidays` package. A holiday is
closed unless an override opens it. An interval belongs to the day it starts on: Friday 22:00-02:00
still runs into a closed Saturday. Japan has no daylight-saving time, so JST is a fixed UTC+9 and
every computation here is wall-clock arithmetic in Asia/Tokyo.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays

JST = ZoneInfo("Asia/Tokyo")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far ahead `next_opening` looks: rules that open nowhere in this span are "closed until further notice".
HORIZON_DAYS = 400
_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


@dataclass(frozen=True, slots=True)
class Interval:
    """Opening hours on one weekday, in minutes after midnight JST. `end` <= `start` runs past midnight."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < 24 * 60 and 0 <= self.end <= 24 * 60) or self.start == self.end:
            raise ValueError("an interval opens and closes at different times within the day")

    @property
    def minutes(self) -> int:
        return (self.end - self.start) % (24 * 60) or 24 * 60

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


@dataclass(frozen=True, slots=True)
class Rules:
    # weekday (0 = Monday) -> its intervals
    weekly: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    # date -> True (open by the weekly hours, also on a holiday) | False (closed all day)
    overrides: Mapping[dt.date, bool] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return any(self.weekly.values())


@dataclass(frozen=True, slots=True)
class Day:
    date: dt.date
    intervals: tuple[Interval, ...]
    holiday: str | None
    # "weekly" | "holiday" (closed) | "closed" (an admin's closure) | "opened" (a holiday kept open)
    why: str


def parse_intervals(text: str) -> tuple[Interval, ...]:
    """ "09:00-12:00,13:00-18:00" (or "closed" / "") -> intervals; ValueError on anything else."""
    text = text.strip().lower()
    if text in ("", "closed", "-"):
        return ()
    out = []
    for part in text.replace(" ", "").split(","):
        m = _INTERVAL.match(part)
        if m is None:
            raise ValueError(f"not an interval: {part!r} (write HH:MM-HH:MM)")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"not a time of day: {part!r}")
        out.append(Interval(h1 * 60 + m1, h2 * 60 + m2))
    return tuple(sorted(out, key=lambda i: i.start))


def weekday_of(name: str) -> int:
    key = name.strip().lower()[:3]
    if key not in WEEKDAYS:
        raise ValueError(f"not a weekday: {name!r} (mon, tue, ... sun)")
    return WEEKDAYS.index(key)


@functools.cache
def _japan(year: int) -> Mapping[dt.date, str]:
    return dict(holidays.country_holidays("JP", years=year, language="en_US"))


def holiday(d: dt.date) -> str | None:
    """Japan's public holiday on `d` (its English name), or None."""
    return _japan(d.year).get(d)


def day(rules: Rules, d: dt.date) -> Day:
    """The opening hours that start on `d` (JST), and why."""
    name = holiday(d)
    override = rules.overrides.get(d)
    weekly = tuple(rules.weekly.get(d.weekday(), ()))
    if override is False:
        return Day(d, (), name, "closed")
    if name is not None and override is None:
        return Day(d, (), name, "holiday")
    return Day(d, weekly, name, "opened" if name is not None else "weekly")


def _spans(rules: Rules, first: dt.date, days: int) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Opening spans (JST-aware) of the intervals starting on `first` and the days after it, in order."""
    for n in range(days):
        d = first + dt.timedelta(days=n)
        midnight = dt.datetime.combine(d, dt.time(), JST)
        for i in day(rules, d).intervals:
            start = midnight + dt.timedelta(minutes=i.start)
            yield start, start + dt.timedelta(minutes=i.minutes)


def is_open(rules: Rules, at: dt.datetime) -> bool:
    local = at.astimezone(JST)
    return any(s <= local < e for s, e in _spans(rules, local.date() - dt.timedelta(days=1), 2))


def next_opening(rules: Rules, at: dt.datetime) -> dt.datetime | None:
    """The next instant (after `at`, JST-aware) the team opens; None within HORIZON_DAYS: not at all.

    While the team is open this is the start of the next span after the current one.
    """
    local = at.astimezone(JST)
    for start, _ in _spans(rules, local.date() - dt.timedelta(days=1), HORIZON_DAYS):
        if start > local and not is_open(rules, start - dt.timedelta(minutes=1)):
            return start
    return None


def closes_at(rules: Rules, at: dt.datetime) -> dt.datetime | None:
    """When the current opening ends (adjacent intervals count as one), or None when closed now."""
    local = at.astimezone(JST)
    end: dt.datetime | None = None
    for s, e in _spans(rules, local.date() - dt.timedelta(days=1), 9):
        if (end is None and s <= local < e) or (end is not None and s <= end < e):
            end = e
    return end


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def describe_week(rules: Rules) -> list[tuple[str, str]]:
    return [(WEEKDAYS[n], ", ".join(str(i) for i in rules.weekly.get(n, ())) or "closed") for n in range(7)]
