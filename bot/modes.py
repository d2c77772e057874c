"""Who answers a conversation: its `Mode`, and every transition between modes (the one owner).

    bot ──escalate──> queued ──claim──> agent ──resolve + hand back──> bot
     │                  │  ^──release──┘ │ ^──reassign──┘
     └──take over───────┴──────> agent   │
    queued ──"menu" from the customer──> bot
    queued ──auto-assign (an online agent who speaks the language, below capacity)──> agent

Auto-assignment is a claim made by the team's round robin (`assign`, `assign_waiting`); with the
admins' setting "manual" it never happens and tickets wait to be claimed by hand.

The rules are pure (`answering`, `after_turn`); the transitions that touch tickets run their SQL
through storage.repositories.modes inside the caller's unit of work, so a ticket and its
conversation's mode always change together. Resolving and handing back is one function
(`resolve`) used inside ONE transaction with the hand-back's messages (Engine.hand_back_in).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot import availability
from bot.dialogs.keywords import is_menu
from bot.events import Body, ChoiceIn, TextIn
from storage.models import Ticket
from storage.repositories import availability as team_repo
from storage.repositories import csat as csat_repo
from storage.repositories import hours as hours_repo
from storage.repositories import modes as repo

# A customer is asked about satisfaction at most once in this long (whatever the number of tickets).
CSAT_QUIET = dt.timedelta(hours=24)
# Resolutions that were no help the customer asked for: no satisfaction question after them.
NO_CSAT_OUTCOMES = frozenset({"no_show"})


class Mode(StrEnum):
    BOT = "bot"  # the bot answers
    QUEUED = "queued"  # waiting for an agent; the bot is silent unless the customer asks for the menu
    AGENT = "agent"  # an agent owns it; the bot is silent and relays


def of(value: str | None) -> Mode:
    """The stored mode; anything unknown is treated as a person's (silence is the safe side)."""
    try:
        return Mode(value or Mode.BOT)
    except ValueError:
        return Mode.AGENT


def answering(mode: Mode, body: Body) -> Mode | None:
    """The mode in which the bot answers this customer event, or None when a person has it.

    A queued customer may return to the bot with "menu" (or a rich menu / command button for a flow)
    while waiting; an agent's hold is firm.
    """
    if mode is Mode.BOT:
        return Mode.BOT
    if mode is Mode.QUEUED and _asks_for_menu(body):
        return Mode.BOT
    return None


def after_turn(mode: Mode, handoff: bool) -> Mode:
    """Escalation: a turn that asked for a person leaves the conversation waiting for one."""
    return Mode.QUEUED if handoff and mode is Mode.BOT else mode


def _asks_for_menu(body: Body) -> bool:
    if isinstance(body, ChoiceIn) and body.anywhere:
        # A rich menu tap or a bot command for a flow (not "a person" again): the bot's business.
        return body.option != "human"
    return (isinstance(body, ChoiceIn) and body.option == "menu") or (
        isinstance(body, TextIn) and is_menu(body.text)
    )


async def claim(session: AsyncSession, ticket_id: int, agent_id: int, now: dt.datetime) -> bool:
    """Exactly one concurrent claimer wins; the winner's conversation goes to `agent` with it."""
    return await repo.claim(session, ticket_id, agent_id, now, Mode.AGENT)


async def take_over(session: AsyncSession, conversation_id: int, agent_id: int, now: dt.datetime) -> Ticket:
    """An agent takes up a conversation no ticket is open for (e.g. from a customer's card)."""
    return await repo.open_claimed(session, conversation_id, agent_id, now, Mode.AGENT)


async def release(session: AsyncSession, ticket_id: int, agent_id: int | None) -> bool:
    """Back to the queue (`agent_id` None: whoever holds it); the conversation waits again."""
    return await repo.release(session, ticket_id, agent_id, Mode.QUEUED)


async def reassign(
    session: AsyncSession, ticket_id: int, from_agent: int | None, to_agent: int, now: dt.datetime
) -> bool:
    """Another agent holds it; the conversation stays with a person (`agent`)."""
    return await repo.reassign(session, ticket_id, from_agent, to_agent, now)


@dataclass(frozen=True, slots=True)
class Resolved:
    """The conversation to hand back (None: the ticket had none) and the satisfaction survey to ask."""

    conversation_id: int | None
    survey_id: int | None = None


