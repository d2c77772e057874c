from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.dialogs import registry
from bot.dialogs.base import BookingFact, Done, Exit, Facts, Frame, Push, Transition
from bot.effects import Escalate, FileRequest
from bot.events import Body, ChoiceIn
from bot.i18n import JST
from tests.dialogs.edges import Edges
from tests.dialogs.support import (
    NOW,
    Sim,
    U,
    at,
    bk,
    ctx,
    effects_of,
    facts,
    options_of,
    start,
    step,
    text_of,
)

E = Edges("cancellation")
D = registry.get("cancellation")
T2 = bk("treatment", 2, id=11, reference="BK-T2", fee=40_000)
S1 = bk("surgery", 1, id=12, reference="BK-S1", fee=120_000)
O5 = bk("online_consultation", 5, id=13, reference="BK-O5", fee=8_000)


def resume(f: Facts, result: dict[str, object], **data: object) -> Transition:
    frame = Frame("cancellation", "identity", {"run": "r1", **data})
    return D.resume(frame, result, ctx("x", f))


@E("start", "not linked")
def _not_linked() -> Transition:
    t = start("cancellation", facts(linked=False))
    assert isinstance(t.next, Push) and t.next.dialog == "identity"
    assert t.next.then is not None and t.next.then.data["run"]
    return t


@E("start", "no upcoming booking")
def _none() -> Transition:
    long_past = bk("treatment", -45)
    cancelled = bk("treatment", 5, status="cancelled")
    t = start("cancellation", facts(long_past, cancelled))
    assert "can't find an upcoming booking" in text_of(t.replies)
    return t


@E("start", "one (or the named) surgery booking, called off up front")
def _called_off_up_front() -> Transition:
    said = "I've decided not to have the surgery, please cancel it"
    t = start("cancellation", facts(bk("surgery", 2, fee=120_000)), body=said, text=said)
    assert isinstance(t.next, Frame) and t.next.step == "explain" and t.next.data["called_off"] is True
    assert "fee is waived" in text_of(t.replies) and "Have you decided" not in text_of(t.replies)
    return t


@E("identity", "linked: one (or the named) surgery booking, called off up front")
def _linked_called_off_up_front() -> Transition:
    data = {"run": "r1", "first": "手術自体をやめることにしました。キャンセルします"}
    f = facts(bk("surgery", 2, fee=120_000))
    t = registry.get("cancellation").resume(
        Frame("cancellation", "identity", data), {"linked": True}, ctx("x", f)
    )
    assert isinstance(t.next, Frame) and t.next.step == "explain" and t.next.data["called_off"] is True
    return t


@E("choose", "surgery booking, called off up front")
def _choose_called_off_up_front() -> Transition:
    s, o = bk("surgery", 2, id=71), bk("treatment", 5, id=72)
    t = step("cancellation", "choose", ChoiceIn("b71"), facts(s, o), run="r1", first="我唔做手術喇")
    assert isinstance(t.next, Frame) and t.next.step == "explain" and t.next.data["called_off"] is True
    return t


@E("start", "only a booking whose date has passed")
def _only_passed() -> Transition:
    yesterday = bk("treatment", -1)
    t = start("cancellation", facts(yesterday, bk("treatment", 5, status="cancelled")))
    [escalate] = effects_of(t, Escalate)
    assert escalate.reason == "cancellation" and yesterday.reference in escalate.summary
    assert not effects_of(t, FileRequest), "no cancellation is filed for a date that has passed"
    assert "already passed" in text_of(t.replies)
    return t


@E("identity", "linked: only a booking whose date has passed")
def _linked_only_passed() -> Transition:
    t = resume(facts(bk("surgery", -3)), {"linked": True})
    assert effects_of(t, Escalate) and not effects_of(t, FileRequest)
    return t


@E("start", "several bookings")
def _several() -> Transition:
    t = start("cancellation", facts(T2, S1, O5))
    assert options_of(t.replies) == ["b12", "b11", "b13", "menu"], "soonest first"
    return t


@E("start", "one (or the named) surgery booking")
def _one_surgery() -> Transition:
    named = facts(S1, T2, understood=U("cancel", date=at(1).date()))
    t = D.start(ctx("cancel tomorrow's appointment", named), {})
    assert isinstance(t.next, Frame) and t.next.step == "surgery" and t.next.data["booking_id"] == S1.id
    assert "decided not to have the surgery" in text_of(t.replies)
    return t


