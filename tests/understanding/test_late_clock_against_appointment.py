"""Lateness given as the appointment's time and the arrival's (issue 12, third held-out set): "appt is
4pm but eta 4:25", an online consultation joined late ("13:10くらいからの参加"), Vietnamese "11h" as
eleven o'clock. Other phrasings than the corpus's, in every language."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.understanding import answers, clock, understand
from bot.understanding.text import normalize

NOW = dt.datetime(2026, 3, 4, 1, 0, tzinfo=dt.UTC)
JST = dt.timezone(dt.timedelta(hours=9))


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("booked for 2pm, eta 2:15 sorry", 15),
        ("my session is at 11am, I'll show up around 11:40", 40),
        ("the online consult is at 3pm, can only join at 3:10", 10),
        ("15時の予約ですが、着くのは15時20分ごろです", 20),
        ("14時からのオンライン、14時15分くらいに入室します", 15),
        ("预约是下午3点，我大概3点20才能上线", 20),
        ("約係下午三點，我三點半先到", 30),
        ("예약이 3시인데 3시 20분쯤 접속할 것 같아요", 20),
        ("นัดบ่ายสามโมง แต่น่าจะถึงบ่ายสามโมงครึ่งค่ะ", 30),
        ("hẹn 9h mà chắc 9h45 em mới tới", 45),
        ("lịch 14h, em 14h20 mới vào được", 20),
        ("lịch hẹn 2h chiều, chắc 3h em mới đến", 60),
    ],
)
def test_two_clock_times_give_how_late(typed: str, minutes: int) -> None:
    u = understand(typed, NOW)
    assert (u.intent, u.minutes_late) == ("late", minutes), u


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("chắc 11h mới tới", 30),
        ("11h em tới", 30),
        ("tầm 11h15 ạ", 45),
        ("em trễ 1h", 60),
        ("muộn khoảng 1h", 60),
    ],
)
def test_vietnamese_hours_against_a_10h30_appointment(typed: str, minutes: int) -> None:
    at = dt.datetime(2026, 3, 4, 10, 30, tzinfo=JST)
    read = answers.read(typed, answers.Expect("minutes", appointment_at=at), locale="vi", now=NOW)
    assert read == answers.Minutes(minutes)


@pytest.mark.parametrize("typed", ["trễ 1h", "muộn 2h", "khoảng 1h nữa", "thêm 1h"])
def test_a_vietnamese_hour_count_is_no_clock_time(typed: str) -> None:
    assert clock.find(normalize(typed)) == []


@pytest.mark.parametrize(
    "typed",
    [
        # Probe 5: the verb was a form the arrival words did not list (들어갈, เข้าได้), so an arrival
        # time alone was "other" and the customer got the menu back.
        "11시 40분쯤에나 들어갈 수 있을 것 같아요",
        "3시 반쯤 갈게요",
        "น่าจะเข้าได้ประมาณ 11 โมงครึ่ง",
        "我大概11点40才能进去",
        "11時40分ごろなら行けそうです",
        "I can only come at 11:40",
    ],
)
def test_an_arrival_time_said_with_another_verb_is_a_late_notice(typed: str) -> None:
    assert understand(typed, NOW).intent == "late"


@pytest.mark.parametrize(
    "typed",
    [
        "11시로 바꾸고 싶어요",
        "เปลี่ยนเป็น 11 โมงได้ไหม",
        "can I come at 11:40 instead of 10",
        "我11点有预约，想改到下周",
    ],
)
def test_a_new_time_asked_for_is_still_a_change(typed: str) -> None:
    assert understand(typed, NOW).intent == "change"
