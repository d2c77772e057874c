from __future__ import annotations

import datetime as dt

from bot.dialogs import registry
from bot.dialogs.base import Facts, Frame, Push, Transition
from bot.effects import FileRequest
from bot.events import ChoiceIn
from bot.i18n import JST
from bot.replies import HandoffNotice
from tests.dialogs.edges import Edges
from tests.dialogs.support import NOW, U, at, bk, ctx, effects_of, facts, options_of, start, step, text_of

E = Edges("special_circumstance")
D = registry.get("special_circumstance")
S2 = bk("surgery", 2, hour=10, id=51, reference="BK-S2")
T0 = bk("treatment", 0, hour=9, id=52, reference="BK-T0")  # started an hour before NOW


def resume(f: Facts, result: dict[str, object]) -> Transition:
    data = {"run": "r1", "contact_at": NOW.isoformat(), "first": "something came up"}
    return D.resume(Frame("special_circumstance", "identity", data), result, ctx("x", f))


def filed(t: Transition) -> FileRequest:
    [request] = effects_of(t, FileRequest)
    assert request.kind == "special" and request.priority == "urgent" and request.handoff
    return request


@E("start", "not linked")
def _not_linked() -> Transition:
    t = start("special_circumstance", facts(linked=False), body="I broke my leg", text="I broke my leg")
    assert isinstance(t.next, Push) and t.next.then is not None
    assert t.next.then.data["first"] == "I broke my leg" and t.next.then.data["contact_at"] == NOW.isoformat()
    return t


@E("start", "several bookings")
def _several() -> Transition:
    t = start("special_circumstance", facts(S2, T0))
    assert options_of(t.replies) == ["b52", "b51", "no_booking", "menu"]
    return t


@E("start", "one booking, or none")
def _one() -> Transition:
    t = start("special_circumstance", facts(S2))
    assert isinstance(t.next, Frame) and t.next.data["booking_id"] == S2.id
    assert options_of(t.replies)[:7] == [
        "illness",
        "injury",
        "bereavement",
        "disaster_weather",
        "transport",
        "visa_entry",
        "other",
    ]
    return t


@E("start", "what happened said up front: recorded, urgent ticket")
def _up_front() -> Transition:
    t = start(
        "special_circumstance",
        facts(S2),
        body="I have a high fever, I can't come",
        text="I have a high fever, I can't come",
    )
    request = filed(t)
    assert request.details["category"] == "illness" and request.booking_id == S2.id
    assert "What happened?" not in text_of(t.replies), "what was said is not asked again"
    return t


@E("identity", "linked: what happened said up front: recorded, urgent ticket")
def _l_up_front() -> Transition:
    f = facts(S2)
    data = {"run": "r1", "contact_at": NOW.isoformat(), "first": "My visa was refused, I can't enter Japan"}
    t = D.resume(Frame("special_circumstance", "identity", data), {"linked": True}, ctx("x", f))
    assert filed(t).details["category"] == "visa_entry"
    return t


@E("identity", "not linked, what happened said up front: recorded, urgent ticket")
def _u_up_front() -> Transition:
    data = {"run": "r1", "contact_at": NOW.isoformat(), "first": "My father passed away"}
    t = D.resume(
        Frame("special_circumstance", "identity", data), {"linked": False}, ctx("x", facts(linked=False))
    )
    request = filed(t)
    assert request.details["category"] == "bereavement" and request.booking_id is None
    return t


@E("choose", "what happened said up front: recorded, urgent ticket")
def _c_up_front() -> Transition:
    t = step(
        "special_circumstance",
        "choose",
        ChoiceIn("b51"),
        facts(S2, T0),
        run="r1",
        first="typhoon, my flight is cancelled",
        contact_at=NOW.isoformat(),
    )
    assert filed(t).booking_id == S2.id
    return t


@E("identity", "linked: several bookings")
def _l_several() -> Transition:
    return resume(facts(S2, T0), {"linked": True})


@E("identity", "linked: one booking, or none")
def _l_one() -> Transition:
    t = resume(facts(), {"linked": True})
    assert isinstance(t.next, Frame) and t.next.data["booking_id"] is None
    return t


@E("identity", "not linked: go on without a booking")
def _l_unlinked() -> Transition:
    t = resume(facts(linked=False), {"linked": False, "declined": True})
    assert isinstance(t.next, Frame) and t.next.step == "what"
    return t


@E("choose", "booking chosen")
def _choose() -> Transition:
    return step("special_circumstance", "choose", ChoiceIn("b51"), facts(S2, T0), run="r1")


@E("choose", "not about one booking")
def _choose_none() -> Transition:
    t = step("special_circumstance", "choose", ChoiceIn("no_booking"), facts(S2, T0), run="r1")
    assert isinstance(t.next, Frame) and t.next.data["booking_id"] is None
    return t


