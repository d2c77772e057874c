"""runtime.turn: the whole turn (effect rounds, handoff, mode, the facts to render with), pure."""

from __future__ import annotations

import dataclasses

import pytest

from bot.dialogs import runtime
from bot.effects import AttemptLink, FileRequest
from bot.events import ChoiceIn, ConversationKey, DateIn, InboundEvent, SystemIn, TextIn
from bot.modes import Mode
from bot.understanding import understand
from tests.dialogs.support import BIRTH, Sim, at, bk, customer

OK = SystemIn("link_result", {"result": "ok"})


def late_customer_at_the_birth_date() -> tuple[Sim, InboundEvent]:
    """Running late, not linked yet: the next event (the birth date) links and then files the notice."""
    sim = Sim(bookings=(bk("treatment", days=0, hour=14),), understand=understand, now=at(0, 13))
    sim.send("I will be 20 minutes late")
    sim.send(ChoiceIn("consent_yes"))
    sim.send("BK-1001")
    assert sim.where() == ("identity", "birth_date")
    event = InboundEvent(ConversationKey("webchat", "sim"), "birth", sim.now, DateIn(BIRTH, token=sim.token))
    return sim, event


def test_a_link_then_a_late_notice_are_two_rounds_and_render_with_the_linked_customers_facts() -> None:
    sim, event = late_customer_at_the_birth_date()
    step = runtime.turn(sim.state, event, sim.facts(), mode=Mode.BOT, token="9")
    assert isinstance(step, runtime.Pending) and step.round == 1 and step.refresh
    assert [type(e) for e in step.effects] == [AttemptLink]
    sim.linked = True
    linked = dataclasses.replace(sim.facts(), customer=customer(tz="Asia/Bangkok"))
    step = step.resume([OK], linked)
    assert isinstance(step, runtime.Pending) and step.round == 2 and not step.refresh
    assert [type(e) for e in step.effects] == [FileRequest]
    done = step.resume([])
    assert isinstance(done, runtime.Settled) and done.answered and done.mode is Mode.BOT
    # Rendered with the facts as the turn ended: the customer's zone is known from the link on.
    assert done.facts.customer is not None and done.facts.customer.timezone == "Asia/Bangkok"
    assert len(done.path) == 2, "the event's step and the link answer's step"


def test_effects_beyond_the_round_limit_raise_instead_of_being_dropped() -> None:
    sim, event = late_customer_at_the_birth_date()
    step = runtime.turn(sim.state, event, sim.facts(), mode=Mode.BOT, token="9")
    assert isinstance(step, runtime.Pending)
    sim.linked = True
    last = dataclasses.replace(step, round=runtime.MAX_EFFECT_ROUNDS)
    # The link answer asks for one more round (the late notice): past the limit that is a bug, loudly.
    with pytest.raises(runtime.TurnDidNotSettle):
        last.resume([OK], sim.facts())


def test_a_person_holds_the_conversation_so_the_turn_says_nothing_and_keeps_the_stack() -> None:
    sim = Sim()
    sim.send("hello")
    event = InboundEvent(ConversationKey("webchat", "sim"), "e", sim.now, TextIn("hello again"))
    for mode in (Mode.AGENT, Mode.QUEUED):
        step = runtime.turn(sim.state, event, sim.facts(), mode=mode, token="9")
        assert isinstance(step, runtime.Settled)
        assert (step.answered, step.replies, step.state, step.mode) == (False, (), sim.state, mode)


def test_menu_brings_a_queued_customer_back_and_asking_for_a_person_queues() -> None:
    sim = Sim()
    sim.send("hello")
    menu = InboundEvent(ConversationKey("webchat", "sim"), "m", sim.now, ChoiceIn("menu", token=sim.token))
    back = runtime.turn(sim.state, menu, sim.facts(), mode=Mode.QUEUED, token="9")
    assert isinstance(back, runtime.Settled) and back.answered and back.mode is Mode.BOT
    human = InboundEvent(ConversationKey("webchat", "sim"), "h", sim.now, ChoiceIn("human", token=sim.token))
    step = runtime.turn(sim.state, human, sim.facts(), mode=Mode.BOT, token="9")
    assert isinstance(step, runtime.Pending) and step.sofar.handoff
    done = step.resume([])
    assert isinstance(done, runtime.Settled) and done.mode is Mode.QUEUED
    # An agent's hold is firm: "menu" does not take the conversation back.
    held = runtime.turn(sim.state, menu, sim.facts(), mode=Mode.AGENT, token="9")
    assert isinstance(held, runtime.Settled) and not held.answered and held.mode is Mode.AGENT
