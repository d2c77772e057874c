from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogs import registry
from bot.dialogs.base import Facts, Frame, Push, Start, Transition
from bot.effects import Escalate, FileRequest
from bot.events import Body, ChoiceIn
from bot.understanding import understand
from tests.dialogs.edges import Edges
from tests.dialogs.support import Sim, U, bk, ctx, effects_of, facts, options_of, start, step, text_of

E = Edges("late_arrival")
D = registry.get("late_arrival")
TODAY = bk("treatment", 0, hour=15, id=41, reference="BK-TODAY")
LATER = bk("surgery", 2, id=42, reference="BK-LATER")
TOMORROW = bk("online_consultation", 1, id=43, reference="BK-TMRW")
LATE = facts(TODAY, understood=U("late", minutes_late=15))
VERY_LATE = facts(TODAY, understood=U("late", minutes_late=45))


def resume(f: Facts, result: dict[str, object], **data: object) -> Transition:
    return D.resume(
        Frame("late_arrival", "identity", {"run": "r1", "minutes": None, **data}), result, ctx("x", f)
    )


def notice(t: Transition) -> FileRequest:
    [filed] = effects_of(t, FileRequest)
    assert filed.kind == "late" and filed.priority == "urgent" and filed.escalate
    return filed


@E("start", "not linked")
def _not_linked() -> Transition:
    t = D.start(ctx("running 20 min late", facts(linked=False, understood=U("late", minutes_late=20))), {})
    assert isinstance(t.next, Push) and t.next.then is not None and t.next.then.data["minutes"] == 20
    return t


@E("start", "no upcoming booking: agents alerted")
def _none() -> Transition:
    t = start("late_arrival", facts())
    [esc] = effects_of(t, Escalate)
    assert esc.priority == "urgent"
    return t


@E("start", "several bookings (today's first)")
def _several() -> Transition:
    t = start("late_arrival", facts(LATER, TOMORROW))
    assert options_of(t.replies) == ["b43", "b42", "menu"]
    return t


@E("start", "one booking (or one today)")
def _one_today() -> Transition:
    t = start("late_arrival", facts(TODAY, LATER))
    assert isinstance(t.next, Frame) and t.next.data["booking_id"] == TODAY.id
    assert options_of(t.replies) == ["m10", "m20", "m30", "m60", "menu"]
    return t


@E("start", "one booking, minutes known, under 30: notice filed")
def _known_short() -> Transition:
    t = D.start(ctx("15 min late", LATE), {})
    filed = notice(t)
    assert filed.details["minutes_late"] == 15 and filed.details["may_be_no_show"] is False
    said = text_of(t.replies)
    assert "alerted our team at once" in said and "no-show" not in said
    return t


@E("start", "one booking, minutes known, 30 or more: notice filed")
def _known_long() -> Transition:
    t = D.start(ctx("45 min late", VERY_LATE), {})
    assert notice(t).details["may_be_no_show"] is True
    assert "may be treated as a no-show cancellation" in text_of(t.replies)
    assert options_of(t.replies) == ["change", "human", "on_my_way"]
    return t


@E("identity", "linked: no upcoming booking: agents alerted")
def _l_none() -> Transition:
    return resume(facts(), {"linked": True})


@E("identity", "linked: several bookings (today's first)")
def _l_several() -> Transition:
    return resume(facts(TODAY, TOMORROW, bk("treatment", 0, hour=18)), {"linked": True})


@E("identity", "linked: one booking (or one today)")
def _l_one() -> Transition:
    return resume(facts(LATER), {"linked": True})


@E("identity", "linked: one booking, minutes known, under 30: notice filed")
def _l_short() -> Transition:
    return resume(facts(TODAY), {"linked": True}, minutes=10)


@E("identity", "linked: one booking, minutes known, 30 or more: notice filed")
def _l_long() -> Transition:
    return resume(facts(TODAY), {"linked": True}, minutes=30)


@E("identity", "not linked: agents alerted")
def _l_unlinked() -> Transition:
    t = resume(facts(linked=False), {"linked": False, "declined": True}, minutes=20)
    [esc] = effects_of(t, Escalate)
    assert esc.priority == "urgent" and "about 20 min" in esc.summary
    assert "running late" in text_of(t.replies)
    return t


@E("choose", "booking chosen")
def _chosen() -> Transition:
    return step("late_arrival", "choose", ChoiceIn("b42"), facts(LATER, TOMORROW), run="r1", minutes=None)


@E("choose", "booking chosen, minutes known, under 30: notice filed")
def _chosen_short() -> Transition:
    return step("late_arrival", "choose", "BK-TMRW", facts(LATER, TOMORROW), run="r1", minutes=5)


@E("choose", "booking chosen, minutes known, 30 or more: notice filed")
def _chosen_long() -> Transition:
    return step("late_arrival", "choose", ChoiceIn("b43"), facts(LATER, TOMORROW), run="r1", minutes=90)


def minutes(body: Body | str, f: Facts | None = None) -> Transition:
    return step("late_arrival", "minutes", body, f or facts(TODAY), run="r1", booking_id=TODAY.id)


@E("minutes", "under 30 minutes: notice filed, urgent ticket")
def _m_short() -> Transition:
    t = minutes(ChoiceIn("m20"))
    filed = notice(t)
    assert (filed.dedupe, filed.booking_id, filed.details["minutes_late"]) == ("r1", TODAY.id, 20)
    assert "Expected arrival: about Mar 4, 2026" in text_of(t.replies)
    return t


@E("minutes", "30 minutes or more: notice filed, urgent ticket")
def _m_long() -> Transition:
    t = minutes(ChoiceIn("m30"))
    assert notice(t).details["may_be_no_show"] is True
    return t


