"""The answer reader on what whole conversations showed: several dates in one message, corrections,
the yes-button's own verb typed, Thai labels, and a clock time read on the clinic's clock."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.understanding import answers as a
from bot.understanding.answers import Expect, Option, read
from tests.understanding.answer_sets import JST, NOW, options

D = dt.date


@pytest.mark.parametrize(
    ("locale", "text", "days"),
    [
        ("en", "march 18 or 19 would be good", (D(2026, 3, 18), D(2026, 3, 19))),
        ("en", "the 22nd or 23rd please", (D(2025, 12, 22), D(2025, 12, 23))),
        ("en", "18/03 or 20/03", (D(2026, 3, 18), D(2026, 3, 20))),
        ("ja", "3/18か3/20あたりだと助かります", (D(2026, 3, 18), D(2026, 3, 20))),
        ("ja", "22、23日でお願いします", (D(2025, 12, 22), D(2025, 12, 23))),
        ("zh_Hans", "3月18号或者3.20", (D(2026, 3, 18), D(2026, 3, 20))),
        ("zh_Hans", "3月18号或者20号都行", (D(2026, 3, 18), D(2026, 3, 20))),
        ("zh_Hant", "１月５日或７日", (D(2026, 1, 5), D(2026, 1, 7))),
        ("ko", "3월 18일이나 20일 가능할까요?", (D(2026, 3, 18), D(2026, 3, 20))),
        ("th", "วันที่ 22 หรือ 23 ธ.ค. ค่ะ", (D(2025, 12, 22), D(2025, 12, 23))),
        ("vi", "18 hoặc 20 tháng 3", (D(2026, 3, 18), D(2026, 3, 20))),
    ],
)
def test_every_date_of_one_message(locale: str, text: str, days: tuple[dt.date, ...]) -> None:
    got = read(text, Expect("date"), locale=locale, now=NOW)
    assert isinstance(got, a.DateAnswer) and (got.date, *got.also) == days


@pytest.mark.parametrize(
    ("locale", "text", "new", "rejected", "replaces"),
    [
        ("en", "not the 22nd, only the 23rd", D(2025, 12, 23), (D(2025, 12, 22),), "all"),
        ("en", "actually make it the 23rd", D(2025, 12, 23), (), "last"),
        ("ja", "あ、すみません22日じゃなくて23日でした", D(2025, 12, 23), (D(2025, 12, 22),), "last"),
        ("ko", "아 22일 말고 23일만요", D(2025, 12, 23), (D(2025, 12, 22),), "all"),
        ("zh_Hant", "不對，不是22號，是23號才對", D(2025, 12, 23), (D(2025, 12, 22),), "last"),
        ("zh_Hans", "改成23号吧", D(2025, 12, 23), (), "last"),
        ("th", "ไม่ใช่วันที่ 22 ค่ะ เป็นวันที่ 23", D(2025, 12, 23), (D(2025, 12, 22),), "last"),
        ("vi", "à không phải 22, chỉ ngày 23 thôi ạ", D(2025, 12, 23), (D(2025, 12, 22),), "all"),
    ],
)
def test_a_correction_says_what_it_drops(
    locale: str, text: str, new: dt.date, rejected: tuple[dt.date, ...], replaces: str
) -> None:
    got = read(text, Expect("date"), locale=locale, now=NOW)
    assert got == a.DateAnswer(new, (), rejected, replaces)


def test_an_added_date_replaces_nothing() -> None:
    got = read("also the 23rd", Expect("date"), locale="en", now=NOW)
    assert got == a.DateAnswer(D(2025, 12, 23))


_SEND = {
    "vi": ("Có, gửi đi", "Không, đừng gửi"),
    "zh_Hans": ("是，发送", "不，不发送"),
    "ja": ("はい、送信する", "いいえ、送信しない"),
    "en": ("Yes, send it", "No, don't send"),
}


@pytest.mark.parametrize(
    ("locale", "text", "want"),
    [
        ("vi", "gửi đi ạ", a.Yes()),
        ("vi", "đừng gửi", a.No()),
        ("zh_Hans", "发送吧", a.Yes()),
        ("zh_Hans", "不发送", a.No()),
        ("ja", "送信してください", a.Yes()),
        ("ja", "送信しないで", a.No()),
        ("en", "send it", a.Yes()),
        ("en", "don't send it", a.No()),
    ],
)
def test_the_yes_buttons_verb_typed_is_a_yes(locale: str, text: str, want: a.Reading) -> None:
    yes, no = _SEND[locale]
    opts = (Option("send", (yes,), "yes"), Option("keep", (no,), "no"), Option("menu", ("menu",)))
    assert read(text, Expect("yes_no", opts), locale=locale, now=NOW) == want


@pytest.mark.parametrize("text", ["发送吗", "gửi hả?", "khoan gửi đã", "等一下再发送", "wait, send it later"])
def test_the_verb_asked_is_no_yes(text: str) -> None:
    opts = (
        Option("send", ("是，发送", "Có, gửi đi"), "yes"),
        Option("keep", ("不，不发送", "Không, đừng gửi"), "no"),
    )
    assert isinstance(read(text, Expect("yes_no", opts), locale="vi", now=NOW), a.NoFit)


@pytest.mark.parametrize("text", ["ตกลงค่ะ", "ยอมรับค่ะ", "ได้ค่ะ", "โอเคค่ะ"])
def test_a_thai_yes_is_not_the_menu_button_it_brushes(text: str) -> None:
    assert read(text, Expect("yes_no", options("consent", "th")), locale="th", now=NOW) == a.Yes()


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("3h20 em mới tới", 20), ("着くのは15時40分ごろです", 40), ("2시 반쯤 도착해요", 0), ("15:30", 30)],
)
def test_a_clock_time_is_read_on_the_clinics_clock(text: str, minutes: int) -> None:
    # The appointment as the database gives it, in UTC: 15:00 JST.
    at = dt.datetime(2025, 12, 18, 15, 0, tzinfo=JST).astimezone(dt.UTC)
    assert read(text, Expect("minutes", appointment_at=at), locale="vi", now=NOW) == a.Minutes(minutes)
