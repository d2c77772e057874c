"""Rendered replies -> Telegram messages: keyboards, the calendar, splitting, callback_data limits."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import InlineKeyboardMarkup

from bot.handlers.telegram import calendar, callbacks, render
from bot.replies import Rendered, RenderedOption


def datas(markup: InlineKeyboardMarkup | None) -> list[str]:
    assert markup is not None
    return [str(b.callback_data) for row in markup.inline_keyboard for b in row]


def test_choices_become_an_inline_keyboard_of_short_ids_never_the_label() -> None:
    label = "Change the date of my consultation at the clinic in Ginza " * 3
    msg = Rendered(
        "choices",
        "What would you like to do?",
        (RenderedOption("change", label), RenderedOption("menu", "Menu")),
        "42",
    )
    [part] = render.parts(msg)
    assert part.text == "What would you like to do?"
    assert datas(part.markup) == ["c:42:change", "c:42:menu"]
    assert all(len(d.encode()) <= 64 for d in datas(part.markup))
    assert part.markup is not None and part.markup.inline_keyboard[0][0].text.startswith("Change the date")


def test_plain_text_has_no_keyboard() -> None:
    assert render.parts(Rendered("text", "Hello")) == [render.Part("Hello")]
    assert render.parts(Rendered("handoff", "A person will answer")) == [render.Part("A person will answer")]


def test_a_long_token_is_dropped_rather_than_exceeding_64_bytes() -> None:
    assert callbacks.choice("t" * 70, "change") == "c::change"
    assert callbacks.parse("c::change") == callbacks.ChoicePress("", "change")


@given(
    token=st.text(alphabet="0123456789", min_size=0, max_size=12),
    option=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-", min_size=1, max_size=24),
    day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
)
def test_callback_data_round_trips(token: str, option: str, day: dt.date) -> None:
    assert callbacks.parse(callbacks.choice(token, option)) == callbacks.ChoicePress(token, option)
    assert callbacks.parse(callbacks.day(token, day)) == callbacks.DayPress(token, day)
    month = day.replace(day=1)
    page = callbacks.parse(callbacks.page(token, month, day, day, "zh_Hant"))
    assert page == callbacks.PageTurn(token, month, day, day, "zh_Hant")
    for data in (
        callbacks.choice(token, option),
        callbacks.day(token, day),
        callbacks.page(token, month, day, day),
    ):
        assert callbacks.fits(data)


def test_the_date_picker_is_a_month_calendar_within_its_range() -> None:
    msg = Rendered(
        "date_picker",
        "Which day?",
        (RenderedOption("menu", "Menu"),),
        "9",
        min_date="2026-03-10",
        max_date="2026-04-20",
    )
    [part] = render.parts(msg, today=dt.date(2026, 3, 1))
    assert part.markup is not None
    rows = part.markup.inline_keyboard
    title = rows[0]
    assert title[1].text == "March 2026"
    assert title[0].callback_data == callbacks.NOOP  # nothing before March 10
    assert callbacks.parse(str(title[2].callback_data)) == callbacks.PageTurn(
        "9", dt.date(2026, 4, 1), dt.date(2026, 3, 10), dt.date(2026, 4, 20), None
    )
    assert [b.text for b in rows[1]] == ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
    days = [callbacks.parse(str(b.callback_data)) for row in rows[2:-1] for b in row]
    pressable = [d.day for d in days if isinstance(d, callbacks.DayPress)]
    assert pressable[0] == dt.date(2026, 3, 10) and pressable[-1] == dt.date(2026, 3, 31)
    assert all(len(row) == 7 for row in rows[1:-1])
    assert rows[-1][0].callback_data == "c:9:menu"


def test_the_last_month_has_no_next_button_and_other_languages_get_their_names() -> None:
    rows = calendar.month_rows("3", dt.date(2026, 4, 1), dt.date(2026, 3, 10), dt.date(2026, 4, 20), "ja")
    assert rows[0][1].text == "2026年4月"
    assert rows[0][2].callback_data == callbacks.NOOP
    assert str(rows[0][0].callback_data).startswith("m:3:202603")
    assert rows[1][0].text == "月"
    texts = [b.text for row in rows[2:] for b in row]
    assert "21" not in texts and calendar.DISABLED in texts


def test_a_range_of_years_gets_year_jumps_kept_within_it() -> None:
    lo, hi = dt.date(1900, 1, 1), dt.date(2026, 5, 17)
    rows = calendar.month_rows("4", dt.date(2026, 5, 1), lo, hi, "en")
    title = rows[0]
    assert [b.text for b in title] == ["«", "‹", "May 2026", " ", " "]
    assert callbacks.parse(str(title[0].callback_data)) == callbacks.PageTurn(
        "4", dt.date(2025, 5, 1), lo, hi, "en"
    )
    rows = calendar.month_rows("4", dt.date(1900, 6, 1), lo, hi, "en")
    first = callbacks.parse(str(rows[0][0].callback_data))
    assert isinstance(first, callbacks.PageTurn) and first.month == dt.date(1900, 1, 1)
    # A booking date within a year ahead needs no year jumps.
    rows = calendar.month_rows("4", dt.date(2026, 5, 1), dt.date(2026, 5, 17), dt.date(2027, 5, 17))
    assert len(rows[0]) == 3


def test_the_first_month_shown_is_todays_moved_into_range() -> None:
    today = dt.date(2026, 5, 17)
    assert calendar.initial_month(None, None, today) == dt.date(2026, 5, 1)
    assert calendar.initial_month(dt.date(2026, 7, 3), None, today) == dt.date(2026, 7, 1)
    assert calendar.initial_month(None, dt.date(2026, 2, 3), today) == dt.date(2026, 2, 1)


def test_a_long_text_is_split_at_4096_with_the_keyboard_on_the_last_piece() -> None:
    text = ("word " * 2000).strip()  # 9,999 characters
    msg = Rendered("choices", text, (RenderedOption("ok", "OK"),), "1")
    parts = render.parts(msg)
    assert len(parts) == 3
    assert all(len(p.text) <= 4096 for p in parts)
    assert " ".join(p.text for p in parts) == text
    assert [p.markup is not None for p in parts] == [False, False, True]


@pytest.mark.parametrize("char", ["a", "日", "😀"])
def test_splitting_counts_utf16_units_and_never_breaks_a_character(char: str) -> None:
    text = char * 9000
    pieces = render.split_text(text)
    assert "".join(pieces) == text
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in pieces)


def test_flatten_counts_every_telegram_message_of_a_row() -> None:
    msgs = (Rendered("text", "x" * 5000), Rendered("text", "short"))
    assert len(render.flatten(msgs)) == 3


def test_the_pressed_keyboard_becomes_an_inert_mark() -> None:
    markup = render.chosen("Change a booking")
    assert [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard] == [
        [("✓ Change a booking", "x")]
    ]
