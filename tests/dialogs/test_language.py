from __future__ import annotations

import datetime as dt
from dataclasses import replace

from bot.dialogs import registry
from bot.dialogs.base import Done, Frame, Transition
from bot.dialogs.runtime import StackState, advance
from bot.effects import SetLocale
from bot.events import ChoiceIn
from bot.understanding import understand
from tests.dialogs.edges import Edges
from tests.dialogs.support import NOW, ctx, effects_of, facts, options_of, start, step, text_of

E = Edges("language")


def test_the_menu_offers_the_language_choice() -> None:
    assert "language" in options_of(start("menu", facts()).replies)


def test_the_choice_lists_every_language_in_its_own_name() -> None:
    said = text_of(start("language", facts()).replies)
    for name in ("日本語", "English", "简体中文", "繁體中文", "한국어", "ภาษาไทย", "Tiếng Việt"):
        assert name in said


@E("choose", "a language")
def _chosen() -> Transition:
    t = step("language", "choose", ChoiceIn("lang_ko"), facts())
    assert effects_of(t, SetLocale) == [SetLocale("ko")]
    assert "I will write in 한국어 from now on" in text_of(t.replies)
    assert isinstance(t.next, Done)
    return t


def test_a_typed_language_name_in_the_choice_is_understood() -> None:
    f = replace(facts(), understood=understand("中文", NOW))
    t = step("language", "choose", "中文", f)
    assert effects_of(t, SetLocale) == [SetLocale("zh_Hans")]


def test_an_unknown_answer_is_re_asked() -> None:
    assert step("language", "choose", ChoiceIn("lang_xx"), facts()).missed


def test_typing_a_language_in_the_middle_of_a_flow_switches_and_carries_on() -> None:
    """Regression: "English" inside a flow was a miss ("Sorry, I didn't understand that")."""
    frames = (Frame("menu", "main"), Frame("payment", "identity"), Frame("identity", "consent", {}))
    state = StackState(frames, token="4", at=NOW - dt.timedelta(minutes=1))
    c = ctx("English", replace(facts(linked=False), understood=understand("English", NOW)))
    out = advance(state, c, "5")
    assert SetLocale("en") in out.effects
    assert out.state.frames == frames
    assert "I will write in English from now on" in text_of(out.replies)
    assert registry.get("identity").prompt(frames[-1], c)[0] in out.replies


test_transition = E.test()