def after(body: Body | str) -> Transition:
    return step("late_arrival", "after", body, facts(TODAY), run="r1", booking_id=TODAY.id, minutes=60)


@E("after", "a new time typed, under 30: notice updated")
def _sooner() -> Transition:
    t = after("good news, only 15 minutes now")
    (notice,) = effects_of(t, FileRequest)
    assert notice.details["minutes_late"] == 15 and notice.dedupe == "r1+15", "a notice of its own"
    assert "Expected arrival" in text_of(t.replies)
    assert t.next.result == {"late_for": TODAY.id}  # type: ignore[union-attr]
    return t


@E("after", "a new time typed, 30 or more: notice updated")
def _later() -> Transition:
    t = after("sorry, more like 90 minutes")
    (notice,) = effects_of(t, FileRequest)
    assert notice.details["minutes_late"] == 90 and notice.dedupe == "r1+90"
    assert isinstance(t.next, Frame) and t.next.data["minutes"] == 90
    return t


def test_the_same_time_again_at_the_warning_files_nothing_more() -> None:
    t = after("yes about 60 min, on my way")
    assert effects_of(t, FileRequest) == [] and "travel safely" in text_of(t.replies)


def test_a_new_time_at_the_menu_after_a_late_notice_updates_it() -> None:
    sim = Sim(bookings=(TODAY,), linked=True, understand=understand)
    sim.send("I'll be 10 minutes late")
    assert [f.details["minutes_late"] for f in sim.filed.values()] == [10]
    sim.send("sorry, now it will be more like 25 minutes")
    assert sorted(f.details["minutes_late"] for f in sim.filed.values()) == [10, 25]
    assert "Expected arrival" in sim.text()


def test_a_time_at_the_menu_long_after_the_late_notice_is_not_an_update() -> None:
    sim = Sim(bookings=(TODAY,), linked=True, understand=understand)
    sim.send("I'll be 10 minutes late")
    sim.send("it will be more like 25 minutes", after=dt.timedelta(hours=4))
    assert [f.details["minutes_late"] for f in sim.filed.values()] == [10]


@E("after", "change the booking")
def _change() -> Transition:
    t = after(ChoiceIn("change"))
    assert isinstance(t.next, Start) and t.next.args == {"booking_id": TODAY.id}
    assert t.effects == (), "the notice was filed already"
    return t


@E("after", "talk to a person")
def _person() -> Transition:
    return after(ChoiceIn("human"))


@E("after", "on my way")
def _on_my_way() -> Transition:
    t = after("3")
    assert t.effects == ()
    return t


@E("minutes", "booking no longer open")
def _m_gone() -> Transition:
    t = minutes(ChoiceIn("m10"), facts(bk("treatment", -1, id=TODAY.id)))
    assert t.effects == () and "no longer open" in text_of(t.replies)
    return t


test_transition = E.test()


@pytest.mark.parametrize(
    ("typed", "expect"), [("25", 25), ("45 min", 45), ("1 hour", 60), ("２時間", 120), ("90分", 90), ("5", 5)]
)
def test_typed_minutes_without_understanding(typed: str, expect: int) -> None:
    assert notice(minutes(typed)).details["minutes_late"] == expect


def test_minutes_from_understanding_win() -> None:
    t = minutes("half an hour or so", facts(TODAY, understood=U("late", minutes_late=30)))
    assert notice(t).details["minutes_late"] == 30


@pytest.mark.parametrize("typed", ["soon", "0", "99999"])
def test_minutes_it_cannot_use_are_re_asked(typed: str) -> None:
    t = minutes(typed)
    assert t.missed and t.effects == ()


def test_in_the_minutes_step_a_number_is_minutes_not_a_button() -> None:
    assert notice(minutes("4")).details["minutes_late"] == 4


def test_late_then_change_runs_the_change_for_that_booking() -> None:
    sim = Sim(bookings=(TODAY, LATER), linked=True, consented=True)
    sim.send("I'm late")
    sim.send(ChoiceIn("m60"))
    assert "no-show" in sim.text()
    sim.send(ChoiceIn("change"))
    assert sim.where() == ("booking_change", "dates")
    assert sim.top is not None and sim.top.data["booking_id"] == TODAY.id
    assert len(sim.filed) == 1 and sim.tickets == 1


@pytest.mark.parametrize(
    ("late", "minutes"),
    [
        ("sorry, actually I'm running 20 min late for today's appointment", 20),
        ("btw I'll be 15 minutes late today", 15),
        ("오늘 예약 20분 늦을 것 같아요", 20),
        ("今天的预约我会晚到20分钟", 20),
    ],
)
def test_a_late_notice_typed_while_changing_another_booking_is_filed_for_todays(
    late: str, minutes: int
) -> None:
    # Probe 5: "today" was added as a wished date of the change, and a switch kept the change's booking.
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (bk("treatment", 0, hour=23, id=1), bk("surgery", 20, id=2))
    s.send("I want to change my surgery date")
    assert s.where() == ("booking_change", "dates")
    s.send(late)
    filed = [f for f in s.filed.values() if f.kind == "late"]
    assert [(f.booking_id, f.details["minutes_late"]) for f in filed] == [(1, minutes)]
    assert not [f for f in s.filed.values() if f.kind != "late"]


def test_an_arrival_time_at_the_changes_time_question_is_still_its_answer() -> None:
    s = Sim(linked=True, consented=True, understand=understand)
    s.bookings = (bk("treatment", 0, hour=23, id=1), bk("surgery", 20, id=2))
    s.send("I want to change my surgery date")
    s.send("the 20th")
    s.send("continue")
    assert s.where() == ("booking_change", "time")
    s.send("I can come in the afternoon")
    assert s.where()[0] == "booking_change" and not s.filed
