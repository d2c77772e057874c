"""bot.hours: open now and the next opening, from weekly hours, holidays and closures (JST)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import hours
from bot.dialogs.base import Facts, TeamFact
from bot.dialogs.handoff import notice, rounded_minutes
from bot.i18n import Translator
from bot.replies import Text

JST = hours.JST
WEEKDAYS_9_TO_18 = {d: hours.parse_intervals("09:00-18:00") for d in range(5)}


def jst(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=JST)


def test_weekly_hours_with_a_lunch_break() -> None:
    rules = hours.Rules({0: hours.parse_intervals("09:00-12:00, 13:00-18:00")})
    monday = (2026, 12, 7)
    assert not hours.is_open(rules, jst(*monday, 8, 59))
    assert hours.is_open(rules, jst(*monday, 9, 0))
    assert not hours.is_open(rules, jst(*monday, 12, 30))
    assert hours.next_opening(rules, jst(*monday, 12, 30)) == jst(*monday, 13, 0)
    assert hours.closes_at(rules, jst(*monday, 10)) == jst(*monday, 12)
    assert not hours.is_open(rules, jst(*monday, 18, 0))  # the end is exclusive
    # After Monday's close the next opening is the Monday after.
    assert hours.next_opening(rules, jst(*monday, 18, 0)) == jst(2026, 12, 14, 9)


def test_across_the_week_end() -> None:
    rules = hours.Rules(WEEKDAYS_9_TO_18)
    friday_evening = jst(2026, 12, 4, 19)
    assert not hours.is_open(rules, friday_evening)
    assert not hours.is_open(rules, jst(2026, 12, 6, 12))  # Sunday
    assert hours.next_opening(rules, friday_evening) == jst(2026, 12, 7, 9)


def test_an_interval_across_midnight_runs_into_the_next_day_even_a_closed_one() -> None:
    rules = hours.Rules({4: hours.parse_intervals("22:00-02:00")})  # Friday night only
    assert hours.is_open(rules, jst(2026, 12, 4, 23))
    assert hours.is_open(rules, jst(2026, 12, 5, 1, 59))  # Saturday, still Friday's interval
    assert not hours.is_open(rules, jst(2026, 12, 5, 2))
    assert hours.closes_at(rules, jst(2026, 12, 4, 23)) == jst(2026, 12, 5, 2)
    assert hours.next_opening(rules, jst(2026, 12, 5, 3)) == jst(2026, 12, 11, 22)


def test_adjacent_intervals_over_midnight_are_one_opening() -> None:
    rules = hours.Rules({0: hours.parse_intervals("18:00-24:00"), 1: hours.parse_intervals("00:00-03:00")})
    assert hours.closes_at(rules, jst(2026, 12, 7, 20)) == jst(2026, 12, 8, 3)
    # Tuesday 00:00 is not an opening: the team was open a minute before.
    assert hours.next_opening(rules, jst(2026, 12, 7, 20)) == jst(2026, 12, 14, 18)


def test_a_public_holiday_is_closed_unless_the_admins_open_it() -> None:
    # 23 Nov 2026 (a Monday) is Labour Thanksgiving Day in Japan.
    assert hours.holiday(dt.date(2026, 11, 23)) == "Labor Thanksgiving Day"
    rules = hours.Rules(WEEKDAYS_9_TO_18)
    assert not hours.is_open(rules, jst(2026, 11, 23, 10))
    assert hours.day(rules, dt.date(2026, 11, 23)).why == "holiday"
    assert hours.next_opening(rules, jst(2026, 11, 23, 10)) == jst(2026, 11, 24, 9)
    opened = hours.Rules(WEEKDAYS_9_TO_18, {dt.date(2026, 11, 23): True})
    assert hours.is_open(opened, jst(2026, 11, 23, 10))
    assert hours.day(opened, dt.date(2026, 11, 23)).why == "opened"


def test_a_closure_and_the_new_year_holidays() -> None:
    closure = {dt.date(2026, 12, 30): False, dt.date(2026, 12, 31): False}
    rules = hours.Rules(WEEKDAYS_9_TO_18, closure)
    assert not hours.is_open(rules, jst(2026, 12, 30, 10))
    # 31 Dec closed, 1 Jan a holiday, 2-3 Jan the week end: open again Monday 4 Jan 2027.
    assert hours.next_opening(rules, jst(2026, 12, 29, 18)) == jst(2027, 1, 4, 9)


def test_utc_instants_are_read_in_jst_without_daylight_saving() -> None:
    rules = hours.Rules(WEEKDAYS_9_TO_18)
    # 00:30 UTC on Monday is 09:30 JST, in summer as in winter.
    assert hours.is_open(rules, dt.datetime(2026, 7, 6, 0, 30, tzinfo=dt.UTC))
    assert hours.is_open(rules, dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.UTC))
    assert not hours.is_open(rules, dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC))


def test_no_opening_at_all_is_none() -> None:
    assert hours.next_opening(hours.Rules(), jst(2026, 12, 7)) is None


@pytest.mark.parametrize("bad", ["9-18", "09:00-09:00", "25:00-26:00", "09:00-24:30"])
def test_bad_intervals_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        hours.parse_intervals(bad)


def render(team: TeamFact, locale: str, tz: str | None) -> list[str]:
    tr = Translator(locale, tz)
    replies = notice(Facts(channel="webchat", locale=locale, team=team))
    # CLDR puts a narrow no-break space before AM/PM; compared here as a plain space.
    return [tr.render(r.text).replace("\u202f", " ") for r in replies if isinstance(r, Text)]


CLOSED = TeamFact(open_now=False, next_opening=jst(2026, 12, 7, 9), anyone_online=False, expected_wait=None)


def test_the_notice_outside_hours_names_the_opening_in_japan_and_the_customers_time() -> None:
    (line,) = render(CLOSED, "en", "Asia/Taipei")
    assert line == (
        "Our team is away at the moment and will answer from Mon, Dec 7, 9:00 AM Japan time (8:00 AM in Taipei)."
    )
    (ja,) = render(CLOSED, "ja", "Asia/Taipei")
    assert "12月7日月曜日" in ja and "9:00" in ja and "8:00" in ja and "台北" in ja
    # A customer in Los Angeles reads their own day: Sunday 6 Dec, 4 PM.
    (la,) = render(CLOSED, "en", "America/Los_Angeles")
    assert "Sun, Dec 6 4:00 PM in Los Angeles" in la
    (plain,) = render(CLOSED, "en", None)
    assert plain.endswith("9:00 AM Japan time.")


def test_the_notice_never_promises_a_person_now_when_nobody_is_online() -> None:
    nobody = TeamFact(
        open_now=True, next_opening=None, anyone_online=False, expected_wait=dt.timedelta(minutes=3)
    )
    (line,) = render(nobody, "en", None)
    assert "Nobody from our team is at their desk" in line and "minutes" not in line


def test_the_expected_wait_is_rounded_and_an_estimate() -> None:
    online = TeamFact(
        open_now=True, next_opening=None, anyone_online=True, expected_wait=dt.timedelta(minutes=11)
    )
    (line,) = render(online, "en", None)
    assert "about 15 minutes" in line and "estimate" in line
    assert rounded_minutes(dt.timedelta(seconds=10)) == 5
    long = TeamFact(open_now=True, next_opening=None, anyone_online=True, expected_wait=dt.timedelta(hours=3))
    assert "about 3 hours" in render(long, "en", None)[0]


def test_urgent_outside_hours_says_the_on_call_person_was_alerted() -> None:
    lines = render(TeamFact(False, jst(2026, 12, 7, 9), False, None, on_call=True), "en", None)
    assert len(lines) == 2 and "person on call" in lines[1]
