"""Runs one corpus conversation through the real engine (web chat channel) on a real database, then
compares the end state with what the conversation expects.

Every event is stamped with the corpus's fixed "now" (a few seconds apart per turn), so fees and
deadlines are the same on every run. The customer and bookings are seeded fresh per conversation (a
web chat visitor of its own); presses are resolved against the buttons the bot last sent, in the
conversation's locale, and carry that message's prompt token as a browser would.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bot.engine import Engine
from bot.events import Body, ChoiceIn, ConversationKey, DateIn, FollowIn, InboundEvent, TextIn
from bot.replies import Rendered
from storage.db import Database
from storage.models import (
    Booking,
    ChannelIdentity,
    Conversation,
    Customer,
    Request,
    Ticket,
    TranscriptMessage,
)
from tests.support.conversations import BIRTH, NOW, Expect, RequestSpec, TicketSpec, Turn, at_days
from tests.support.conversations import Conversation as Spec

CHANNEL = "webchat"
# COUNSELBOT_CONVERSATION_TRACE=1: the transcript also shows the dialog stack after every turn.
TRACE = bool(os.environ.get("COUNSELBOT_CONVERSATION_TRACE"))
TURN_GAP = dt.timedelta(seconds=40)


@dataclass(frozen=True, slots=True)
class Filed:
    kind: str
    fee: int | None
    booking: str | None
    details: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.kind} fee={self.fee} booking={self.booking} details={self.details}"


@dataclass(frozen=True, slots=True)
class Raised:
    reason: str
    priority: str

    def __str__(self) -> str:
        return f"{self.reason} ({self.priority})"


@dataclass(frozen=True, slots=True)
class State:
    requests: tuple[Filed, ...] = ()
    tickets: tuple[Raised, ...] = ()


@dataclass
class Outcome:
    spec: Spec
    transcript: list[tuple[str, str]] = field(default_factory=list)
    state: State = field(default_factory=State)
    problems: list[str] = field(default_factory=list)
    # Customer turns until the expected end state was reached for good (None: never reached).
    turns_to_done: int | None = None
    # Turns the dialog runtime counted as not understood (its stack's miss counter went up).
    misses: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


async def seed(db: Database, spec: Spec, user_id: str) -> dict[int, str]:
    """The customer (born BIRTH) and their bookings; returns {booking id: reference}."""
    async with db.write() as s:
        customer = Customer(
            full_name="Corpus Customer",
            birth_date=BIRTH,
            timezone=spec.tz,
            locale=spec.locale,
            no_show_count=spec.no_shows,
            consent_at=NOW - dt.timedelta(days=30) if spec.linked else None,
        )
        s.add(customer)
        await s.flush()
        rows = [
            Booking(
                reference=b.ref,
                customer_id=customer.id,
                kind=b.kind,
                clinic=b.clinic,
                service_at=b.service_at(),
                fee_total_jpy=b.fee,
                status="confirmed",
                requested_at=at_days(b.requested, 9),
                confirmed_at=at_days(b.confirmed, 9),
                paid_at=at_days(b.confirmed, 12) if b.paid else None,
            )
            for b in spec.bookings
        ]
        s.add_all(rows)
        if spec.linked:
            month_ago = NOW - dt.timedelta(days=30)
            s.add(
                ChannelIdentity(
                    channel=CHANNEL,
                    user_id=user_id,
                    customer_id=customer.id,
                    locale_hint=spec.locale,
                    linked_at=month_ago,
                    consent_at=month_ago,
                )
            )
        await s.flush()
        return {b.id: b.reference for b in rows}


async def run(engine: Engine, db: Database, spec: Spec, user_id: str | None = None) -> Outcome:
    user = user_id or f"corpus-{spec.id}"
    refs = await seed(db, spec, user)
    out = Outcome(spec)
    chat = _Chat(engine, db, spec, user, refs, out)
    await chat.send(FollowIn(), NOW)
    done_since: int | None = 0 if matches(spec.expect, out.state) else None
    for i, turn in enumerate(spec.turns, start=1):
        body = chat.body_for(turn, i)
        if body is None:
            break
        await chat.send(body, NOW + i * TURN_GAP)
        if matches(spec.expect, out.state):
            done_since = i if done_since is None else done_since
        else:
            done_since = None
    if chat.last_missed:
        # An end state of "nothing filed" is also reached by a bot that understood nothing: the
        # conversation only succeeds when its last turn was understood too.
        out.problems.append("the bot did not understand the last turn (the dialog runtime counted a miss)")
    if chat.open_flows:
        # Every conversation ends its flow (filed, kept, handed over): one still asking is unfinished,
        # e.g. "no thanks" taken for the start of another flow.
        out.problems.append(f"the conversation ended with a flow still open: {' > '.join(chat.open_flows)}")
    out.problems.extend(state_problems(spec.expect, out.state))
    out.problems.extend(_missing_replies(spec.expect, out.transcript))
    if not out.problems:
        # "Nothing filed" is reached from the start: such a flow completes with its last turn.
        nothing = not spec.expect.requests and not spec.expect.tickets
        out.turns_to_done = len(spec.turns) if nothing or done_since is None else max(done_since, 1)
    return out


class _Chat:
    """One web chat visitor: sends events, reads back the bot's answers and the filed state."""

    def __init__(
        self, engine: Engine, db: Database, spec: Spec, user: str, refs: dict[int, str], out: Outcome
    ) -> None:
        self.engine, self.db, self.spec, self.refs, self.out = engine, db, spec, refs, out
        self.key = ConversationKey(CHANNEL, user)
        self.conversation_id: int | None = None
        self.seen = 0
        self.buttons: list[Rendered] = []
        self.misses = 0
        self.last_missed = False
        self.open_flows: list[str] = []
        self.queued = False

    def body_for(self, turn: Turn, index: int) -> Body | None:
        if turn.text is not None:
            self.out.transcript.append(("customer", turn.text))
            return TextIn(turn.text)
        if turn.pick is not None:
            picker = next((m for m in reversed(self.buttons) if m.kind == "date_picker"), None)
            if picker is None:
                self.out.problems.append(f"turn {index}: [pick {turn.pick}] but no date picker is on screen")
                return None
            self.out.transcript.append(("customer", f"[picks {turn.pick.isoformat()}]"))
            return DateIn(turn.pick, token=picker.token)
        found = resolve_press(str(turn.press), self.buttons)
        if isinstance(found, str):
            self.out.problems.append(f"turn {index}: [press {turn.press!r}] {found}")
            return None
        option_id, label, token = found
        self.out.transcript.append(("customer", f"[presses] {label}"))
        return ChoiceIn(option_id, token)

    async def send(self, body: Body, at: dt.datetime) -> None:
        event = InboundEvent(
            self.key, f"{self.key.user_id}-{at.timestamp():.0f}", at, body, locale_hint=self.spec.locale
        )
        await self.engine.handle(event)
        async with self.db.read() as s:
            if self.conversation_id is None:
                self.conversation_id = (
                    await s.execute(
                        select(Conversation.id).where(
                            Conversation.channel == CHANNEL, Conversation.user_id == self.key.user_id
                        )
                    )
                ).scalar_one()
            conv = await s.get(Conversation, self.conversation_id)
            self.queued = conv is not None and conv.mode != "bot"
            stack = (conv.stack if conv else None) or {}
            misses = int(stack.get("misses", 0))
            frames = stack.get("frames") or []
            self.open_flows = [str(f.get("dialog")) for f in frames if f.get("dialog") != "menu"]
            self.last_missed = misses > self.misses
            self.out.misses += self.last_missed
            self.misses = misses
            if TRACE:
                steps = " > ".join(f"{f.get('dialog')}.{f.get('step')}" for f in frames)
                self.out.transcript.append(("stack", f"{steps or '(empty)'}  misses={misses}"))
            rows = await s.execute(
                select(TranscriptMessage)
                .where(
                    TranscriptMessage.conversation_id == self.conversation_id,
                    TranscriptMessage.author == "bot",
                    TranscriptMessage.id > self.seen,
                )
                .order_by(TranscriptMessage.id)
            )
            answers = [
                (m.id, Rendered.from_json(m.payload) if m.payload else None, m.text) for m in rows.scalars()
            ]
            self.out.state = await _state(s, self.conversation_id, self.refs)
        if not answers and not isinstance(body, FollowIn):
            silent = "(no answer: the conversation waits for a person)" if self.queued else "(no answer)"
            self.out.transcript.append(("bot", silent))
        for row_id, rendered, text in answers:
            self.seen = row_id
            self.out.transcript.append(("bot", rendered.as_numbered_text() if rendered else text))
        shown = [r for _, r, _ in answers if r is not None and r.options]
        if shown:
            self.buttons = shown