async def resolve(
    session: AsyncSession, ticket_id: int, agent_id: int | None, outcome: str, now: dt.datetime
) -> Resolved:
    """The ticket resolved and its conversation handed back to the bot, in the caller's transaction.

    Returns the conversation to hand back (whose menu — or satisfaction question, when a survey was
    opened — the caller sends in the same transaction), or raises `Changed` when the ticket changed
    hands meanwhile. Never resolved without the hand-back: a resolved ticket of an agent-owned
    conversation would leave the customer with a silent bot.
    """
    resolved = await repo.mark_resolved(session, ticket_id, agent_id, outcome, now)
    if resolved is None:
        raise Changed("This ticket changed hands meanwhile; reload the page.")
    (conversation_id,) = resolved
    if conversation_id is None:
        return Resolved(None)
    await repo.set_mode(session, conversation_id, Mode.BOT)
    survey = None
    if outcome not in NO_CSAT_OUTCOMES:
        survey = await csat_repo.open_survey(session, ticket_id, conversation_id, now, CSAT_QUIET)
    return Resolved(conversation_id, survey)


async def hand_back(session: AsyncSession, conversation_id: int) -> None:
    """Back to the bot (mode `bot`); the caller sends the menu in the same transaction."""
    await repo.set_mode(session, conversation_id, Mode.BOT)


class Changed(Exception):
    """A transition's precondition no longer held (another agent acted first)."""


# A console session with no request for this long has ended (= bot.console.auth.IDLE_TIMEOUT).
SESSION_IDLE = dt.timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Assignment:
    """The admins' setting: `auto` assigns new tickets round robin; `manual` leaves them to be claimed."""

    auto: bool = False
    default_capacity: int = availability.DEFAULT_CAPACITY
    away_after: dt.timedelta = dt.timedelta(minutes=10)


async def assignment(session: AsyncSession, away_after: dt.timedelta) -> Assignment:
    mode = await hours_repo.setting(session, "assignment")
    capacity = await hours_repo.setting(session, "capacity")
    return Assignment(
        auto=mode == "auto",
        default_capacity=int(capacity) if capacity and capacity.isdigit() else availability.DEFAULT_CAPACITY,
        away_after=away_after,
    )


async def assign(session: AsyncSession, ticket_id: int, now: dt.datetime, rules: Assignment) -> int | None:
    """Auto-assign one open ticket (the agent's id), or None: manual mode, or nobody fits (it waits)."""
    if not rules.auto:
        return None
    # Only a conversation waiting for a person: a ticket opened beside a flow the bot goes on with
    # (e.g. a cancellation to confirm) must not silence the bot by being claimed.
    is_open, locale = await repo.locale_of_ticket(session, ticket_id, Mode.QUEUED)
    if not is_open:
        return None
    team = await team_repo.team(session, now, now - SESSION_IDLE)
    given = await _give(session, ticket_id, locale, team, now, rules)
    return None if given is None else given.id


async def assign_waiting(session: AsyncSession, now: dt.datetime, rules: Assignment) -> list[tuple[int, int]]:
    """Someone may have become available: assign what waits, urgent and oldest first. (ticket, agent)."""
    if not rules.auto:
        return []
    waiting = await repo.waiting(session, Mode.QUEUED)
    if not waiting:
        return []
    team = await team_repo.team(session, now, now - SESSION_IDLE)
    done: list[tuple[int, int]] = []
    for ticket_id, locale in waiting:
        given = await _give(session, ticket_id, locale, team, now, rules)
        if given is not None:
            done.append((ticket_id, given.id))
            team = [given if a.id == given.id else a for a in team]
    return done


async def _give(
    session: AsyncSession,
    ticket_id: int,
    locale: str | None,
    team: list[team_repo.AgentLoad],
    now: dt.datetime,
    rules: Assignment,
) -> team_repo.AgentLoad | None:
    """Claim the ticket for the agent whose turn it is; returns that agent as they are now."""
    agent = availability.pick(
        team, availability.language_of(locale), now, rules.away_after, rules.default_capacity
    )
    if agent is None or not await claim(session, ticket_id, agent.id, now):
        return None
    turn = await repo.mark_assigned(session, agent.id)
    return replace(agent, load=agent.load + 1, assign_turn=turn)
