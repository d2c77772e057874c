"""The satisfaction question's transitions: rating by button, number or words, stale presses, the
optional comment, and a new request typed instead (the menu's routing starts it)."""

from __future__ import annotations

import pytest

from bot.dialogs import registry
from bot.dialogs.base import Done, Frame, Start, Transition
from bot.dialogs.csat import FLOWS, SKIP, STALE, option_id
from bot.dialogs.csat_words import rating_of
from bot.dialogs.runtime import StackState, advance
from bot.effects import RecordCsat
from bot.events import ChoiceIn
from bot.i18n import Translator
from tests.dialogs.edges import Edges
from tests.dialogs.support import bk, ctx, effects_of, facts, options_of, start, step, text_of

E = Edges("csat")
SURVEY = 41
# The words the menu routes to each flow (tests/dialogs/test_menu_runtime.py ROUTES).
TYPED = {
    "cancellation": "I need to cancel",
    "booking_change": "can I reschedule?",
    "late_arrival": "sorry, running late",
    "special_circumstance": "I'm sick",
    "payment": "how do I pay",
    "privacy": "privacy policy",
}


def rated(body: ChoiceIn | str) -> Transition:
    return step("csat", "rating", body, survey=SURVEY)


@E("start", "asked")
def _asked() -> Transition:
    t = start("csat", survey=SURVEY)
    assert options_of(t.replies) == [option_id(SURVEY, n) for n in range(1, 6)]
    assert "How satisfied are you" in text_of(t.replies)
    return t


@E("rating", "rated 1-5 (button, number or words)")
def _rated() -> Transition:
    for body, n in ((ChoiceIn(option_id(SURVEY, 4)), 4), ("5", 5), ("５", 5), ("very good", 5), ("2", 2)):
        t = rated(body)
        assert effects_of(t, RecordCsat) == [RecordCsat(SURVEY, rating=n)], body
        assert isinstance(t.next, Frame) and t.next.data["rating"] == n
    return rated("とても良い")


@E("rating", "a button of an earlier survey: nothing changes")
def _rating_stale() -> Transition:
    t = rated(ChoiceIn(option_id(SURVEY - 1, 5)))
    assert t.effects == () and Translator("en").render(STALE) in text_of(t.replies)
    return t


@E("rating", "thanks, or no thanks: the survey lets go")
def _rating_lets_go() -> Transition:
    for typed in ("no thanks", "ありがとうございます", "ไม่เป็นไรค่ะ ขอบคุณค่ะ"):
        t = rated(typed)
        assert t.effects == () and isinstance(t.next, Done) and t.next.show_menu, typed
    return t


def test_anything_else_is_asked_again() -> None:
    t = rated("hmm")
    assert t.missed and t.effects == ()


@E("comment", "a comment written")
def _commented() -> Transition:
    t = step("csat", "comment", "  The agent was very kind. ", survey=SURVEY, rating=5)
    assert effects_of(t, RecordCsat) == [RecordCsat(SURVEY, comment="The agent was very kind.")]
    assert "Thank you for your feedback" in text_of(t.replies)
    return t


@E("comment", "skipped")
def _skipped() -> Transition:
    t = step("csat", "comment", ChoiceIn(SKIP), survey=SURVEY, rating=3)
    assert t.effects == ()
    return t


@E("comment", "a button of an earlier survey: nothing changes")
def _comment_stale() -> Transition:
    t = step("csat", "comment", ChoiceIn(option_id(SURVEY, 1)), survey=SURVEY, rating=5)
    assert t.effects == () and Translator("en").render(STALE) in text_of(t.replies)
    return t


def _request(step_name: str, flow: str) -> Transition:
    t = step("csat", step_name, TYPED[flow], survey=SURVEY, rating=4)
    assert isinstance(t.next, Start) and t.next.dialog == flow
    assert not effects_of(t, RecordCsat), "a request is not stored as a rating or a comment"
    return t


for _flow in FLOWS:
    for _step in ("rating", "comment"):
        E(_step, f"a {_flow} request typed instead")(lambda s=_step, f=_flow: _request(s, f))  # type: ignore[misc]


test_transition = E.test()


def test_flows_are_the_menus() -> None:
    assert registry.FLOWS == FLOWS


@pytest.mark.parametrize(
    ("typed", "n"),
    [
        ("5", 5),
        ("５", 5),
        ("5/5", 5),
        ("★★★★", 4),
        ("Very good!", 5),
        ("普通", 3),
        ("매우 만족", 5),
        ("ดีมาก", 5),
        ("rất tệ", 1),
        ("非常满意", 5),
        ("4点", 4),
    ],
)
def test_typed_ratings(typed: str, n: int) -> None:
    assert rating_of(typed) == n


@pytest.mark.parametrize("typed", ["6", "0", "good morning, I need to cancel", "15", "ok"])
def test_not_ratings(typed: str) -> None:
    assert rating_of(typed) is None


def _asked_state() -> StackState:
    return StackState((Frame("csat", "rating", {"survey": SURVEY}),), token="7")


def test_a_rating_pressed_twice_is_stale_and_records_nothing() -> None:
    first = advance(_asked_state(), ctx(ChoiceIn(option_id(SURVEY, 5), "7")), "8")
    assert first.effects == (RecordCsat(SURVEY, rating=5),)
    again = advance(first.state, ctx(ChoiceIn(option_id(SURVEY, 1), "7")), "9")
    assert again.stale and again.effects == ()
    assert Translator("en").render(STALE) in text_of(again.replies)
    assert again.state.frames == first.state.frames, "still waiting for the comment"


def test_a_rating_button_after_the_survey_ended_changes_nothing() -> None:
    menu = StackState((Frame("menu", "main"),), token="9")
    out = advance(menu, ctx(ChoiceIn(option_id(SURVEY, 2))), "10")
    assert out.stale and out.effects == () and out.state.frames == menu.frames


def test_a_typed_request_during_the_survey_is_handled() -> None:
    out = advance(_asked_state(), ctx("I need to cancel", facts(bk("treatment", 10))), "8")
    assert out.state.frames[-1].dialog == "cancellation"
    assert not [e for e in out.effects if isinstance(e, RecordCsat)]
