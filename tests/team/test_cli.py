"""`counselbot hours show|set|close|open|clear` and `counselbot team show|assignment|languages|capacity`."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import hours
from bot.cli import main
from bot.commands.hours import show_lines, weekdays


def run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--database-url", url])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_hours_set_close_open_clear_and_show(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    today = dt.datetime.now(hours.JST).date()
    closed = next(d for n in range(10, 20) if not hours.holiday(d := today + dt.timedelta(days=n)))
    holiday = next(d for n in range(1, 400) if hours.holiday(d := today + dt.timedelta(days=n)))
    name = hours.holiday(holiday)
    assert run(capsys, sqlite_url, "hours", "set", "mon-fri", "09:00-12:00,13:00-18:00")[1] == (
        "mon, tue, wed, thu, fri: 09:00-12:00, 13:00-18:00 (JST)\n"
    )
    assert run(capsys, sqlite_url, "hours", "set", "sat", "22:00-02:00")[0] == 0
    out = run(capsys, sqlite_url, "hours", "close", closed.isoformat(), "--note", "staff training")[1]
    assert out.endswith(": closed all day\n")
    assert run(capsys, sqlite_url, "hours", "open", holiday.isoformat())[1] == (
        f"{holiday.isoformat()} ({name}): open by the weekly hours\n"
    )
    code, out, _ = run(capsys, sqlite_url, "hours", "show", "--days", "400")
    assert code == 0
    assert (
        "  mon  09:00-12:00, 13:00-18:00\n" in out
        and "  sat  22:00-02:00\n" in out
        and "  sun  closed\n" in out
    )
    weekday = hours.WEEKDAYS[closed.weekday()]
    assert f"  {closed.isoformat()} {weekday}  closed  staff training" in out
    assert f"  {holiday.isoformat()} {hours.WEEKDAYS[holiday.weekday()]}  open (weekly hours)  {name}" in out
    assert "Now: " in out
    assert run(capsys, sqlite_url, "hours", "clear", holiday.isoformat())[0] == 0
    code, _, err = run(capsys, sqlite_url, "hours", "clear", holiday.isoformat())
    assert code == 2 and f"nothing was set for {holiday.isoformat()}" in err
    code, _, err = run(capsys, sqlite_url, "hours", "set", "mon", "9-18")
    assert code == 2 and "HH:MM-HH:MM" in err
    code, _, err = run(capsys, sqlite_url, "hours", "set", "someday", "closed")
    assert code == 2 and "not a weekday" in err


def test_weekday_ranges_wrap_round_the_week() -> None:
    assert weekdays("fri-mon") == [0, 4, 5, 6]
    assert weekdays("mon,wed") == [0, 2]


def test_show_lines_are_what_the_readme_shows() -> None:
    rules = hours.Rules(
        {d: hours.parse_intervals("09:00-18:00") for d in range(5)}, {dt.date(2026, 12, 30): False}
    )
    now = dt.datetime(2026, 12, 28, 1, 0, tzinfo=dt.UTC)  # Monday 10:00 JST
    lines = show_lines(rules, {dt.date(2026, 12, 30): "year-end"}, now, 14)
    assert lines[0] == "Weekly hours (JST):" and lines[1] == "  mon  09:00-18:00"
    assert "  2026-12-30 wed  closed  year-end" in lines
    assert "  2027-01-01 fri  closed (public holiday)  New Year's Day" in lines
    assert lines[-1] == "Now: open until Mon 2026-12-28 18:00 JST"


def test_team_commands(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    import io
    import sys

    stdin, sys.stdin = sys.stdin, io.StringIO("Correct-Horse-9-Battery\n")
    try:
        assert (
            run(
                capsys, sqlite_url, "agents", "add", "ann@agency.example", "--name", "Ann", "--password-stdin"
            )[0]
            == 0
        )
    finally:
        sys.stdin = stdin
    assert run(capsys, sqlite_url, "team", "languages", "ann@agency.example", "ja,th")[1] == (
        "ann@agency.example: languages ja,th\n"
    )
    assert run(capsys, sqlite_url, "team", "languages", "ann@agency.example", "ja,fr")[0] == 2
    assert run(capsys, sqlite_url, "team", "capacity", "ann@agency.example", "3")[0] == 0
    assert run(capsys, sqlite_url, "team", "capacity", "ann@agency.example", "none")[0] == 2
    assert run(capsys, sqlite_url, "team", "languages", "nobody@agency.example", "ja")[0] == 2
    assert run(capsys, sqlite_url, "team", "assignment", "auto", "--capacity", "4")[1] == "assignment: auto\n"
    code, out, _ = run(capsys, sqlite_url, "team", "show")
    assert code == 0
    assert out == "assignment: auto · default capacity 4\nAnn\toffline\tja,th\t0/3 open\n"
