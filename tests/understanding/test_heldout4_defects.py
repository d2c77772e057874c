"""What the fourth held-out set (tests/conversations/heldout4) found the understanding missing."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogs import keywords
from bot.i18n import JST
from bot.understanding import understand
from bot.understanding.answers import DateAnswer, Expect, read
from bot.understanding.options import option_number

NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=JST)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我想改療程的日期", "change"),
        ("想改13號嘅諮詢", "change"),
        ("我想改一下預約", "change"),
        ("咁我想刪除我嘅資料", "privacy"),
        ("修改我的姓名", "privacy"),
        (
            "chuyen bay Ha Noi - Tokyo toi nay cua minh bi huy vi bao tuyet ben Nhat, mai minh ko kip den"
            " buoi dieu tri dc",
            "special_circumstance",
        ),
        ("my flight is fine, I just want to cancel my appointment", "cancel"),
    ],
)
def test_intent(text: str, intent: str) -> None:
    assert understand(text, NOW).intent == intent


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("想問下你哋會唔會將我啲個人資料俾第三方？", None),  # a third party, not the third option
        ("第一次来日本", None),
        ("第三个", 3),
        ("第2", 2),
    ],
)
def test_di_is_an_option_number_only_as_an_ordinal(text: str, number: int | None) -> None:
    assert option_number(text, 8) == number


@pytest.mark.parametrize(
    "text",
    [
        "actually never mind, i'll keep my original appointment",
        "let's keep the old date",
        "算啦，都係唔改喇，照原本嗰日就得",
        "やっぱり元の日のままでお願いします",
        "그냥 원래대로 할게요",
        "ใช้วันเดิมค่ะ",
    ],
)
def test_keeping_the_original_booking_is_never_mind(text: str) -> None:
    assert keywords.is_never_mind(text)


@pytest.mark.parametrize(
    ("locale", "text", "days"),
    [
        ("en", "can i move my treatment on sat the 14th to next friday (the 13th)?", ("03-14", "03-13")),
        ("en", "sat 14th", ("03-14",)),
        ("en", "fri 13 march", ("03-13",)),
        ("ko", "14일 토요일", ("03-14",)),
        ("zh_Hans", "周六14号", ("03-14",)),
        ("th", "วันเสาร์ที่ 14", ("03-14",)),
        ("vi", "thu 7 ngay 14", ("03-14",)),
        # A weekday that is not that day of the month, or joined by "or": two dates.
        ("en", "friday the 14th", ("03-06", "03-14")),
        ("en", "friday or the 14th", ("03-06", "03-14")),
        ("en", "sat 10am", ("03-07",)),
    ],
)
def test_a_weekday_beside_its_day_of_the_month_is_one_date(
    locale: str, text: str, days: tuple[str, ...]
) -> None:
    # Held-out 4: "sat the 14th" was this Saturday (the 7th) and the 14th, both wished dates.
    got = read(text, Expect("date"), locale=locale, now=NOW)
    assert isinstance(got, DateAnswer)
    assert tuple(d.isoformat()[5:] for d in (got.date, *got.also)) == days


@pytest.mark.parametrize(
    ("text", "intent", "minutes"),
    [
        ("来週の施術の前って、今飲んでるピルやめたほうがいいですか？", "medical_question", None),
        ("should I stop the pill before my botox?", "medical_question", None),
        ("予約を変更したほうがいいですか？", "change", None),
        (
            "hey the yamanote line is stopped 😩 my appt's at 11:30 but i'm looking at getting there like 12:05",
            "late",
            35,
        ),
    ],
)
def test_understood(text: str, intent: str, minutes: int | None) -> None:
    got = understand(text, NOW)
    assert (got.intent, got.minutes_late) == (intent, minutes)


def test_regression_thai_sara_am_matches_the_dialogs_words() -> None:
    # NFKC splits ำ, and "ไม่ทำแล้ว" (not doing it anymore) never matched the surgery's "ไม่ทำ".
    assert keywords.normalize("ไม่ทำแล้วครับ") == "ไม่ทำแล้วครับ"
