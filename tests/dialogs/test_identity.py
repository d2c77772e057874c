from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from bot.dialogs.base import Done, Frame, Push, Transition
from bot.dialogs.identity import IdentityDialog
from bot.effects import AttemptLink, RecordConsent
from bot.events import ChoiceIn, DateIn, SystemIn
from bot.understanding import understand
from tests.dialogs.edges import Edges
from tests.dialogs.support import (
    BIRTH,
    NOW,
    REFERENCE,
    Sim,
    bk,
    ctx,
    effects_of,
    facts,
    options_of,
    start,
    step,
    text_of,
)

E = Edges("identity")
D = IdentityDialog()


@E("start", "already linked")
def _already_linked() -> Transition:
    t = start("identity", facts(bk()))
    assert isinstance(t.next, Done) and t.next.result == {"linked": True}
    assert t.replies == ()
    return t


@E("start", "linking locked")
def _locked() -> Transition:
    t = start("identity", facts(linked=False, locked_until=NOW + dt.timedelta(minutes=30)))
    assert isinstance(t.next, Done) and t.next.result["linked"] is False
    assert "paused for an hour" in text_of(t.replies)
    return t


@E("start", "consent given before")
def _consented() -> Transition:
    t = start("identity", facts(linked=False, consented=True))
    assert "booking reference" in text_of(t.replies)
    return t


@E("start", "consent given before, reference in the link")
def _consented_with_link() -> Transition:
    t = start("identity", facts(linked=False, consented=True), reference="demo-treatment")
    assert "date of birth" in text_of(t.replies)
    assert isinstance(t.next, Frame) and t.next.data["reference"] == "DEMO-TREATMENT"
    return t


@E("start", "privacy summary")
def _summary() -> Transition:
    t = start("identity", facts(linked=False))
    said = text_of(t.replies)
    assert "Before I ask for any personal data" in said and "see, correct or delete" in said
    assert "booking reference" not in said.split("Do you agree?")[1], "nothing personal asked before consent"
    assert options_of(t.replies) == ["consent_yes", "consent_no", "menu"]
    assert t.effects == ()
    return t


@E("consent", "agree (consent recorded)")
def _agree() -> Transition:
    t = step("identity", "consent", ChoiceIn("consent_yes"), facts(linked=False))
    assert effects_of(t, RecordConsent) == [RecordConsent()]
    assert "booking reference" in text_of(t.replies)
    return t


@E("consent", "agree, reference in the link")
def _agree_with_link() -> Transition:
    t = step("identity", "consent", ChoiceIn("consent_yes"), facts(linked=False), link_reference="BK-77")
    assert effects_of(t, RecordConsent) == [RecordConsent()]
    assert "date of birth" in text_of(t.replies)
    assert isinstance(t.next, Frame) and t.next.data["reference"] == "BK-77"
    return t


def test_a_deep_link_with_a_reference_starts_linking_from_the_menu() -> None:
    from bot.events import FollowIn

    t = start("menu", facts(linked=False), body=FollowIn("BK-77"), payload="BK-77")
    assert isinstance(t.next, Push) and t.next.dialog == "identity" and t.next.args == {"reference": "BK-77"}


@E("consent", "decline")
def _decline() -> Transition:
    t = step("identity", "consent", "no", facts(linked=False))
    assert isinstance(t.next, Done) and t.next.result == {"linked": False, "declined": True}
    assert t.effects == ()
    assert "won't ask for any personal data" in text_of(t.replies)
    return t


@E("start", "consent given before, reference and birth date said (check)")
def _consented_and_said() -> Transition:
    t = start("identity", facts(linked=False, consented=True), said="cancel BK-1001 born 1 April 1990")
    assert effects_of(t, AttemptLink) == [AttemptLink("BK-1001", BIRTH)]
    assert isinstance(t.next, Frame) and t.next.step == "checking"
    return t


@E("consent", "agree, reference and birth date said (check)")
def _agree_with_both_said() -> Transition:
    t = step("identity", "consent", "ok, BK-1001, born 1 April 1990", facts(linked=False))
    assert t.effects[0] == RecordConsent(), "consent is recorded before the data is used"
    assert effects_of(t, AttemptLink) == [AttemptLink("BK-1001", BIRTH)]
    return t


@E("consent", "a reference or birth date typed instead (kept until agreed)")
def _reference_instead_of_consent() -> Transition:
    t = step("identity", "consent", "bk1001", facts(linked=False))
    assert t.effects == (), "nothing is checked or recorded before the customer agrees"
    assert isinstance(t.next, Frame) and t.next.step == "consent"
    assert t.next.data["link_reference"] == "BK-1001"
    assert "once you have agreed" in text_of(t.replies) and "Do you agree?" in text_of(t.replies)
    return t


