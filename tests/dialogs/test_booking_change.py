from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogs import registry
from bot.dialogs.base import Done, Facts, Frame, Push, Transition
from bot.effects import Escalate, FileRequest
from bot.events import Body, ChoiceIn, DateIn
from tests.dialogs.edges import Edges
from tests.dialogs.support import NOW, U, at, bk, ctx, effects_of, facts, options_of, start, step, text_of

E = Edges("booking_change")
D = registry.get("booking_change")
T10 = bk("treatment", 10, id=31, reference="BK-T10")
O1 = bk("online_consultation", 1, id=32, reference="BK-O1", fee=8_000)
DAY = NOW.date()


def resume(f: Facts, result: dict[str, object], **data: object) -> Transition:
    return D.resume(
        Frame("booking_change", "identity", {"run": "r1", "dates": [], **data}), result, ctx("x", f)
    )


def dates(body: Body | str, chosen: list[str], f: Facts | None = None) -> Transition:
    return step("booking_change", "dates", body, f or facts(T10), run="r1", booking_id=T10.id, dates=chosen)


@E("start", "not linked")
def _not_linked() -> Transition:
    t = start("booking_change", facts(linked=False))
    assert isinstance(t.next, Push) and t.next.dialog == "identity"
    return t


@E("start", "no upcoming booking")
def _none() -> Transition:
    return start("booking_change", facts())


@E("start", "several bookings")
def _several() -> Transition:
    t = start("booking_change", facts(T10, O1))
    assert options_of(t.replies) == ["b32", "b31", "menu"]
    return t


@E("start", "one (or the given) consultation, 2+ no-shows")
def _no_shows() -> Transition:
    t = start("booking_change", facts(O1, no_shows=2))
    [esc] = effects_of(t, Escalate)
    assert esc.reason == "change" and "2 recorded no-shows" in esc.summary
    assert "arranged by a person" in text_of(t.replies)
    return t


@E("start", "one (or the given) booking")
def _given() -> Transition:
    t = start("booking_change", facts(T10, O1), booking_id=T10.id)
    assert isinstance(t.next, Frame) and t.next.data["booking_id"] == T10.id
    assert "Which new date" in text_of(t.replies)
    return t


@E("start", "one (or the given) booking, two or more new dates and a time of day said")
def _given_all() -> Transition:
    t = start("booking_change", facts(T10), text="move it to the 18th or 19th, afternoons please")
    assert isinstance(t.next, Frame)
    assert (t.next.data["dates"], t.next.data["time"]) == (["2026-03-18", "2026-03-19"], "afternoon")
    assert "Anything else we should know" in text_of(t.replies)
    return t


@E("identity", "linked: one (or the given) booking, two or more new dates and a time of day said")
def _linked_all() -> Transition:
    return resume(facts(T10), {"linked": True}, first="18/03 or 19/03 in the morning")


@E("choose", "booking chosen, two or more new dates and a time of day said")
def _choose_all() -> Transition:
    t = step(
        "booking_change",
        "choose",
        ChoiceIn("b31"),
        facts(T10, O1),
        run="r1",
        first="the 20th or the 21st, evening",
    )
    assert isinstance(t.next, Frame) and t.next.data["time"] == "evening"
    return t


@E("identity", "linked: no upcoming booking")
def _linked_none() -> Transition:
    return resume(facts(), {"linked": True})


@E("identity", "linked: several bookings")
def _linked_several() -> Transition:
    return resume(facts(T10, O1), {"linked": True})


@E("identity", "linked: one (or the given) consultation, 2+ no-shows")
def _linked_no_shows() -> Transition:
    return resume(facts(O1, T10, no_shows=3), {"linked": True}, booking_id=O1.id)


@E("identity", "linked: one (or the given) booking")
def _linked_one() -> Transition:
    return resume(facts(T10), {"linked": True})


@E("identity", "not linked")
def _unlinked() -> Transition:
    return resume(facts(linked=False), {"linked": False})


@E("choose", "online consultation, 2+ no-shows")
def _choose_no_shows() -> Transition:
    return step("booking_change", "choose", ChoiceIn("b32"), facts(T10, O1, no_shows=2), run="r1")


@E("choose", "booking chosen")
def _choose() -> Transition:
    t = step("booking_change", "choose", ChoiceIn("b32"), facts(T10, O1, no_shows=1), run="r1")
    assert isinstance(t.next, Frame) and t.next.data["booking_id"] == O1.id, "one no-show is not yet the rule"
    return t


@E("dates", "a date (picker or typed)")
def _date() -> Transition:
    t = dates(DateIn(DAY + dt.timedelta(days=20)), [])
    assert isinstance(t.next, Frame) and t.next.data["dates"] == [(DAY + dt.timedelta(days=20)).isoformat()]
    assert options_of(t.replies) == ["dates_done", "menu"]
    return t


@E("dates", "a date already passed or too far")
def _bad_date() -> Transition:
    t = dates(DateIn(DAY - dt.timedelta(days=1)), [])
    assert "from today up to one year ahead" in text_of(t.replies)
    assert isinstance(t.next, Frame) and t.next.data["dates"] == []
    return t