@E("start", "one (or the named) other booking")
def _one_other() -> Transition:
    t = start("cancellation", facts(T2))
    assert "50% of ¥40,000 = ¥20,000" in text_of(t.replies)
    return t


@E("identity", "linked: no upcoming booking")
def _linked_none() -> Transition:
    t = resume(facts(), {"linked": True})
    assert "can't find an upcoming booking" in text_of(t.replies)
    return t


@E("identity", "linked: several bookings")
def _linked_several() -> Transition:
    return resume(facts(T2, O5), {"linked": True})


@E("identity", "linked: one (or the named) surgery booking")
def _linked_surgery() -> Transition:
    return resume(facts(S1), {"linked": True})


@E("identity", "linked: one (or the named) other booking")
def _linked_other() -> Transition:
    return resume(facts(T2, O5), {"linked": True}, hint=T2.service_at.astimezone(JST).date().isoformat())


def _asked(b: BookingFact) -> BookingFact:
    return dataclasses.replace(b, cancellation_requested_at=NOW - dt.timedelta(hours=1))


def _no_second_request(t: Transition, b: BookingFact) -> Transition:
    # Regression: the same cancellation was filed twice, and the ticket listed it twice.
    assert isinstance(t.next, Done) and not t.effects
    said = text_of(t.replies)
    assert "already asked to cancel booking" in said and b.reference in said
    return t


@E("start", "one (or the named) booking already asked to be cancelled")
def _start_already_asked() -> Transition:
    b = _asked(T2)
    return _no_second_request(D.start(ctx("cancel my booking", facts(b)), {}), b)


@E("identity", "linked: one (or the named) booking already asked to be cancelled")
def _linked_already_asked() -> Transition:
    b = _asked(S1)
    return _no_second_request(resume(facts(b), {"linked": True}), b)


@E("choose", "booking already asked to be cancelled")
def _choose_already_asked() -> Transition:
    b = _asked(S1)
    return _no_second_request(step("cancellation", "choose", ChoiceIn("b12"), facts(T2, b), run="r1"), b)


@E("identity", "not linked")
def _unlinked() -> Transition:
    t = resume(facts(linked=False), {"linked": False, "declined": True})
    assert "Without confirming who you are" in text_of(t.replies)
    return t


@E("choose", "surgery booking")
def _choose_surgery() -> Transition:
    return step("cancellation", "choose", ChoiceIn("b12"), facts(T2, S1), run="r1")


@E("choose", "other booking")
def _choose_other() -> Transition:
    t = step("cancellation", "choose", "BK-T2", facts(T2, S1), run="r1")
    assert isinstance(t.next, Frame) and t.next.data["shown"] == ["partial", 2]
    return t


@E("surgery", "surgery called off")
def _called_off() -> Transition:
    t = step("cancellation", "surgery", ChoiceIn("called_off"), facts(S1), run="r1", booking_id=S1.id)
    said = text_of(t.replies)
    assert "1 day before" in said and "fee is waived" in said and "Cancellation fee: ¥0" in said
    return t


@E("surgery", "only this appointment")
def _this_only() -> Transition:
    t = step("cancellation", "surgery", "no", facts(S1), run="r1", booking_id=S1.id)
    assert "100% of ¥120,000 = ¥120,000" in text_of(t.replies)
    return t


@pytest.mark.parametrize(
    ("said", "waived"),
    [
        ("no, I'm not having the surgery at all anymore", True),
        ("yes only this appointment, i'll rebook", False),
        ("いいえ、手術自体やめることにしました", True),
        ("はい、今回の予約だけです。また予約し直します", False),
        ("아니요 수술 자체를 안 하기로 했어요", True),
        ("네 이번 예약만 취소할게요", False),
        ("只是这次，手术还是要做", False),
        ("không làm phẫu thuật nữa", True),
        ("no i still want the surgery later", False),
    ],
)
def test_regression_the_words_decide_the_waiver_over_a_leading_yes_or_no(said: str, waived: bool) -> None:
    # A leading yes/no decided it: "no, I'm not having the surgery at all" was quoted and filed at
    # 100% (and "yes, only this appointment" at ¥0).
    t = step("cancellation", "surgery", said, facts(S1), run="r1", booking_id=S1.id)
    assert isinstance(t.next, Frame) and t.next.step == "explain"
    assert t.next.data["called_off"] is waived
    assert ("Cancellation fee: ¥0" in text_of(t.replies)) is waived