@E("reference", "reference, with the birth date said before (check)")
def _reference_after_said_birth() -> Transition:
    t = step("identity", "reference", "BK-1001", facts(linked=False), link_births=["1990-04-01"])
    assert effects_of(t, AttemptLink) == [AttemptLink("BK-1001", BIRTH)]
    assert isinstance(t.next, Frame) and not t.next.data.get("link_births")
    return t


def test_reference_and_birth_date_typed_at_the_consent_are_not_asked_again() -> None:
    sim = Sim(bookings=(bk(),))
    sim.send("payment")
    sim.send("BK-1001")
    sim.send("1990-04-01")
    assert not sim.linked and "Do you agree?" in sim.text()
    sim.send(ChoiceIn("consent_yes"))
    assert sim.linked, "linked with what was typed before the consent, nothing asked again"


def test_a_declined_consent_forgets_what_was_typed() -> None:
    sim = Sim(bookings=(bk(),))
    sim.send("payment")
    sim.send("BK-1001")
    sim.send("no thanks")
    assert not sim.linked and "won't ask for any personal data" in sim.text()
    assert all("BK-1001" not in str(f.data) for f in sim.state.frames)


@pytest.mark.parametrize(
    "first",
    [
        "running 15 min late for my 2pm appointment",
        "my flight JL123 is delayed, I'll be late",
        "I have covid-19 and can't come",
        "i am 35 and want to cancel",
        "cancel my visit of 2025-11-30",
    ],
)
def test_a_first_message_without_a_reference_gives_none(first: str) -> None:
    t = start("identity", facts(linked=False, consented=True), said=first)
    assert isinstance(t.next, Frame) and t.next.step == "reference", "nothing taken for a reference"
    assert t.effects == ()


def test_a_birth_date_in_the_first_message_is_not_asked_again() -> None:
    sim = Sim(bookings=(bk(),), consented=True)
    sim.send("I'd like to cancel, I was born on 1 April 1990")
    assert "booking reference" in sim.text() and "date of birth" not in sim.text()
    sim.send("BK-1001")
    assert sim.linked


@E("reference", "booking reference")
def _reference() -> Transition:
    t = step("identity", "reference", " bk-1001 ", facts(linked=False))
    assert isinstance(t.next, Frame) and t.next.data["reference"] == "BK-1001"
    assert "date of birth" in text_of(t.replies)
    return t


@E("reference", "reference and birth date (check)")
def _both() -> Transition:
    t = step("identity", "reference", "My booking is BK-1001, born 1990/4/1", facts(linked=False))
    assert effects_of(t, AttemptLink) == [AttemptLink("BK-1001", BIRTH)]
    assert t.replies == ()
    return t


@E("reference", "a birth date typed first (kept, the reference asked again)")
def _birth_before_reference() -> Transition:
    t = step("identity", "reference", "my birthday is april 1 1990", facts(linked=False))
    assert isinstance(t.next, Frame) and t.next.data["link_births"] == ["1990-04-01"]
    assert "booking reference" in text_of(t.replies) and not effects_of(t, AttemptLink)
    return t


def test_a_birth_date_typed_before_the_reference_is_not_asked_again() -> None:
    sim = Sim(bookings=(bk(),), understand=understand)
    sim.send("payment")
    sim.send(ChoiceIn("consent_yes"))
    sim.send("my birthday is april 1 1990")
    sim.send(REFERENCE)
    assert sim.linked


def test_regression_the_20th_beside_a_birth_date_is_no_corrected_reference() -> None:
    # "1 April 1990. and the new date would be the 20th": "20TH" was checked as a new reference.
    sim = Sim(bookings=(bk(),), understand=understand)
    sim.send("payment")
    sim.send(ChoiceIn("consent_yes"))
    sim.send(REFERENCE)
    sim.send("1 April 1990. and the new date would be the 20th")
    assert sim.linked and sim.failures == 0


def test_words_added_to_the_identity_answers_reach_the_flow() -> None:
    sim = Sim(bookings=(bk(days=8),), understand=understand)
    sim.send("I want to move my appointment")
    sim.send(ChoiceIn("consent_yes"))
    sim.send(f"{REFERENCE}, born 1 April 1990, and the new date would be the 20th")
    assert sim.linked and sim.where() == ("booking_change", "dates")
    assert sim.top is not None and sim.top.data["dates"] == ["2026-03-20"]