async def _state(s: Any, conversation_id: int, refs: dict[int, str]) -> State:
    requests = await s.execute(
        select(Request).where(Request.conversation_id == conversation_id).order_by(Request.id)
    )
    tickets = await s.execute(
        select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id)
    )
    return State(
        tuple(
            Filed(r.kind, r.fee_jpy, refs.get(r.booking_id) if r.booking_id else None, dict(r.details or {}))
            for r in requests.scalars()
        ),
        tuple(Raised(t.reason, t.priority) for t in tickets.scalars()),
    )


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def resolve_press(wanted: str, shown: list[Rendered]) -> tuple[str, str, str] | str:
    """(option id, label, token) of the button the customer means, or why there is none.

    A number is the position in the last message with buttons (as numbered on text-only channels);
    otherwise the label, or a part of it, in the conversation's locale (an exact label wins).
    """
    if not shown:
        return "but the bot has shown no buttons"
    if wanted.strip().isdigit():
        last = shown[-1]
        n = int(wanted)
        if 1 <= n <= len(last.options):
            o = last.options[n - 1]
            return o.id, o.label, last.token
        return f"but the last buttons are numbered 1 to {len(last.options)}"
    w = _fold(wanted)
    options = [(o, m.token) for m in reversed(shown) for o in m.options]
    exact = [(o, t) for o, t in options if _fold(o.label) == w]
    partial = [(o, t) for o, t in options if w in _fold(o.label)]
    hits = exact or partial
    if len({o.id for o, _ in hits}) > 1:
        return f"matches several buttons: {', '.join(o.label for o, _ in hits)}"
    if not hits:
        return f"matches no button on screen: {', '.join(o.label for o, _ in options)}"
    o, token = hits[0]
    return o.id, o.label, token