@pytest.mark.parametrize(
    "said", ["yes the surgery is called off, just this appointment", "not just this appointment"]
)
def test_words_both_ways_at_the_surgery_question_are_asked_again(said: str) -> None:
    t = step("cancellation", "surgery", said, facts(S1), run="r1", booking_id=S1.id)
    assert t.next is None or (isinstance(t.next, Frame) and t.next.step == "surgery")
    assert not any(isinstance(e, FileRequest) for e in t.effects)


def test_only_this_appointment_at_the_fee_takes_the_waiver_back() -> None:
    said = "wait, only this appointment, I'll rebook"
    t = step(
        "cancellation",
        "explain",
        said,
        facts(S1),
        run="r1",
        booking_id=S1.id,
        called_off=True,
        shown=["partial", 1],
    )
    assert isinstance(t.next, Frame) and t.next.data["called_off"] is False
    assert "100% of ¥120,000 = ¥120,000" in text_of(t.replies)
    assert not any(isinstance(e, FileRequest) for e in t.effects)


def explain(body: Body | str, f: Facts | None = None, now: dt.datetime = NOW, **data: object) -> Transition:
    values = {"run": "r1", "booking_id": T2.id, "called_off": False, "shown": ["partial", 2], **data}
    return step("cancellation", "explain", body, f or facts(T2), now, **values)


@E("explain", "confirm: request filed, ticket")
def _confirm() -> Transition:
    t = explain(ChoiceIn("confirm"))
    [filed] = effects_of(t, FileRequest)
    assert (filed.kind, filed.dedupe, filed.booking_id, filed.fee_jpy) == (
        "cancellation",
        "r1",
        T2.id,
        20_000,
    )
    assert filed.details["fee"]["rule"] == "partial" and filed.escalate and not filed.handoff
    assert "request has been sent" in text_of(t.replies)
    return t


@E("explain", "keep the booking")
def _keep() -> Transition:
    t = explain(ChoiceIn("keep"))
    assert t.effects == ()
    return t


@E("explain", "Japan date changed since shown")
def _changed() -> Transition:
    next_day = at(1, 0, 5)  # five past midnight JST: now one day before, 100 %
    t = explain("yes", now=next_day)
    assert t.effects == ()
    said = text_of(t.replies)
    assert "has changed since I showed you" in said and "100% of ¥40,000 = ¥40,000" in said
    assert isinstance(t.next, Frame) and t.next.data["shown"] == ["full", 1]
    return t


@E("explain", "appointment date passed")
def _passed() -> Transition:
    t = explain(ChoiceIn("confirm"), now=at(3, 9))
    assert effects_of(t, FileRequest) == []
    [esc] = effects_of(t, Escalate)
    assert esc.reason == "cancellation"
    assert "already passed" in text_of(t.replies)
    return t


@E("surgery", "booking no longer open")
def _surgery_gone() -> Transition:
    moved = bk("surgery", 1, id=S1.id, status="cancelled")
    t = step("cancellation", "surgery", ChoiceIn("called_off"), facts(moved), run="r1", booking_id=S1.id)
    assert "no longer open" in text_of(t.replies) and t.effects == ()
    return t


@E("explain", "booking no longer open")
def _explain_gone() -> Transition:
    t = explain(ChoiceIn("confirm"), facts(bk("treatment", 2, id=T2.id, status="cancelled")))
    assert "no longer open" in text_of(t.replies) and t.effects == ()
    return t


test_transition = E.test()