@E("birth_date", "date of birth (check)")
def _birth() -> Transition:
    t = step("identity", "birth_date", DateIn(BIRTH), facts(linked=False), reference="BK-1001")
    assert effects_of(t, AttemptLink) == [AttemptLink("BK-1001", BIRTH)]
    assert isinstance(t.next, Frame) and t.next.data.get("reference") is None, "not kept in the state"
    return t


@E("birth_date", "a corrected booking reference")
def _birth_reference_corrected() -> Transition:
    # Regression: the corrected reference was not read, and the next check used the typo.
    t = step("identity", "birth_date", "BK-1001", facts(linked=False), reference="BK-1010")
    assert isinstance(t.next, Frame) and t.next.step == "birth_date" and t.next.data["reference"] == "BK-1001"
    assert effects_of(t, AttemptLink) == [], "no try spent"
    both = step(
        "identity", "birth_date", "sorry it's BK-1001, 1990-04-01", facts(linked=False), reference="BK-1010"
    )
    assert effects_of(both, AttemptLink) == [AttemptLink("BK-1001", BIRTH)]
    for not_one in ("Mary-Jane", "1990-02-30"):
        again = step("identity", "birth_date", not_one, facts(linked=False), reference="BK-1010")
        assert again.missed and effects_of(again, AttemptLink) == []
    return t


@E("birth_date", "a date read two ways (each reading checked in turn)")
def _birth_two_ways() -> Transition:
    t = step("identity", "birth_date", "01/04/1990", facts(linked=False), reference="BK-1001")
    assert effects_of(t, AttemptLink) == [AttemptLink("BK-1001", BIRTH)], "day first checked first"
    assert isinstance(t.next, Frame) and t.next.data["other_births"] == ["1990-01-04"]
    assert t.replies == (), "not asked back: the check tells which reading is right"
    return t


@E("checking", "no match: the other reading of the birth date (check)")
def _other_reading() -> Transition:
    data: dict[str, Any] = {"other_births": ["1990-01-04"], "pending_reference": "BK-1001"}
    wrong = SystemIn("link_result", {"result": "wrong", "left": "4"})
    t = step("identity", "checking", wrong, facts(linked=False), **data)
    assert effects_of(t, AttemptLink) == [AttemptLink("BK-1001", dt.date(1990, 1, 4))]
    assert t.replies == (), "the first reading's miss is not reported"
    assert isinstance(t.next, Frame) and not t.next.data.get("other_births")
    return t


def test_the_other_reading_is_not_tried_when_no_try_is_left() -> None:
    data: dict[str, Any] = {"other_births": ["1990-01-04"], "pending_reference": "BK-1001"}
    wrong = SystemIn("link_result", {"result": "wrong", "left": "0"})
    t = step("identity", "checking", wrong, facts(linked=False), **data)
    assert effects_of(t, AttemptLink) == []
    assert isinstance(t.next, Frame)
    assert not t.next.data.get("other_births") and not t.next.data.get("pending_reference"), "not kept"


@pytest.mark.parametrize(
    ("typed", "reference"),
    [
        ("BK-2104, 1 April 1990", "BK-2104"),
        ("H2-ZT02，生日民國79年4月1日", "H2-ZT02"),
        ("h2-zs01 生日90年4月1号", "H2-ZS01"),
        ("bk 1001 ngày sinh 1/4/1990", "BK-1001"),
        ("ＢＫ－１００１　１９９０年４月１日", "BK-1001"),
    ],
)
def test_reference_and_birth_date_in_one_message(typed: str, reference: str) -> None:
    t = step("identity", "reference", typed, replace(facts(linked=False), locale="vi"))
    assert effects_of(t, AttemptLink) == [AttemptLink(reference, BIRTH)]


@pytest.mark.parametrize("typed", ["BK1001", "bk 1001", "my booking number is bk-1001 thanks"])
def test_reference_typed_without_its_hyphen_is_canonical(typed: str) -> None:
    t = step("identity", "reference", typed, facts(linked=False))
    assert isinstance(t.next, Frame) and t.next.data["reference"] == "BK-1001"


@E("checking", "match: linked")
def _ok() -> Transition:
    t = step("identity", "checking", SystemIn("link_result", {"result": "ok"}), facts(bk()))
    assert isinstance(t.next, Done) and t.next.result == {"linked": True}
    assert "now linked" in text_of(t.replies)
    return t


