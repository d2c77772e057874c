"""Typed answers read against the open question, through runtime.advance with the real understanding:
what fits is taken, what is said beside the question is answered, and a no stays a no."""

from __future__ import annotations

import pytest

from bot.effects import Escalate, FileRequest
from bot.understanding import understand
from tests.dialogs.support import Sim, bk


def sim(*bookings: object, linked: bool = True) -> Sim:
    s = Sim(linked=linked, consented=linked, understand=understand)
    s.bookings = tuple(bookings)  # type: ignore[arg-type]
    return s


@pytest.mark.parametrize(
    "typed", ["ok", "yes please", "はい、お願いします", "네, 취소해 주세요", "ได้ค่ะ", "係", "Có, hủy lịch"]
)
def test_a_typed_yes_or_the_buttons_label_confirms_the_question_on_screen(typed: str) -> None:
    s = sim(bk("treatment", 2, id=1, fee=40_000))
    s.send("I want to cancel my booking")
    assert s.where() == ("cancellation", "explain")
    s.send(typed)
    [request] = s.filed.values()
    assert request.kind == "cancellation" and request.fee_jpy == 20_000


def test_after_two_misses_a_yes_still_answers_the_open_question_not_the_offer() -> None:
    """Regression: a "yes" after "Would you like a person?" filed a 100% cancellation."""
    s = sim(bk("treatment", 1, id=1, fee=40_000))
    s.send("cancel")
    s.send("qwerty")
    s.send("asdf")
    assert "human" in s.options() and s.where() == ("cancellation", "explain")
    assert sum(1 for r in s.replies if type(r).__name__ in ("Choices", "DatePicker")) == 1
    s.send("no")
    assert not s.filed and "stays as it is" in s.text()


def test_no_with_another_flow_at_a_confirmation_moves_to_that_flow_and_files_nothing() -> None:
    s = sim(bk("treatment", 2, id=1, fee=40_000))
    s.send("cancel my booking")
    s.send("no, can I change the date instead?")
    assert s.where() == ("booking_change", "dates") and not s.filed


def test_no_to_the_surgery_question_is_only_this_appointment_even_with_another_day_in_it() -> None:
    s = sim(bk("surgery", 2, id=1, fee=120_000))
    s.send("手術の方の予約をキャンセルしたいです")
    assert s.where() == ("cancellation", "surgery")
    s.send("いいえ、手術は別の日に受けたいのでこの予約だけです")
    assert s.where() == ("cancellation", "explain") and "50%" in s.text()


def test_a_medical_question_gets_no_advice_and_a_yes_after_it_reaches_a_person() -> None:
    s = sim(bk("treatment", 10, id=1))
    s.send("is botox safe while breastfeeding?")
    assert "can't give medical advice" in s.text() and "human" in s.options()
    assert not [e for e in s.effects if isinstance(e, Escalate | FileRequest)], "no ticket for asking"
    s.send("yes please")
    assert s.mode == "queued" and not s.filed


@pytest.mark.parametrize("done", ["that's all", "就这个", "그게 다예요", "แค่นี้ค่ะ"])
def test_that_is_all_closes_the_list_of_dates_and_none_is_no_note(done: str) -> None:
    s = sim(bk("treatment", 10, id=1))
    s.send("I'd like to change my booking")
    s.send("2026-03-20")
    s.send(done)
    assert s.where() == ("booking_change", "time")
    s.send("afternoon")
    s.send("nothing")
    assert s.where() == ("booking_change", "confirm") and not s.filed


def test_a_fee_question_inside_a_change_is_answered_and_the_question_stays_open() -> None:
    s = sim(bk("treatment", 10, id=1))
    s.send("I'd like to change my booking")
    s.send("is there a fee for changing?")
    assert "person from our team will confirm" in s.text() and s.where() == ("booking_change", "dates")


@pytest.mark.parametrize("typed", ["31/2", "2/30", "Feb 30th", "30 February please"])
def test_a_day_the_calendar_does_not_have_is_named_as_such(typed: str) -> None:
    sim = Sim(bookings=(bk(),), linked=True, understand=understand)
    sim.send("I want to change my booking")
    sim.send(typed)
    assert "There is no such day in the calendar" in sim.text()
    assert "Which new date" in sim.text(), "the question is asked again"


def test_a_real_day_that_does_not_fit_is_not_called_impossible() -> None:
    sim = Sim(bookings=(bk(),), linked=True, understand=understand)
    sim.send("I want to change my booking")
    sim.send("hmm not sure")
    assert "no such day" not in sim.text()


def test_an_impossible_birth_date_is_named_as_such() -> None:
    sim = Sim(bookings=(bk(),))
    sim.send("payment")
    sim.send("yes")
    sim.send("BK-1001")
    sim.send("1990年2月30日")
    assert "There is no such day in the calendar: 2月30日" in sim.text()