def _details_match(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    for key, want in expected.items():
        if key not in actual:
            return False
        got = actual[key]
        if isinstance(got, list):
            if not isinstance(want, list) or sorted(map(str, got)) != sorted(map(str, want)):
                return False
        elif isinstance(want, list):
            # Alternatives where the corpus did not know the bot's name: "visa_entry" is "visa" or "entry".
            parts = got.split("_") if isinstance(got, str) else []
            if got not in want and not any(p in want for p in parts):
                return False
        elif got != want and not (isinstance(got, str) and isinstance(want, str) and want in got.split("_")):
            # As the corpus README says: "visa" is a part of the recorded "visa_entry".
            return False
    return True


def request_matches(spec: RequestSpec, filed: Filed) -> bool:
    return (
        spec.kind == filed.kind
        and (spec.fee is None or spec.fee == filed.fee)
        and (spec.booking is None or spec.booking.upper() == (filed.booking or "").upper())
        and _details_match(spec.details, filed.details)
    )


def ticket_matches(spec: TicketSpec, raised: Raised) -> bool:
    return (not spec.reasons or raised.reason in spec.reasons) and (
        spec.priority is None or spec.priority == raised.priority
    )


def _paired(specs: tuple[Any, ...], actual: tuple[Any, ...], fits: Any) -> bool:
    """A one-to-one pairing of every expectation with a distinct actual row (no row left over)."""
    if len(specs) != len(actual):
        return False
    if not specs:
        return True
    first, rest = specs[0], specs[1:]
    for i, row in enumerate(actual):
        if fits(first, row) and _paired(rest, actual[:i] + actual[i + 1 :], fits):
            return True
    return False


def matches(expect: Expect, state: State) -> bool:
    return _paired(expect.requests, state.requests, request_matches) and (
        expect.tickets is None or _paired(expect.tickets, state.tickets, ticket_matches)
    )


def state_problems(expect: Expect, state: State) -> list[str]:
    problems = []
    if not _paired(expect.requests, state.requests, request_matches):
        want = "\n".join(f"    {_spec_text(r)}" for r in expect.requests) or "    (nothing)"
        got = "\n".join(f"    {r}" for r in state.requests) or "    (nothing)"
        problems.append(f"requests differ\n  expected:\n{want}\n  filed:\n{got}")
    if expect.tickets is not None and not _paired(expect.tickets, state.tickets, ticket_matches):
        want = "\n".join(
            f"    {'|'.join(t.reasons) or '(any reason)'} ({t.priority or 'any'})" for t in expect.tickets
        )
        got = "\n".join(f"    {t}" for t in state.tickets) or "    (none)"
        problems.append(f"tickets differ\n  expected:\n{want or '    (none)'}\n  raised:\n{got}")
    return problems


def _spec_text(r: RequestSpec) -> str:
    parts = [r.kind, f"fee={r.fee if r.fee is not None else 'any'}", f"booking={r.booking or 'any'}"]
    if r.details:
        parts.append(f"details ⊇ {r.details}")
    return " ".join(parts)


# Digit grouping is the locale's ("90,000" in English, "90.000" in Vietnamese, "90 000"): an amount
# expected is found however its thousands are grouped.
_GROUPING = re.compile(r"(?<=\d)[,.\u00a0\u202f ](?=\d{3}(?!\d))")


def _amounts(text: str) -> str:
    return _GROUPING.sub("", _fold(text))


def _missing_replies(expect: Expect, transcript: list[tuple[str, str]]) -> list[str]:
    said = _amounts("\n".join(text for who, text in transcript if who == "bot"))
    missing = [w for w in expect.reply_contains if _amounts(w) not in said]
    return [f"the bot never said: {', '.join(repr(w) for w in missing)}"] if missing else []


def report(out: Outcome) -> str:
    """The transcript and what differs, as a person fixing the bot wants to read it."""
    spec = out.spec
    head = [
        f"{spec.id} ({spec.source}, {spec.mode}, {'linked' if spec.linked else 'not linked'}): {spec.about}",
        f"bookings: {', '.join(f'{b.ref} {b.kind} day {b.days:+d} {b.hour:02d}:{b.minute:02d} fee {b.fee}' for b in spec.bookings) or 'none'}",
        "",
    ]
    body = []
    for who, text in out.transcript:
        prefix = {"customer": "customer> ", "stack": "   stack> "}.get(who, "     bot> ")
        lines = text.splitlines() or [""]
        body.append(prefix + lines[0])
        body.extend(" " * len(prefix) + line for line in lines[1:])
    verdict = ["", "PROBLEMS:" if out.problems else "OK", *(f"- {p}" for p in out.problems)]
    return "\n".join([*head, *body, *verdict])
