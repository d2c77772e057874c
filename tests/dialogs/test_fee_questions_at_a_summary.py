"""A question about the fee at a cancellation summary is answered in place and the flow goes on; a
"no" inside such a question ("is there no partial refund?") is no answer (issue 12, third held-out set)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.understanding import answers, understand, yesno
from tests.dialogs.support import Sim, bk

NOW = dt.datetime(2026, 3, 4, 1, 0, tzinfo=dt.UTC)
CONFIRM = answers.Expect(
    "yes_no",
    (
        answers.Option("confirm", ("Yes, cancel it",), "yes"),
        answers.Option("keep", ("No, keep my booking",), "no"),
    ),
)

FEE_QUESTIONS = [
    "hold on, 100%? isn't there any discount",
    "so I have to pay the whole fee? can't you waive it",
    "全額かかるんですか？半額とかにはならないんですか",
    "怎么要收全额？不能少收一点吗",
    "點解要收全數？唔可以減免咩",
    "전액 다 내야 돼요? 할인은 안 되나요?",
    "ต้องจ่ายเต็มจำนวนเลยเหรอคะ ไม่มีส่วนลดเหรอ",
    "phải trả toàn bộ phí luôn hả? không giảm phí được sao?",
]


@pytest.mark.parametrize("typed", FEE_QUESTIONS)
def test_a_fee_question_with_a_no_inside_is_a_question_about_the_fee_not_a_no(typed: str) -> None:
    read = answers.read(typed, CONFIRM, locale="en", now=NOW)
    assert isinstance(read, answers.NoFit) and read.reason == "question", read
    assert read.question_about == "fee" and read.then is None, read


@pytest.mark.parametrize("typed", ["no, why 100%?", "아니요, 왜 전액이에요?", "không ạ, sao lại 100% vậy?"])
def test_a_no_that_opens_the_reply_is_still_a_no(typed: str) -> None:
    assert yesno.classify(typed).value == "no"


@pytest.mark.parametrize("typed", FEE_QUESTIONS)
def test_a_fee_question_at_the_summary_is_answered_and_then_yes_files_it(typed: str) -> None:
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (bk("treatment", 1, id=1, fee=50_000),)
    s.send("cancel tomorrow's treatment")
    assert s.where() == ("cancellation", "explain")
    s.send(typed)
    assert s.where() == ("cancellation", "explain") and not s.filed
    assert "About fees" in s.text() and "confirm" in s.options()
    s.send("fine, yes cancel it")
    [request] = s.filed.values()
    assert request.kind == "cancellation" and request.fee_jpy == 50_000
