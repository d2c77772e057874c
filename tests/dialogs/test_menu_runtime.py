"""The menu's routing and what the runtime guarantees in every state of every dialog."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pytest

from bot.dialogs import registry
from bot.dialogs.base import Done, Exit, Frame, Push, Start, Transition
from bot.dialogs.runtime import IDLE_RESET, Outcome, StackState, advance
from bot.effects import Escalate, FileRequest, NoteAttachment
from bot.events import AttachmentIn, Body, ChoiceIn, DateIn, SystemIn, TextIn, UnsupportedIn
from bot.replies import Choices, DatePicker, HandoffNotice
from bot.understanding import understand
from tests.dialogs.edges import Edges
from tests.dialogs.support import NOW, Sim, U, bk, ctx, facts, options_of, render, step, text_of

E = Edges("menu")
ROUTES = {
    "Cancel a booking, or typed cancel": ("cancellation", "cancel", "I need to cancel"),
    "Change a booking, or typed change": ("booking_change", "change", "can I reschedule?"),
    "Running late, or typed late": ("late_arrival", "late", "sorry, running late"),
    "Emergency, or typed special circumstance": ("special_circumstance", "special_circumstance", "I'm sick"),
    "Payment, or typed payment": ("payment", "payment", "how do I pay"),
    "Privacy, or typed privacy": ("privacy", "privacy", "privacy policy"),
}


def _route(label: str) -> Transition:
    flow, intent, typed = ROUTES[label]
    pressed = step("menu", "main", ChoiceIn(flow))
    assert isinstance(pressed.next, Start) and pressed.next.dialog == flow
    understood = step("menu", "main", "whatever", facts(understood=U(intent)))
    assert isinstance(understood.next, Start) and understood.next.dialog == flow
    fallback = step("menu", "main", typed)
    assert isinstance(fallback.next, Start) and fallback.next.dialog == flow
    assert fallback.next.args == {"text": typed}, "the flow sees the words (minutes, dates)"
    return pressed


for _label in ROUTES:
    E("main", _label)(lambda _label=_label: _route(_label))  # type: ignore[misc]


@E("main", "Language")
def _language() -> Transition:
    return step("menu", "main", ChoiceIn("language"))


@E("main", "Talk to a person, or typed human")
def _human() -> Transition:
    assert step("menu", "main", "can I talk to someone", facts(understood=U("human"))).next == Exit("human")
    return step("menu", "main", ChoiceIn("human"))


@E("main", "no thanks: a polite closing")
def _no_thanks() -> Transition:
    for typed in ("no thanks", "不用了，謝謝", "아니요 괜찮아요 감사합니다", "ไม่เป็นไรค่ะ ขอบคุณค่ะ"):
        t = step("menu", "main", typed, facts(understood=U("cancel")))
        assert isinstance(t.next, Done) and not t.effects, typed
        assert "You're welcome" in text_of(t.replies)
    return t


@E("main", "two requests as likely: asked which")
def _which() -> Transition:
    said = "should I cancel or change my booking?"
    t = step("menu", "main", said, facts(understood=understand(said, NOW)))
    assert isinstance(t.next, Frame) and t.next.step == "which" and not t.effects
    assert options_of(t.replies) == ["booking_change", "cancellation", "human"]
    return t


def _chosen(flow: str) -> Transition:
    data: dict[str, Any] = {"flows": [flow, "privacy"], "text": "both?"}
    t = step("menu", "which", ChoiceIn(flow), facts(), **data)
    assert t.next == Start(flow, {"text": "both?"})
    return t


for _flow in ("cancellation", "booking_change", "late_arrival", "payment", "privacy"):
    E("which", f"{_flow} chosen")(functools.partial(_chosen, _flow))


@E("main", "two requests in one message: the first, the second waits")
def _two_requests() -> Transition:
    said = "I want to cancel BK-1001 and also move BK-2002 to next week"
    t = step("menu", "main", said, facts(understood=understand(said, NOW)))
    assert isinstance(t.next, Push) and t.next.dialog == "cancellation"
    assert "BK-2002" not in str(t.next.args["text"]), "the first flow gets its own part of the message"
    waiting = t.next.then
    assert waiting is not None and waiting.data["flow"] == "booking_change"
    assert "bk-2002" in waiting.data["text"].lower()
    return t


def _second_yes(flow: str) -> Transition:
    t = step("menu", "then", ChoiceIn(flow), facts(), flow=flow, text="the rest")
    assert t.next == Start(flow, {"text": "the rest"})
    typed = step("menu", "then", "yes please", facts(), flow=flow, text="the rest")
    assert typed.next == Start(flow, {"text": "the rest"})
    return t


for _flow in ("cancellation", "booking_change", "late_arrival", "privacy"):
    E("then", f"{_flow}: yes")(functools.partial(_second_yes, _flow))


@E("then", "not now: the menu")
def _second_not_now() -> Transition:
    for body in (ChoiceIn("not_now"), TextIn("no")):
        t = step("menu", "then", body, facts(), flow="booking_change", text="move it")
        assert isinstance(t.next, Frame) and t.next.step == "main" and not t.effects
        assert "How can I help you?" in text_of(t.replies)
    return t


def test_something_else_typed_at_the_second_request_is_read_as_at_the_menu() -> None:
    t = step("menu", "then", "how do I pay", facts(understood=U("payment")), flow="booking_change", text="x")
    assert isinstance(t.next, Start) and t.next.dialog == "payment", "another request is that request"
    t = step("menu", "then", "hmm", facts(understood=U("other")), flow="booking_change", text="x")
    assert t.missed and isinstance(t.next, Frame) and t.next.step == "main"


def test_the_second_request_is_offered_when_the_first_is_done() -> None:
    sim = Sim(bookings=(bk(),), linked=True, understand=understand)
    sim.send("I'll be 20 minutes late, and also I want to delete my data")
    assert "Expected arrival" in sim.text(), "the late notice first"
    assert "You also asked about this: Privacy and my data" in sim.text()
    assert sim.state.frames[0].dialog == "menu" and sim.state.frames[0].step == "then"
    sim.send(ChoiceIn("privacy"))
    assert sim.state.frames[-1].dialog == "privacy"


def test_the_second_request_waits_no_longer_when_the_first_hands_over() -> None:
    past = bk(days=-1, reference="BK-0009")
    sim = Sim(bookings=(past,), linked=True, understand=understand)
    sim.send("please cancel BK-0009, and also I want to delete my data")
    assert "already passed" in sim.text(), "a past booking goes to a person"
    assert not sim.state.frames, "nothing waits to be asked over the person's answer"
    assert "You also asked" not in sim.text()


test_transition = E.test()


def test_typed_number_picks_the_menu_entry() -> None:
    t = step("menu", "main", "５")
    assert isinstance(t.next, Start) and t.next.dialog == "payment"


@pytest.mark.parametrize("typed", ["hello", "asdf", "thanks", "99"])
def test_menu_asks_rather_than_guesses(typed: str) -> None:
    assert step("menu", "main", typed).missed
    assert step("menu", "main", typed, facts(understood=U("other"))).missed


def test_understanding_wins_over_keywords_when_present() -> None:
    # "not cancel, change it": the understanding knows the negation; keywords alone would not.
    t = step("menu", "main", "not cancel, change it", facts(understood=U("change")))
    assert isinstance(t.next, Start) and t.next.dialog == "booking_change"


def every_frame() -> list[Frame]:
    frames = []
    for name, dialog in registry.DIALOGS.items():
        for s in dialog.graph:
            if s != "start":
                frames.append(
                    Frame(name, s, {"run": "r", "booking_id": 1, "dates": ["2026-03-20"], "minutes": 40})
                )
    return frames


FRAMES = every_frame()
IDS = [f"{f.dialog}.{f.step}" for f in FRAMES]
BOOKING = bk("treatment", 5, id=1)


def state_at(frame: Frame) -> StackState:
    below = (Frame("cancellation", "identity", {"run": "r"}),) if frame.dialog == "identity" else ()
    return StackState((*below, frame), token="7", at=NOW)


def go(frame: Frame, body: Body | str, after: dt.timedelta = dt.timedelta(minutes=1)) -> Outcome:
    return advance(state_at(frame), ctx(body, facts(BOOKING), NOW + after), "8")


@pytest.mark.parametrize("frame", FRAMES, ids=IDS)
@pytest.mark.parametrize("way", ["menu", "メニュー", ChoiceIn("menu", "7"), ChoiceIn("menu", "3")])
def test_menu_is_reachable_from_every_state(frame: Frame, way: Body | str) -> None:
    out = go(frame, way)
    assert [f.dialog for f in out.state.frames] == ["menu"]
    assert "How can I help you?" in render(out.replies)
    assert out.effects == ()


@pytest.mark.parametrize("frame", FRAMES, ids=IDS)
@pytest.mark.parametrize("way", ["talk to a person", "担当者と話したい", ChoiceIn("human", "7")])
def test_a_person_is_reachable_from_every_state(frame: Frame, way: Body | str) -> None:
    out = go(frame, way)
    assert out.handoff and out.state.frames == ()
    assert [type(e) for e in out.effects] == [Escalate]
    assert isinstance(out.replies[-1], HandoffNotice)


@pytest.mark.parametrize("frame", FRAMES, ids=IDS)
def test_a_stale_button_in_every_state_is_answered_and_does_nothing(frame: Frame) -> None:
    for body in (ChoiceIn("confirm", "3"), ChoiceIn("send", "3"), DateIn(dt.date(2026, 3, 20), token="3")):
        out = go(frame, body)
        assert out.stale and out.effects == ()
        assert out.state.frames == state_at(frame).frames
        said = render(out.replies)
        assert said[0] == "That button belongs to an earlier message. Here is where we are now:"


ASKING = [f for f in FRAMES if f.step != "identity"]  # a flow's "identity" step waits for the check above it


@pytest.mark.parametrize("frame", ASKING, ids=[f"{f.dialog}.{f.step}" for f in ASKING])
def test_unreadable_input_in_every_state_re_asks_and_twice_offers_a_person(frame: Frame) -> None:
    out = go(frame, UnsupportedIn("edited_message"))
    assert render(out.replies)[0] == "Sorry, I can only read text messages and button presses here."
    state = state_at(frame)
    for i in range(2):
        out = advance(state, ctx(ChoiceIn("no-such-button", state.token), facts(BOOKING), NOW), str(9 + i))
        assert out.effects == ()
        said = render(out.replies)
        assert said[0].startswith("Please "), "the re-ask says what the question expects"
        assert out.state.token == state.token, "the buttons on screen stay valid"
        state = out.state
    assert "If you prefer, a person from our team can help: choose “Talk to a person”." in said
    options = options_of(out.replies)
    assert "human" in options, "the person is a button of the same question"
    assert "menu" not in options or options[-1] == "menu"
    assert sum(isinstance(r, Choices | DatePicker) for r in out.replies) == 1, "one question on screen"


@pytest.mark.parametrize("frame", ASKING, ids=[f"{f.dialog}.{f.step}" for f in ASKING])
def test_a_photo_or_a_sticker_in_every_state_is_answered_and_the_question_asked_again(frame: Frame) -> None:
    state = state_at(frame)
    asked = render(go(frame, UnsupportedIn("edited_message")).replies)[1:]
    out = go(frame, AttachmentIn("image", "line:1"))
    said = render(out.replies)
    assert said[0] == "Thank you for the photo. A person from our team will look at it."
    assert said[1:] == asked, "the open question, asked again"
    assert [f.dialog for f in out.state.frames] == [f.dialog for f in state.frames]
    [note] = out.effects
    assert isinstance(note, NoteAttachment) and note.kind == "image" and note.event_id
    assert not out.handoff, "the bot carries on: a person looks at the photo beside it"
    out = go(frame, UnsupportedIn("sticker"))
    said = render(out.replies)
    assert said[0].startswith("Thank you for the sticker!") and said[1:] == asked and out.effects == ()


@pytest.mark.parametrize("frame", FRAMES, ids=IDS)
def test_after_a_day_of_silence_every_state_starts_over_at_the_menu(frame: Frame) -> None:
    out = go(frame, ChoiceIn("confirm", "7"), after=IDLE_RESET + dt.timedelta(minutes=1))
    assert [f.dialog for f in out.state.frames] == ["menu"]
    assert not any(isinstance(e, FileRequest) for e in out.effects)


def test_a_system_answer_nobody_waits_for_is_dropped() -> None:
    link = SystemIn("link_result", {"result": "ok"})
    out = advance(StackState(), ctx(link), "1")
    assert out.replies == () and out.state == StackState()
    menu = StackState((Frame("menu", "main"),), "4", 0, NOW)
    out = advance(menu, ctx(link), "5")
    assert out.replies == () and out.state == menu, "not counted as a miss"


def test_leaving_a_pushed_identity_check_drops_the_flow_below() -> None:
    sim = Sim(bookings=(bk(),))
    sim.send("cancel")
    assert [f.dialog for f in sim.state.frames] == ["cancellation", "identity"]
    sim.send(ChoiceIn("menu"))
    assert [f.dialog for f in sim.state.frames] == ["menu"]
    sim.send("BK-1001")
    assert sim.where() == ("menu", "main"), "the old question is not answered any more"


def test_text_first_words_are_routed_and_greeted_only_when_unclear() -> None:
    sim = Sim(bookings=(bk(),), linked=True, consented=True)
    sim.send("how much do I pay?")
    assert "Payment for your upcoming bookings" in sim.text()
    sim2 = Sim()
    sim2.send("hi")
    assert sim2.text().startswith("Hello!") and "Sorry" not in sim2.text()


def test_a_handoff_waits_for_a_person_until_the_customer_asks_for_the_menu() -> None:
    sim = Sim(bookings=(bk("treatment", 0, hour=15),), linked=True, consented=True)
    sim.send("I have a fever")
    sim.send(ChoiceIn("illness"))
    sim.send("Fever since last night")
    assert sim.mode == "queued" and len(sim.filed) == 1
    assert sim.send("hello?") == []
    sim.send(TextIn("menu"))
    assert sim.where() == ("menu", "main")


def test_a_flow_waiting_for_a_lost_identity_check_asks_for_it_again() -> None:
    waiting = StackState((Frame("payment", "identity", {}),), "7", 0, NOW)
    out = advance(waiting, ctx("hello", facts(linked=False)), "8")
    assert [(f.dialog, f.step) for f in out.state.frames] == [
        ("payment", "identity"),
        ("identity", "consent"),
    ]


@pytest.mark.parametrize("frame", FRAMES, ids=IDS)
@pytest.mark.parametrize("flow", ["cancellation", "booking_change", "late_arrival", "language", "menu"])
def test_an_always_there_button_enters_its_flow_from_every_state(frame: Frame, flow: str) -> None:
    # A LINE rich menu tap or a Telegram command: no token, never stale, whatever is open.
    out = go(frame, ChoiceIn(flow, anywhere=True))
    assert not out.stale and out.state.frames, render(out.replies)
    assert out.state.frames[0].dialog == flow
    assert out.replies, "the flow asks its first question"


@pytest.mark.parametrize("frame", FRAMES, ids=IDS)
def test_an_always_there_person_button_hands_over_from_every_state(frame: Frame) -> None:
    out = go(frame, ChoiceIn("human", anywhere=True))
    assert out.handoff and out.state.frames == ()


def test_the_same_flow_id_without_anywhere_is_the_open_questions_business() -> None:
    frame = Frame("late_arrival", "minutes", {"run": "r", "booking_id": 1})
    out = go(frame, ChoiceIn("cancellation"))
    assert [f.dialog for f in out.state.frames] == ["late_arrival"]


@pytest.mark.parametrize(
    ("body", "answered"),
    [
        (ChoiceIn("cancellation", anywhere=True), True),
        (ChoiceIn("language", anywhere=True), True),
        (ChoiceIn("menu", anywhere=True), True),
        (ChoiceIn("human", anywhere=True), False),
        (ChoiceIn("cancellation"), False),
        (TextIn("cancel my booking"), False),
    ],
)
def test_a_waiting_customer_returns_to_the_bot_with_a_menu_button_and_an_agents_hold_stays(
    body: Body, answered: bool
) -> None:
    from bot.modes import Mode, answering

    assert (answering(Mode.QUEUED, body) is Mode.BOT) is answered
    assert answering(Mode.AGENT, body) is None