@E("dates", "third date")
def _third() -> Transition:
    t = dates("2026-03-30", ["2026-03-20", "2026-03-21"])
    assert isinstance(t.next, Frame) and t.next.data["dates"] == ["2026-03-20", "2026-03-21", "2026-03-30"]
    assert "time of day" in text_of(t.replies)
    return t


@E("dates", "no more dates")
def _enough() -> Transition:
    return dates(ChoiceIn("dates_done"), ["2026-03-20"])


@E("dates", "third date, a time of day said with a date")
def _third_with_time() -> Transition:
    # Regression: "in the morning" typed with a date, and "Which time of day?" asked after it.
    t = dates("2026-03-30 in the morning pls", ["2026-03-20", "2026-03-21"])
    assert isinstance(t.next, Frame) and t.next.step == "note" and t.next.data["time"] == "morning"
    assert "time of day" not in text_of(t.replies)
    return t


@E("dates", "no more dates, a time of day said with a date")
def _enough_with_time() -> Transition:
    first = dates("下周三下午可以吗", [])
    assert isinstance(first.next, Frame) and first.next.data["time"] == "afternoon"
    t = step("booking_change", "dates", ChoiceIn("dates_done"), facts(T10), **first.next.data)
    assert isinstance(t.next, Frame) and t.next.step == "note" and t.next.data["time"] == "afternoon"
    return t


@pytest.mark.parametrize("said", ["I am free on 2026-03-25", "2026-03-25 any day works", "2026-03-25"])
def test_a_date_without_a_time_of_day_still_asks_for_it(said: str) -> None:
    t = dates(said, ["2026-03-20", "2026-03-21"])
    assert isinstance(t.next, Frame) and t.next.step == "time" and "time" not in t.next.data


@E("time", "time of day")
def _time() -> Transition:
    t = step("booking_change", "time", "afternoon", facts(T10), run="r1", booking_id=T10.id)
    assert isinstance(t.next, Frame) and t.next.data["time"] == "afternoon"
    return t


@E("note", "note typed")
def _note() -> Transition:
    t = step(
        "booking_change",
        "note",
        "My flight moved.",
        facts(T10),
        run="r1",
        booking_id=T10.id,
        dates=["2026-03-20"],
        time="morning",
    )
    said = text_of(t.replies)
    assert "Your change request: Treatment, Mar 14, 2026 (BK-T10), new date Mar 20, 2026, Morning." in said
    return t


@E("note", "no note")
def _no_note() -> Transition:
    return step(
        "booking_change",
        "note",
        ChoiceIn("no_note"),
        facts(T10),
        run="r1",
        booking_id=T10.id,
        dates=["2026-03-20"],
        time="any",
    )


@E("note", "send said instead of a note: request filed, ticket")
def _send_at_note() -> Transition:
    t = step(
        "booking_change",
        "note",
        "送出",
        facts(T10),
        run="r1",
        booking_id=T10.id,
        dates=["2026-03-20"],
        time="evening",
    )
    [filed] = effects_of(t, FileRequest)
    assert (filed.details["preferred_dates"], filed.details["note"]) == (["2026-03-20"], "")
    assert "Your change request: " in text_of(t.replies) and "has been sent" in text_of(t.replies)
    return t


@pytest.mark.parametrize(
    "typed", ["don't send it yet", "送らないでください", "the reason: I have to send my kid to school"]
)
def test_a_note_that_is_no_send_command_is_kept_as_the_note(typed: str) -> None:
    t = step(
        "booking_change",
        "note",
        typed,
        facts(T10),
        run="r1",
        booking_id=T10.id,
        dates=["2026-03-20"],
        time="any",
    )
    assert isinstance(t.next, Frame) and t.next.step == "confirm" and not effects_of(t, FileRequest)


def confirm(body: Body | str, f: Facts | None = None) -> Transition:
    return step(
        "booking_change",
        "confirm",
        body,
        f or facts(T10),
        run="r1",
        booking_id=T10.id,
        dates=["2026-03-20", "2026-03-22"],
        time="evening",
        note="n",
    )


@E("confirm", "send: request filed, ticket")
def _send() -> Transition:
    t = confirm(ChoiceIn("send"))
    [filed] = effects_of(t, FileRequest)
    assert (filed.kind, filed.dedupe, filed.booking_id) == ("change", "r1", T10.id)
    assert filed.details["preferred_dates"] == ["2026-03-20", "2026-03-22"]
    assert filed.details["time_of_day"] == "evening" and filed.details["note"] == "n"
    assert "It is a request until a person from our team confirms" in text_of(t.replies)
    return t


@E("confirm", "don't send")
def _dont() -> Transition:
    t = confirm("no")
    assert t.effects == () and "nothing was sent" in text_of(t.replies)
    return t


GONE = facts(bk("treatment", 10, id=T10.id, status="cancelled"))