@E("what", "what happened")
def _what() -> Transition:
    t = step("special_circumstance", "what", ChoiceIn("transport"), facts(S2), run="r1", booking_id=S2.id)
    assert isinstance(t.next, Frame) and t.next.data["category"] == "transport"
    return t


@E("what", "described in own words: recorded, urgent ticket")
def _what_typed() -> Transition:
    t = step(
        "special_circumstance",
        "what",
        "typhoon closed the airport",
        facts(S2),
        run="r1",
        booking_id=S2.id,
        contact_at=NOW.isoformat(),
    )
    request = filed(t)
    assert (
        request.details["category"] == "disaster_weather"
        and request.details["details"] == "typhoon closed the airport"
    )
    return t


@E("details", "details typed: recorded, urgent ticket")
def _details() -> Transition:
    t = step(
        "special_circumstance",
        "details",
        "High fever since last night.",
        facts(S2),
        run="r1",
        booking_id=S2.id,
        category="illness",
        contact_at=NOW.isoformat(),
        first="I'm sick",
    )
    request = filed(t)
    assert request.booking_id == S2.id and request.dedupe == "r1"
    assert request.details["contacted_before_start"] is True
    assert request.details["first_message"] == "I'm sick" and request.details["category"] == "illness"
    said = text_of(t.replies)
    assert "before your appointment started" in said
    assert "the fee may be waived" in said and "can't promise it" in said
    assert isinstance(t.replies[-1], HandoffNotice)
    return t


test_transition = E.test()


def test_contact_after_the_start_is_recorded_as_after() -> None:
    t = step(
        "special_circumstance",
        "details",
        "I overslept after being ill",
        facts(T0),
        run="r1",
        booking_id=T0.id,
        category="illness",
        contact_at=NOW.isoformat(),
    )
    assert filed(t).details["contacted_before_start"] is False
    assert "after your appointment started" in text_of(t.replies)


def test_the_contact_time_is_when_the_customer_first_wrote_not_the_last_answer() -> None:
    first_wrote = at(2, 9, 50)  # ten minutes before a 10:00 surgery
    answered = at(2, 10, 20)
    t = step(
        "special_circumstance",
        "details",
        "Accident on the way",
        facts(S2),
        answered,
        run="r1",
        booking_id=S2.id,
        category="injury",
        contact_at=first_wrote.isoformat(),
    )
    assert filed(t).details["contacted_before_start"] is True


def test_without_a_booking_it_is_still_recorded_and_escalated() -> None:
    t = step(
        "special_circumstance",
        "details",
        "Earthquake here",
        facts(linked=False),
        run="r1",
        booking_id=None,
        category="disaster",
        contact_at=NOW.isoformat(),
    )
    request = filed(t)
    assert request.booking_id is None and request.details["contacted_before_start"] is None


def test_never_promises_a_waiver() -> None:
    for category in ("illness", "injury", "disaster", "transport", "flight", "other"):
        t = step(
            "special_circumstance",
            "details",
            "x y z",
            facts(S2),
            run="r1",
            booking_id=S2.id,
            category=category,
            contact_at=(NOW - dt.timedelta(days=1)).isoformat(),
        )
        said = text_of(t.replies).lower()
        assert "will be waived" not in said and "is waived" not in said and "may be waived" in said


def test_details_must_be_text() -> None:
    assert step("special_circumstance", "details", ChoiceIn("illness"), facts(S2), run="r1").missed
    assert step("special_circumstance", "what", "ok", facts(S2), run="r1").missed


def test_regression_the_day_in_the_first_message_picks_the_booking_after_the_identity_check() -> None:
    # "後天的手術可能沒辦法去了" before the customer was linked: after the check the bot asked which
    # booking, although only one was on the day the message named.
    day = S2.service_at.astimezone(JST).date().isoformat()
    data = {
        "run": "r1",
        "contact_at": NOW.isoformat(),
        "first": "typhoon, my flight got cancelled",
        "hint": day,
    }
    t = D.resume(Frame("special_circumstance", "identity", data), {"linked": True}, ctx("x", facts(S2, T0)))
    assert filed(t).booking_id == S2.id


def test_the_first_messages_day_is_kept_while_the_identity_is_checked() -> None:
    said = "I have a fever, I can't come to the surgery the day after tomorrow"
    f = facts(linked=False, understood=U("special_circumstance", date=S2.service_at.astimezone(JST).date()))
    t = D.start(ctx(said, f), {"text": said})
    assert isinstance(t.next, Push) and t.next.then is not None
    assert t.next.then.data["hint"] == S2.service_at.astimezone(JST).date().isoformat()