@pytest.mark.parametrize(
    ("days", "kind", "called_off", "expect"),
    [
        (10, "treatment", False, ["10 days before", "4 or more days' notice", "Cancellation fee: ¥0"]),
        (4, "treatment", False, ["4 days before", "no cancellation fee", "Cancellation fee: ¥0"]),
        (3, "treatment", False, ["3 days before", "from 3 days before", "50% of ¥40,000 = ¥20,000"]),
        (2, "surgery", False, ["2 days before", "50% of ¥40,000 = ¥20,000"]),
        (1, "treatment", False, ["1 day before", "100% of ¥40,000 = ¥40,000"]),
        (0, "treatment", False, ["on the day of the appointment", "100% of ¥40,000 = ¥40,000"]),
        (0, "surgery", True, ["on the day of the appointment", "fee is waived", "Cancellation fee: ¥0"]),
        (9, "surgery", True, ["9 days before", "fee is waived"]),
    ],
)
def test_the_fee_is_explained_with_its_numbers(
    days: int, kind: str, called_off: bool, expect: list[str]
) -> None:
    b = bk(kind, days, hour=15, fee=40_000, id=21)
    t = explain("hmm", facts(b), booking_id=21, called_off=called_off)
    said = "\n".join(
        text_of(
            D.prompt(
                Frame("cancellation", "explain", {"booking_id": 21, "called_off": called_off}),
                ctx("x", facts(b)),
            )
        ).splitlines()
    )
    assert t.missed
    for part in expect:
        assert part in said
    assert "(JST)" in said and "(Taipei)" in said, "the appointment in JST and in the customer's zone"


def test_amounts_are_rounded_down() -> None:
    b = bk("treatment", 3, fee=33_333, id=22)
    said = text_of(D.prompt(Frame("cancellation", "explain", {"booking_id": 22}), ctx("x", facts(b))))
    assert "50% of ¥33,333 = ¥16,666" in said


def test_unknown_fee_total_gives_the_rate_and_leaves_the_amount_to_a_person() -> None:
    b = bk("treatment", 2, fee=None, id=23)
    t = explain(ChoiceIn("confirm"), facts(b), booking_id=23)
    said = text_of(D.prompt(Frame("cancellation", "explain", {"booking_id": 23}), ctx("x", facts(b))))
    assert "50% of the interpretation fee. A person from our team will confirm the amount." in said
    [filed] = effects_of(t, FileRequest)
    assert filed.fee_jpy is None


def test_a_request_sent_from_another_zone_counts_on_the_japan_date() -> None:
    # 23:30 in Honolulu on 3 March is 18:30 on 4 March in Japan: two days before the 6th, not three.
    b = bk("treatment", 2, id=24)
    honolulu = dt.datetime(2026, 3, 3, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-10)))
    t = step("cancellation", "choose", ChoiceIn("b24"), facts(b, T2), honolulu, run="r")
    assert isinstance(t.next, Frame) and t.next.data["shown"] == ["partial", 2]


def test_typed_number_picks_the_numbered_booking() -> None:
    t = step("cancellation", "choose", "2", facts(S1, T2), run="r")
    assert isinstance(t.next, Frame) and t.next.data["booking_id"] == T2.id


def test_typed_number_of_the_menu_button_goes_to_the_menu() -> None:
    t = step("cancellation", "choose", "3", facts(S1, T2), run="r")
    assert isinstance(t.next, Exit) and t.next.to == "menu"


@pytest.mark.parametrize("body", ["maybe", "4", "0", ChoiceIn("b999")])
def test_choose_re_asks_what_it_cannot_use(body: Body | str) -> None:
    assert step("cancellation", "choose", body, facts(S1, T2), run="r").missed


def test_booking_cancelled_meanwhile_is_not_acted_on() -> None:
    gone = bk("treatment", 2, id=T2.id, status="cancelled")
    t = explain(ChoiceIn("confirm"), facts(gone))
    assert isinstance(t.next, Done) and t.effects == ()


def test_the_surgery_question_is_only_for_surgery() -> None:
    t = step("cancellation", "choose", ChoiceIn("b13"), facts(O5, S1), run="r")
    assert isinstance(t.next, Frame) and t.next.step == "explain"


def test_whole_cancellation_files_once_however_often_confirm_is_pressed() -> None:
    sim = Sim(bookings=(T2,), linked=True, consented=True)
    sim.send("I want to cancel")
    old = sim.token
    sim.send(ChoiceIn("confirm"))
    sim.send(ChoiceIn("confirm", old))
    sim.send(ChoiceIn("confirm", ""))
    kinds = [e for e in sim.effects if isinstance(e, FileRequest)]
    assert len(kinds) == 1 and len(sim.filed) == 1
