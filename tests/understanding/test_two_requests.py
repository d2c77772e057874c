"""Two requests in one message are both kept, in the customer's order (bot.understanding.requests);
one request said with "and", a reason, a correction or an undecided "or" are one."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.understanding import understand

NOW = dt.datetime(2026, 12, 3, 8, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "first", "then", "then_says"),
    [
        (
            "I want to cancel DEMO-ONLINE and also move DEMO-TREATMENT to next week",
            "cancel",
            "change",
            "treatment",
        ),
        ("I want to move my surgery and cancel the consultation", "change", "cancel", "consultation"),
        ("I'll be late. Also I want to delete my data", "late", "privacy", "delete"),
        ("明日のオンライン診察はキャンセルして、施術は来週に変更したいです", "cancel", "change", "施術"),
        ("取消明天的线上咨询，另外把治疗改到下周", "cancel", "change", "治疗"),
        ("取消明天的線上諮詢，還有把療程改到下週", "cancel", "change", "療程"),
        ("내일 상담은 취소하고, 그리고 시술은 다음 주로 변경하고 싶어요", "cancel", "change", "시술"),
        ("ยกเลิกนัดพรุ่งนี้ และขอเลื่อนทรีตเมนต์ไปสัปดาห์หน้า", "cancel", "change", "เลื่อน"),
        ("Hủy lịch tư vấn ngày mai và đổi lịch điều trị sang tuần sau", "cancel", "change", "điều trị"),
    ],
)
def test_two_requests_in_their_order(text: str, first: str, then: str, then_says: str) -> None:
    u = understand(text, NOW)
    assert [r.intent for r in u.requests] == [first, then]
    assert then_says in u.requests[1].text and then_says not in u.requests[0].text
    assert u.alternative is None, "not asked which: both are wanted"


@pytest.mark.parametrize(
    "text",
    [
        "cancel or move it?",
        "キャンセルか変更か迷っています",
        "I don't want to cancel, just change it",
        "I want to cancel. I mean change it to next week",
        "actually not cancel, move it to friday",
        "I need to reschedule, I can't make it, sorry",
        "cancel and refund please",
        "can I change the date and time",
        "I want to cancel, how much will it cost?",
        "I'm sick, cancel the surgery and change the treatment",
        "please cancel my booking, thanks",
    ],
)
def test_one_request(text: str) -> None:
    assert understand(text, NOW).requests == ()
