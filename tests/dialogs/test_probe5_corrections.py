"""Conversation probe 5: changes of mind, corrections and what the first message already said,
through the real understanding (bot.understanding.understand) and the engine's own turn."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.events import ChoiceIn
from bot.understanding import answers, understand
from tests.dialogs.support import NOW, Sim, bk

SURGERY = bk("surgery", 10, hour=10, id=1, fee=200_000)
TREATMENT = bk("treatment", 3, hour=14, id=2, fee=40_000)  # Saturday 7 March


def sim() -> Sim:
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (SURGERY, TREATMENT)
    return s


def test_dont_cancel_just_move_it_at_the_surgery_question_changes_the_booking() -> None:
    # "don't cancel" was read as "No, only this appointment": the fee summary of a cancellation.
    s = sim()
    s.send("I want to cancel my surgery")
    assert s.where() == ("cancellation", "surgery")
    s.send("actually dont cancel it, just move it")
    assert s.where() == ("booking_change", "dates")
    assert s.top is not None and s.top.data["booking_id"] == SURGERY.id
    assert not s.filed


@pytest.mark.parametrize("typed", ["not that one, the treatment", "no, the treatment please"])
def test_the_other_booking_named_at_the_cancellation_summary_is_cancelled_instead(typed: str) -> None:
    # It was "please answer yes or no", and a yes then cancelled the surgery.
    s = sim()
    s.send("cancel my booking")
    s.send("the surgery")
    s.send("yes the surgery is off")
    assert s.where() == ("cancellation", "explain")
    s.send(typed)
    assert s.where() == ("cancellation", "explain")
    assert "50%" in s.text() and "Treatment" in s.text()
    s.send("yes")
    [filed] = s.filed.values()
    assert (filed.kind, filed.booking_id, filed.details["fee"]["fee_jpy"]) == ("cancellation", 2, 20_000)


@pytest.mark.parametrize(
    ("first", "time"),
    [
        ("I need to move my treatment to next friday afternoon", "afternoon"),
        ("시술 예약 다음주 금요일 오후로 바꾸고 싶어요", "afternoon"),
        ("我想把治疗改到下周五下午", "afternoon"),
        ("can I move my morning appointment to the 13th?", None),
    ],
)
def test_a_time_of_day_said_with_the_new_date_is_not_asked_again(first: str, time: str | None) -> None:
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (TREATMENT,)
    s.send(first)
    assert s.top is not None and s.top.data["dates"] == ["2026-03-13"]
    assert s.top.data.get("time") == time
    s.send(ChoiceIn("dates_done"))
    assert s.where() == ("booking_change", "time" if time is None else "note")


def test_this_saturdays_appointment_names_the_booking_and_the_other_date_is_the_new_one() -> None:
    s = sim()
    s.send("can I move this saturday's appointment to the 18th?")
    assert s.where() == ("booking_change", "dates")
    assert s.top is not None and s.top.data["booking_id"] == TREATMENT.id
    assert s.top.data["dates"] == ["2026-03-18"]


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("zh_Hant", "抱歉，我是說20號"),
        ("zh_Hans", "不好意思，我的意思是20号"),
        ("en", "sorry, the 20th"),
        ("ja", "すみません、20日でした"),
        ("ko", "죄송해요 20일이요"),
        ("th", "ขอโทษค่ะ หมายถึงวันที่ 20"),
        ("vi", "xin loi, y minh la ngay 20"),
    ],
)
def test_an_apology_or_i_meant_before_a_date_corrects_the_last_one(locale: str, text: str) -> None:
    # The zh_Hant correction was added as a third wished date.
    got = answers.read(text, answers.Expect("date"), locale=locale, now=NOW)
    assert isinstance(got, answers.DateAnswer) and got.date == dt.date(2026, 3, 20)
    assert got.replaces == "last"


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en", "sorry, can I also add the 20th?"),
        ("zh_Hant", "不好意思，再加一個20號"),
        ("ko", "20일도 괜찮아요"),
    ],
)
def test_an_apology_that_adds_a_date_adds_it(locale: str, text: str) -> None:
    got = answers.read(text, answers.Expect("date"), locale=locale, now=NOW)
    assert isinstance(got, answers.DateAnswer) and got.replaces == ""


def test_sorry_i_meant_the_20th_replaces_the_date_in_the_flow() -> None:
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (TREATMENT,)
    s.send("I'd like to change my appointment")
    s.send("the 18th")
    s.send("sorry, I meant the 20th")
    assert s.top is not None and s.top.data["dates"] == ["2026-03-20"]


@pytest.mark.parametrize(
    "typed", ["actually never mind, i'll keep my original appointment", "算啦，都係唔改喇，照原本嗰日就得"]
)
def test_never_mind_after_a_date_is_not_no_more_dates(typed: str) -> None:
    # Held-out 4: it moved on to the time of day, as "no more dates" would.
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (TREATMENT,)
    s.send("I'd like to change my appointment")
    s.send("the 18th")
    s.send(typed)
    assert s.where() == ("menu", "main") and not s.filed


@pytest.mark.parametrize(
    "typed", ["oh 100%? then I won't cancel, I'll keep it", "hmm then dont cancel it", "那不取消了"]
)
def test_regression_not_cancelling_at_the_summary_sends_nothing_and_ok_thanks_after_it_neither(
    typed: str,
) -> None:
    # Held-out 5: the fee question beside it was answered, the summary shown again, and "ok thanks"
    # then sent the cancellation the customer had just called off.
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (bk("treatment", 1, id=7),)
    s.send("I want to cancel tomorrow's appointment")
    assert s.where() == ("cancellation", "explain")
    s.send(typed)
    assert s.where() == ("menu", "main")
    s.send("ok thanks")
    assert not s.filed


def test_the_later_one_is_picked_not_the_day_said_to_stay() -> None:
    s = sim()
    s.send("I need to cancel one of my appointments")
    assert s.where() == ("cancellation", "choose")
    s.send("the later one pls. saturday's still fine")
    assert s.top is not None and s.top.data["booking_id"] == SURGERY.id


@pytest.mark.parametrize(
    ("typed", "time"),
    [("buổi chiều ạ", "afternoon"), ("오전이요", "morning"), ("ok. afternoon ideally", "afternoon")],
)
def test_a_time_of_day_where_another_date_could_be_added_ends_the_dates(typed: str, time: str) -> None:
    # Held-out 5: "Please choose a date" three times over.
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (TREATMENT,)
    s.send("I'd like to change my appointment")
    s.send("the 18th")
    s.send(typed)
    assert s.where() == ("booking_change", "note")
    assert s.top is not None and s.top.data["time"] == time


@pytest.mark.parametrize("typed", ["就这一个", "그거 하나면 돼요", "特にないです", "hết r ạ", "het roi a"])
def test_that_one_is_enough_ends_the_dates(typed: str) -> None:
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (TREATMENT,)
    s.send("I'd like to change my appointment")
    s.send("the 18th")
    s.send(typed)
    assert s.where() == ("booking_change", "time")


def test_regression_dates_at_the_end_of_a_long_first_message_are_kept() -> None:
    # The first message was kept to 300 characters: the dates after a long story were asked again.
    story = "Good morning! Hope you're well. " + "Bit of a long story, our plans moved. " * 8
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (TREATMENT,)
    s.send(story + "Could I move my appointment to Wed 18th or Fri 20th?")
    assert s.top is not None and s.top.data["dates"] == ["2026-03-18", "2026-03-20"]


def test_at_what_next_after_a_late_notice_another_day_is_a_change() -> None:
    # Held-out 5: "40分も遅れるならもう別の日にしたいです" repeated the minutes and was taken for "on my way".
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (bk("consultation", 0, hour=13, id=9),)
    s.send("I'm running late for my 1pm, I'll be there around 1:40")
    assert s.where() == ("late_arrival", "after")
    s.send("if I'm 40 minutes late I'd rather change to another day")
    assert s.where() == ("booking_change", "dates")
    assert [f.kind for f in s.filed.values()] == ["late"]


@pytest.mark.parametrize("typed", ["提交", "送信でお願いします", "ok gửi đi ạ"])
def test_the_send_verb_in_other_words_confirms_the_change(typed: str) -> None:
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (TREATMENT,)
    s.send("I'd like to change my appointment")
    s.send("the 18th")
    s.send("that's all")
    s.send("afternoon")
    s.send("no")
    assert s.where() == ("booking_change", "confirm")
    s.send(typed)
    assert [f.kind for f in s.filed.values()] == ["change"]