@E("checking", "no match: tries left")
def _wrong() -> Transition:
    t = step(
        "identity", "checking", SystemIn("link_result", {"result": "wrong", "left": "3"}), facts(linked=False)
    )
    said = text_of(t.replies)
    assert "don't match our records" in said and "You have 3 more tries." in said
    assert "booking reference" in said
    return t


@E("checking", "locked for an hour, agents alerted")
def _lock() -> Transition:
    t = step("identity", "checking", SystemIn("link_result", {"result": "locked"}), facts(linked=False))
    assert isinstance(t.next, Done) and t.next.result == {"linked": False, "locked": True}
    assert "paused for an hour" in text_of(t.replies)
    return t


test_transition = E.test()


@pytest.mark.parametrize(
    "typed",
    [
        "1990-04-01",
        "1990/4/1",
        "1990.04.01",
        "19900401",
        "1990年4月1日",
        "1990년 4월 1일",
        "１９９０－０４－０１",
    ],
)
def test_birth_date_typed_in_common_forms(typed: str) -> None:
    t = step("identity", "birth_date", typed, facts(linked=False), reference="BK-1001")
    assert effects_of(t, AttemptLink) == [AttemptLink("BK-1001", BIRTH)]


@pytest.mark.parametrize("typed", ["4/1", "tomorrow", "2990-01-01", "1990-02-30", "hello"])
def test_birth_date_that_is_impossible_or_future_is_re_asked(typed: str) -> None:
    t = step("identity", "birth_date", typed, facts(linked=False), reference="BK-1001")
    assert t.missed and t.effects == ()


@pytest.mark.parametrize(
    "typed", ["hi", "cancel", "I don't know my booking number", "??", "my ref is A1 or B2"]
)
def test_text_without_one_clear_reference_is_re_asked(typed: str) -> None:
    assert step("identity", "reference", typed, facts(linked=False)).missed


def test_a_button_at_the_reference_step_is_a_miss_not_a_reference() -> None:
    assert step("identity", "reference", ChoiceIn("consent_yes"), facts(linked=False)).missed


def test_typed_text_while_checking_is_taken_as_a_new_reference() -> None:
    t = step("identity", "checking", "BK-2002", facts(linked=False))
    assert isinstance(t.next, Frame) and t.next.step == "birth_date"


def test_lock_in_the_past_does_not_block() -> None:
    t = start("identity", facts(linked=False, locked_until=NOW - dt.timedelta(minutes=1)))
    assert isinstance(t.next, Frame) and t.next.step == "consent"


def test_five_wrong_answers_lock_and_the_sixth_is_refused_without_checking() -> None:
    sim = Sim(bookings=(bk(),))
    sim.send("payment")
    sim.send(ChoiceIn("consent_yes"))
    for i in range(4):
        sim.send("BK-1001")
        sim.send("1991-01-01")
        assert "don't match" in sim.text() and f"You have {4 - i} more tr" in sim.text()
    sim.send("BK-1001")
    sim.send("1991-01-01")
    assert "paused for an hour" in sim.text() and sim.locked_until is not None
    assert sim.tickets == 1, "the agents were alerted once"
    sim.send("payment")
    assert "paused for an hour" in sim.text(), "even the right answer is not asked for while locked"
    assert not sim.linked


def test_consent_is_asked_once_per_identity() -> None:
    sim = Sim(bookings=(bk(),))
    sim.send("payment")
    sim.send(ChoiceIn("consent_yes"))
    sim.send("menu")
    sim.send("payment")
    assert "Before I ask for any personal data" not in sim.text()
    assert "booking reference" in sim.text()


def test_prompts_of_every_step_are_not_empty() -> None:
    c = ctx("x", facts(linked=False))
    for name in ("consent", "reference", "birth_date", "checking"):
        assert D.prompt(Frame("identity", name, {}), c)


@pytest.mark.parametrize(
    ("typed", "reference"),
    [
        ("h3 en01", "H3-EN01"),
        ("my ref is h3 en01", "H3-EN01"),
        ("予約番号は h3 ja01 です", "H3-JA01"),
        ("mã đặt lịch là h3 vi01 nhé", "H3-VI01"),
        ("예약번호 h3 ko01 이에요", "H3-KO01"),
        ("หมายเลขการจอง h3 th01 ค่ะ", "H3-TH01"),
        ("預約編號 h3 zt01", "H3-ZT01"),
        ("ab12 0034", "AB12-0034"),
    ],
)
def test_reference_typed_with_a_space_for_its_hyphen(typed: str, reference: str) -> None:
    t = step("identity", "reference", typed, facts(linked=False))
    assert isinstance(t.next, Frame) and t.next.data["reference"] == reference