def _gone(step_name: str, body: Body | str) -> Transition:
    t = step(
        "booking_change",
        step_name,
        body,
        GONE,
        run="r1",
        booking_id=T10.id,
        dates=["2026-03-20"],
        time="any",
        note="",
    )
    assert isinstance(t.next, Done) and t.effects == () and "no longer open" in text_of(t.replies)
    return t


E("dates", "booking no longer open")(lambda: _gone("dates", DateIn(DAY)))
E("time", "booking no longer open")(lambda: _gone("time", "morning"))
E("note", "booking no longer open")(lambda: _gone("note", ChoiceIn("no_note")))
E("confirm", "booking no longer open")(lambda: _gone("confirm", ChoiceIn("send")))


test_transition = E.test()


def test_a_date_bot_understanding_found_is_accepted() -> None:
    f = facts(T10, understood=U("change", date=dt.date(2026, 4, 2)))
    t = dates("next thursday week please", [], f)
    assert isinstance(t.next, Frame) and t.next.data["dates"] == ["2026-04-02"]


@pytest.mark.parametrize(
    ("typed", "expect"), [("3/20", "2026-03-20"), ("2026年4月1日", "2026-04-01"), ("1/5", "2026-05-01")]
)
def test_typed_dates_without_understanding(typed: str, expect: str) -> None:
    t = dates(typed, [])
    assert isinstance(t.next, Frame) and t.next.data["dates"] == [expect]


def test_same_date_twice_is_kept_once() -> None:
    t = dates("2026-03-20", ["2026-03-20"])
    assert isinstance(t.next, Frame) and t.next.data["dates"] == ["2026-03-20"] and not t.missed


@pytest.mark.parametrize("body", ["whenever", ChoiceIn("dates_done"), ChoiceIn("m10")])
def test_dates_re_asks_what_it_cannot_use(body: Body | str) -> None:
    assert dates(body, []).missed


@pytest.mark.parametrize(
    ("typed", "expect"),
    [
        ("morning", "morning"),
        ("午後", "afternoon"),
        ("저녁", "evening"),
        ("any time", "any"),
        ("2", "afternoon"),
    ],
)
def test_time_of_day_typed(typed: str, expect: str) -> None:
    t = step("booking_change", "time", typed, facts(T10), run="r1", booking_id=T10.id)
    assert isinstance(t.next, Frame) and t.next.data["time"] == expect


def test_time_of_day_ambiguous_is_re_asked() -> None:
    assert step(
        "booking_change", "time", "morning or evening", facts(T10), run="r1", booking_id=T10.id
    ).missed


def test_a_gone_booking_is_said_so_when_re_asked() -> None:
    said = text_of(D.prompt(Frame("booking_change", "confirm", {"booking_id": T10.id}), ctx("x", GONE)))
    assert said.startswith("That booking is no longer open") and said.endswith("[menu] Back to the menu")


def test_a_date_the_day_picker_cannot_offer_is_bounded() -> None:
    (picker,) = D.prompt(
        Frame("booking_change", "dates", {"booking_id": T10.id, "dates": []}), ctx("x", facts(T10))
    )
    assert picker.min_date == DAY and picker.max_date == DAY + dt.timedelta(days=365)  # type: ignore[union-attr]
    assert at(0).date() == DAY


def _iso(days: int) -> str:
    return (DAY + dt.timedelta(days=days)).isoformat()


def _day_of(days: int) -> str:
    return str((DAY + dt.timedelta(days=days)).day)


@pytest.mark.parametrize(
    "typed",
    [
        "not the {a}th, only the {b}th",
        "{a}日じゃなくて{b}日だけでお願いします",
        "{a}일 말고 {b}일만요",
        "不是{a}号，只要{b}号",
        "không phải {a}, chỉ ngày {b} thôi",
    ],
)
def test_a_correction_replaces_the_rejected_date(typed: str) -> None:
    chosen = [_iso(14), _iso(15)]
    t = dates(typed.format(a=_day_of(14), b=_day_of(16)), chosen)
    assert isinstance(t.next, Frame) and t.next.data["dates"] == [_iso(16)], "the rejected date is dropped"


def test_actually_corrects_the_last_date_given() -> None:
    t = dates(f"actually make it the {_day_of(16)}th", [_iso(14), _iso(15)])
    assert isinstance(t.next, Frame) and t.next.data["dates"] == [_iso(14), _iso(16)]


def test_new_dates_named_up_front_are_not_asked_again() -> None:
    said = f"could I move my treatment? the {_day_of(14)}th or the {_day_of(16)}th would suit me"
    t = start("booking_change", facts(T10), body=said, text=said)
    assert isinstance(t.next, Frame) and t.next.step == "dates"
    assert t.next.data["dates"] == [_iso(14), _iso(16)]


def test_the_bookings_own_date_up_front_names_the_booking_not_a_new_date() -> None:
    said = f"I'd like to change my appointment on the {_day_of(10)}th"
    t = start("booking_change", facts(T10), body=said, text=said)
    assert isinstance(t.next, Frame) and t.next.data["dates"] == []
