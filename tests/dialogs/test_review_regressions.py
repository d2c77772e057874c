"""What the session's review found in its own changes, each a regression test named after the bug."""

from __future__ import annotations

import pytest

from bot.dialogs import keywords
from bot.dialogs.booking_words import relative_booking
from bot.dialogs.change_words import sends_now
from bot.understanding import answers, understand
from bot.understanding.language import latin_unsure
from tests.dialogs.support import NOW, Sim, bk

TREATMENT = bk("treatment", 3, hour=14, id=2)
SURGERY = bk("surgery", 10, hour=10, id=1, fee=200_000)


def sim(*bookings: object) -> Sim:
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = bookings or (TREATMENT, SURGERY)  # type: ignore[assignment]
    return s


def test_regression_a_yes_beside_a_negated_cancel_at_the_summary_is_still_a_yes() -> None:
    s = sim(bk("treatment", 1, id=1), SURGERY)
    s.send("cancel tomorrow's appointment")
    s.send("Yes. Please don't cancel my other appointment though")
    assert [f.kind for f in s.filed.values()] == ["cancellation"]


@pytest.mark.parametrize(
    "text",
    [
        "確認のメールを送ってください",
        "예약 확인서 보내주세요",
        "gửi luôn hóa đơn cho em nha",
        "시간을 오후로 바꿔서 보내주세요",
    ],
)
def test_regression_a_request_to_be_sent_something_is_no_send_command(text: str) -> None:
    assert not sends_now(text)


@pytest.mark.parametrize(
    "text",
    ["I got in touch with the clinic at 3:30pm yesterday", "The documents arrived at 10:30, thanks"],
)
def test_regression_past_arrivals_are_no_late_notice(text: str) -> None:
    assert understand(text, NOW).intent != "late"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Còn bao nhiêu tiền phải trả ạ?", "payment"),
        ("Em mua vé máy bay về nước sớm nên muốn hủy lịch ngày 7", "cancel"),
        ("chuyen bay cua minh bi huy roi", "special_circumstance"),
    ],
)
def test_regression_vietnamese_con_bao_and_a_bought_ticket_are_no_storm_or_cancelled_flight(
    text: str, intent: str
) -> None:
    assert understand(text, NOW).intent == intent


def test_regression_a_hypothetical_emergency_is_asked_about_not_recorded() -> None:
    s = sim(SURGERY)
    s.send(
        "Hi, I just wanted to ask in advance: if there is an emergency and I cannot come to my surgery, "
        "what documents would I need to send you so that the fee can be waived?"
    )
    assert not s.filed


@pytest.mark.parametrize(
    "typed", ["手術はもう受けません", "手術は結局受けないです", "手術はやっぱり受けないことにしました"]
)
def test_regression_not_having_the_surgery_in_japanese_calls_it_off(typed: str) -> None:
    s = sim(SURGERY)
    s.send("手術の予約をキャンセルしたいです")
    assert s.where() == ("cancellation", "surgery")
    s.send(typed)
    assert s.top is not None and s.top.data.get("called_off") is True


def test_regression_a_reference_typed_wins_over_a_week_said_beside_it() -> None:
    s = sim()
    s.send("I want to change a booking")
    assert s.where() == ("booking_change", "choose")
    s.send(f"{TREATMENT.reference} please, I'd like next week instead")
    assert s.top is not None and s.top.data["booking_id"] == TREATMENT.id


@pytest.mark.parametrize(
    "text",
    [
        "我想取消今晚的预约",
        "마지막으로 여쭤볼게요, 취소하고 싶어요",
        "cancel my treatment, and maybe book again next week, then",
    ],
)
def test_regression_tonight_lastly_and_then_name_no_booking_by_place(text: str) -> None:
    tonight, later = bk("consultation", 0, hour=19, id=11), bk("surgery", 5, id=12)
    assert relative_booking(text, (tonight, later), NOW.date(), weeks=False) is None


def test_regression_the_new_date_is_not_taken_for_the_booking_on_it() -> None:
    s = sim()
    s.send("Can I move my appointment to the 14th?")
    assert s.where() == ("booking_change", "choose")


@pytest.mark.parametrize(
    "text",
    ["The trains are stopped because of the typhoon, I will be late", "台風で電車が止まっていて、遅れます"],
)
def test_regression_a_typhoon_that_makes_them_late_is_still_a_special_circumstance(text: str) -> None:
    assert understand(text, NOW).intent == "special_circumstance"


@pytest.mark.parametrize(
    "text",
    ["20日でしたら大丈夫です", "Sorry to bother you, what about the 20th?", "죄송한데 20일 오후는 어때요?"],
)
def test_regression_an_offer_after_an_apology_adds_the_date(text: str) -> None:
    got = answers.read(text, answers.Expect("date"), locale="en", now=NOW)
    assert isinstance(got, answers.DateAnswer) and got.replaces == ""


def test_regression_a_data_correction_and_a_booking_change_stay_two_requests() -> None:
    got = understand(
        "My phone number changed, it is now 090-1234-5678. Also please change the treatment to the 20th", NOW
    )
    assert [r.intent for r in got.requests] == ["privacy", "change"]


def test_regression_a_booking_date_typed_at_the_reference_is_no_birth_date() -> None:
    s = Sim(understand=understand)
    s.bookings = (bk(),)
    s.send("payment")
    s.send("I agree")
    s.send("I can't find the email, I booked it on 2026-02-10")
    s.send("BK-1001")
    assert s.where() == ("identity", "birth_date") and s.failures == 0


@pytest.mark.parametrize("typed", ["do you have any other days available?", "Is the clinic open at night?"])
def test_regression_a_question_at_the_dates_step_sets_no_time_of_day(typed: str) -> None:
    s = sim(TREATMENT)
    s.send("I'd like to change my appointment")
    s.send("the 18th")
    s.send(typed)
    assert s.where() == ("booking_change", "dates")


def test_regression_keeping_the_time_or_talking_to_staff_before_is_neither_never_mind_nor_a_person() -> None:
    assert not keywords.is_never_mind("时间照旧就行")
    assert not keywords.wants_human("我昨天和工作人员确认过了，想改到20号")


@pytest.mark.parametrize("text", ["Reschedule pls", "Talk to human"])
def test_regression_short_english_requests_still_show_english(text: str) -> None:
    assert not latin_unsure(text)
