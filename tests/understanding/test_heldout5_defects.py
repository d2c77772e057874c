"""What the fifth held-out set (tests/conversations/heldout5) found the understanding missing."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogs.booking_words import relative_booking
from bot.i18n import JST
from bot.understanding import understand
from bot.understanding.language import choice
from bot.understanding.options import content_scores
from tests.dialogs.support import bk

NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=JST)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # A late notice whose reason is the journey, minutes still to come: late, not a circumstance.
        (
            "so sorry, I'm going to be late for my 10:30, the train stopped after an accident on the line",
            "late",
        ),
        ("ขอโทษนะคะ รถติดมาก มีอุบัติเหตุบนทางด่วน คงไปสายแน่ๆค่ะ", "late"),
        ("我今天的線上諮詢可能沒辦法準時上線", "late"),
        ("I have a fever, I'll be late", "special_circumstance"),
        # "หวัดดี" is a casual hello, not a cold; guilt is not illness.
        ("หวัดดีค่ะ อยากจะ cancel นัดนึงค่ะ", "cancel"),
        (
            "I feel terrible because you have all been so helpful, but I need to cancel my appointment",
            "cancel",
        ),
        ("I feel terrible today, fever and all", "special_circumstance"),
    ],
)
def test_intent(text: str, intent: str) -> None:
    assert understand(text, NOW).intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "それならキャンセルはやめておきます",
        "งั้นไม่ cancel แล้วค่ะ ไปตามนัดดีกว่า",
        "oh then I won't cancel, I'll keep it",
        "那不取消了",
    ],
)
def test_a_cancellation_called_off_is_negated(text: str) -> None:
    assert "cancel" in understand(text, NOW).negated


def test_regression_being_able_to_speak_japanese_is_no_language_choice() -> None:
    # "友達が日本語できる" (my friend speaks Japanese) switched the chat to Japanese and asked again.
    assert choice("友達が日本語できるので通訳なしでもいけるかなって", "ja") == (None, False)
    assert choice("日本語でお願いします", "en")[0] == "ja"


def test_regression_kana_across_a_particle_match_no_button() -> None:
    # "にはそちら" and "予約はそのまま" shared "はそ": a question at the summary pressed "keep my booking".
    labels = [("はい、キャンセルする", "Yes, cancel it"), ("いいえ、予約はそのまま", "No, keep my booking")]
    assert content_scores("クリニックにはそちらから伝えてもらえるんですか？", labels) == [0, 0]
    assert content_scores("予約はそのままでお願いします", labels)[1] > 0


SOON = bk("consultation", 1, id=1)  # Thursday 5 March
LATER = bk("treatment", 9, id=2)  # Friday 13 March, next week
THIRD = bk("treatment", 16, id=3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the later one pls. thursday's still fine", LATER),
        ("the earlier one", SOON),
        ("来週のほうです！", LATER),
        ("뒤에 있는 거요", LATER),
        ("앞에 있는 거요", SOON),
        ("cái sau ạ, cái thứ 6 tuần này e vẫn đi", LATER),
        ("อันแรกค่ะ", SOON),
        ("后面那个", LATER),
        ("the surgery", None),
    ],
)
def test_a_booking_named_by_its_place(text: str, expected: object) -> None:
    assert relative_booking(text, (SOON, LATER), NOW.date()) == expected


def test_with_three_bookings_only_the_last_or_a_week_names_one() -> None:
    assert relative_booking("the later one", (SOON, LATER, THIRD), NOW.date()) is None
    assert relative_booking("the last one", (SOON, LATER, THIRD), NOW.date()) == THIRD
    assert relative_booking("this week's", (SOON, LATER, THIRD), NOW.date()) == SOON


def test_regression_a_weekday_far_from_a_date_is_its_own_date() -> None:
    # "on Friday ... to Wed 18th or Fri 20th": the first Friday was taken for "beside" the 20th (a
    # search for "nothing but a comma, up to the end" matched the end of any text), and the 20th lost.
    from bot.understanding.answers import DateAnswer, Expect, read

    text = "The online call on Friday is still fine. Could I move the other one to Wed 18th or Fri 20th?"
    got = read(text, Expect("date"), locale="en", now=NOW)
    assert isinstance(got, DateAnswer)
    assert {d.isoformat() for d in (got.date, *got.also)} == {"2026-03-06", "2026-03-18", "2026-03-20"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("push the appointment next week back to the 18th", LATER),
        ("来週の予約を変更したい", LATER),
        # Where the booking should go, not which it is.
        ("can I move my appointment to next week?", None),
        ("cho e đổi lịch sang tuần sau dc ko", None),
    ],
)
def test_a_week_in_a_first_message_names_a_booking_only_beside_it(text: str, expected: object) -> None:
    assert relative_booking(text, (SOON, LATER), NOW.date(), weeks=False) == expected


@pytest.mark.parametrize(
    "text",
    [
        "my surname is spelled wrong on it. It says Whitfeild but it should be Whitfield",
        "名前のローマ字表記が間違っているので修正をお願いします。SATO ではなく SATOH です",
        "영문 이름이 KIM MINJI로 되어 있는데 여권에는 KIM MINJEE예요. 바꿔주세요",
    ],
)
def test_a_correction_with_its_new_value_up_front_is_filed_without_asking_again(text: str) -> None:
    from tests.dialogs.support import Sim

    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (LATER,)
    s.send(text)
    [filed] = s.filed.values()
    assert filed.details["action"] == "correct" and filed.details["note"]


@pytest.mark.parametrize(
    "text",
    [
        "my little boy has been burning up all night and there's no one else who can look after him",
        "คุณแม่เส้นเลือดในสมองแตก ถูกส่งโรงพยาบาล ตอนนี้อยู่ไอซียูค่ะ",
        "my dad is in the ICU after a stroke",
    ],
)
def test_an_emergency_told_without_the_usual_words_is_a_special_circumstance(text: str) -> None:
    assert understand(text, NOW).intent == "special_circumstance"


def test_a_story_told_up_front_is_recorded_without_asking_what_happened() -> None:
    from tests.dialogs.support import Sim

    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (bk("surgery", 2, id=4),)
    s.send(
        "We're meant to fly out tomorrow night for my procedure on Friday, but there's been a family emergency "
        "at home and honestly I don't think I can get away this week at all, I'm so sorry to do this"
    )
    [filed] = s.filed.values()
    assert filed.kind == "special" and filed.booking_id == 4


@pytest.mark.parametrize(
    "typed", ["那这个取消费怎么付？可以用支付宝吗", "how do I pay it? can I use a card?"]
)
def test_how_to_pay_asked_at_the_cancellation_summary_is_answered_in_place(typed: str) -> None:
    from tests.dialogs.support import Sim

    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (bk("treatment", 1, id=5),)
    s.send("I need to cancel tomorrow's appointment")
    s.send(typed)
    assert s.where() == ("cancellation", "explain") and "How to pay" in s.text()
    s.send("ok, send it")
    assert [f.kind for f in s.filed.values()] == ["cancellation"]
