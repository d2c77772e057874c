"""After a switch from a cancellation to "change instead" (even one that also asks about the fee), the
next answers land on the right question: a date, "only that one", the time of day, no note, yes
(issue 12, third held-out set)."""

from __future__ import annotations

import pytest

from bot.dialogs import keywords
from bot.understanding import understand
from tests.dialogs.support import Sim, bk


@pytest.mark.parametrize(
    "switch",
    [
        "50%?? then can I just move it to another day instead?",
        "50%ですか…じゃあキャンセルじゃなくて日程変更はできますか？",
        "要扣50%？那不取消了，可以改期吗？",
        "要扣50%？咁唔取消喇，可唔可以改期？",
        "ถ้า 50% งั้นไม่ยกเลิกแล้ว ขอเลื่อนวันได้ไหมคะ",
        "50% hả? vậy em không hủy nữa, đổi ngày được không ạ?",
    ],
)
def test_a_switch_with_a_fee_question_moves_to_the_change_and_keeps_the_booking(switch: str) -> None:
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (bk("treatment", 2, id=1, fee=40_000),)
    s.send("cancel my friday booking")
    assert s.where() == ("cancellation", "explain")
    s.send(switch)
    assert s.where() == ("booking_change", "dates") and not s.filed


@pytest.mark.parametrize(
    "only",
    [
        "just the one",
        "only that day",
        "その日だけでお願いします",
        "就那天",
        "只要这个",
        "그날만요",
        "이거 하나만요",
        "แค่วันนั้นค่ะ",
        "ngày đó thôi ạ",
    ],
)
def test_only_that_one_closes_the_list_of_dates(only: str) -> None:
    assert keywords.is_done(only)
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (bk("treatment", 2, id=1, fee=40_000),)
    s.send("취소할게요")
    s.send("아 50%요? 그럼 취소 말고 날짜 변경은 돼요?")
    s.send("다음주 금요일이요")
    assert s.where() == ("booking_change", "dates")
    s.send(only)
    assert s.where() == ("booking_change", "time")


@pytest.mark.parametrize("not_done", ["한 시간만", "only if it's cheaper", "ngày đó có trống không?"])
def test_other_replies_with_only_do_not_close_the_list(not_done: str) -> None:
    assert not keywords.is_done(not_done)
