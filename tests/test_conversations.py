"""The whole-conversation corpus (tests/conversations/) through the real engine on SQLite.

Each conversation is its own test, and the corpus is strict: every conversation must reach its end
state (tests/conversations/known_failures.txt is kept empty; a test checks it). A failure prints the
transcript and the end-state difference. One transcript on its own:
`.venv/bin/python bench/conversations.py --show ID` (`COUNSELBOT_CONVERSATION_TRACE=1` adds the stack).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import AsyncIterator, Callable

import pytest

from bot.bus import Bus
from bot.config import Settings
from bot.engine import Engine
from bot.replies import Rendered, RenderedOption
from storage.db import Database
from tests.support.conversation_runner import Filed, Raised, State, matches, report, resolve_press, run
from tests.support.conversations import (
    LOCALES,
    BookingSpec,
    Conversation,
    Expect,
    RequestSpec,
    TicketSpec,
    Turn,
    known_failures,
    load_corpus,
)
from tests.support.databases import SqliteFactory

CONVERSATIONS = load_corpus()
KNOWN = known_failures()
MIN_PER_LOCALE = 15


@pytest.fixture(scope="module")
def corpus_url(sqlite_factory: SqliteFactory) -> str:
    """One database for the module: every conversation seeds a customer of its own."""
    return sqlite_factory.new()


@pytest.fixture
async def corpus_engine(
    corpus_url: str, settings_for: Callable[..., Settings]
) -> AsyncIterator[tuple[Engine, Database]]:
    db = Database(corpus_url)
    yield Engine(db, settings_for(corpus_url), Bus()), db
    await db.dispose()


def _param(c: Conversation) -> object:
    # The set's marker (registered in conftest.py): `-k heldout3` selects that set.
    return pytest.param(c, id=c.id, marks=[getattr(pytest.mark, c.set)])


@pytest.mark.parametrize("conversation", [_param(c) for c in CONVERSATIONS])
async def test_conversation(conversation: Conversation, corpus_engine: tuple[Engine, Database]) -> None:
    engine, db = corpus_engine
    out = await run(engine, db, conversation)
    if not out.ok:
        pytest.fail(report(out), pytrace=False)


def test_corpus_is_large_and_spread() -> None:
    per_locale = Counter(c.locale for c in CONVERSATIONS)
    assert {loc: per_locale[loc] for loc in LOCALES if per_locale[loc] < MIN_PER_LOCALE} == {}
    sets = {(c.locale, c.set) for c in CONVERSATIONS}
    assert {(loc, s) for loc in LOCALES for s in ("heldout", "main")} - sets == set()
    modes = {(c.locale, c.mode) for c in CONVERSATIONS}
    assert {(loc, m) for loc in LOCALES for m in ("typed", "buttons")} - modes == set()
    kinds = Counter(r.kind for c in CONVERSATIONS for r in c.expect.requests)
    assert set(kinds) == {"cancellation", "change", "late", "special", "data"}
    assert sum(1 for c in CONVERSATIONS if not c.expect.requests and c.expect.tickets == ()) >= 2 * len(
        LOCALES
    )


def test_no_conversation_is_excused() -> None:
    # Strict: a conversation that fails is a failing test, not an entry in known_failures.txt.
    assert KNOWN == set()


def _person_conversation(expect: Expect, ref: str) -> Conversation:
    return Conversation(
        id="runner-self-check",
        about="the menu's button for a person",
        locale="en",
        set="self",
        source="tests/test_conversations.py",
        mode="buttons",
        tz=None,
        linked=True,
        no_shows=0,
        bookings=(BookingSpec(ref, "treatment", 10, 14, fee=40000),),
        turns=(Turn(press="Talk to a person"),),
        expect=expect,
    )


async def test_the_runner_reports_an_end_state_that_differs(corpus_engine: tuple[Engine, Database]) -> None:
    """The instrument itself: a wrong expectation fails, with the transcript and the difference."""
    engine, db = corpus_engine
    wrong = Expect(requests=(RequestSpec("cancellation", fee=0),), tickets=(TicketSpec(("late",)),))
    out = await run(engine, db, _person_conversation(wrong, "SELF-0001"), user_id="self-check-1")
    text = report(out)
    assert not out.ok
    assert "[presses] Talk to a person" in text
    assert "requests differ" in text and "tickets differ" in text and "human (normal)" in text


async def test_the_runner_fails_a_last_turn_not_understood(corpus_engine: tuple[Engine, Database]) -> None:
    """ "Nothing filed" is not success when the bot understood nothing; relies on the runtime's miss count."""
    engine, db = corpus_engine
    spec = _person_conversation(Expect(requests=(), tickets=()), "SELF-0002")
    gibberish = dataclasses.replace(spec, mode="typed", turns=(Turn(text="qwxzv jjkq"),))
    out = await run(engine, db, gibberish, user_id="self-check-2")
    assert out.misses == 1
    assert not out.ok and "did not understand the last turn" in report(out)


async def test_the_runner_fails_a_conversation_left_in_a_flow(corpus_engine: tuple[Engine, Database]) -> None:
    """Stopping at a confirmation files nothing, and is still no success: the flow never ended."""
    engine, db = corpus_engine
    spec = _person_conversation(Expect(requests=(), tickets=()), "SELF-0003")
    stopped = dataclasses.replace(spec, turns=(Turn(press="Cancel a booking"),))
    out = await run(engine, db, stopped, user_id="self-check-3")
    assert not out.ok and "flow still open: cancellation" in report(out)


def test_presses_resolve_against_the_last_buttons() -> None:
    shown = [
        Rendered(
            "choices",
            "Shall I?",
            (RenderedOption("confirm", "Yes, cancel it"), RenderedOption("keep", "No, keep my booking")),
            "7",
        )
    ]
    assert resolve_press("keep", shown) == ("keep", "No, keep my booking", "7")
    assert resolve_press("2", shown) == ("keep", "No, keep my booking", "7")
    assert isinstance(resolve_press("3", shown), str)
    assert isinstance(resolve_press("send", shown), str)
    assert isinstance(
        resolve_press("ye", [*shown, Rendered("choices", "?", (RenderedOption("y", "Yes"),), "8")]), str
    )


def test_expectations_match_one_to_one_with_alternatives() -> None:
    expect = Expect(
        requests=(RequestSpec("special", booking="bk-1", details={"category": ["flight", "transport"]}),),
        tickets=(TicketSpec(("special",), "urgent"),),
    )
    filed = Filed("special", None, "BK-1", {"category": "transport", "details": "…"})
    assert matches(expect, State((filed,), (Raised("special", "urgent"),)))
    assert not matches(expect, State((filed, filed), (Raised("special", "urgent"),)))
    assert not matches(expect, State((filed,), (Raised("special", "normal"),)))
    assert not matches(expect, State((), (Raised("special", "urgent"),)))
    dates = Expect(requests=(RequestSpec("change", details={"preferred_dates": ["2026-03-20"]}),))
    assert not matches(
        dates, State((Filed("change", None, None, {"preferred_dates": ["2026-03-18", "2026-03-20"]}),))
    )
    # A name given alone matches the recorded name it is a part of, as the corpus README says.
    visa = Expect(requests=(RequestSpec("special", details={"category": "visa"}),))
    assert matches(visa, State((Filed("special", None, None, {"category": "visa_entry"}),)))
    assert not matches(visa, State((Filed("special", None, None, {"category": "disaster_weather"}),)))
    assert not matches(visa, State((Filed("special", None, None, {"category": "illness"}),)))
