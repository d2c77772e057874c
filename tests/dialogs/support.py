"""Pure helpers for dialog tests: facts and contexts built by hand, replies rendered to English,
and `Sim`, which drives runtime.turn as the engine does (effects answered, handoff queued)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from bot.dialogs import answering, registry
from bot.dialogs.base import BookingFact, Ctx, CustomerFact, Facts, Frame, Transition
from bot.dialogs.runtime import Outcome, Pending, Settled, StackState, turn
from bot.effects import AttemptLink, Effect, Escalate, FileRequest, RecordConsent
from bot.events import Body, ChoiceIn, ConversationKey, DateIn, InboundEvent, SystemIn, TextIn
from bot.i18n import JST, Translator
from bot.modes import Mode
from bot.replies import Card, Choices, DatePicker, HandoffNotice, Reply, Text

# A fixed Wednesday morning in Japan: 2026-03-04 10:00 JST.
NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=JST)
REFERENCE = "BK-1001"
BIRTH = dt.date(1990, 4, 1)
_ids = itertools.count(1)
E = TypeVar("E")


def at(days: int, hour: int = 10, minute: int = 0, base: dt.datetime = NOW) -> dt.datetime:
    """`days` JST calendar days after `base`'s JST date, at hour:minute JST."""
    day = base.astimezone(JST).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), JST)


def bk(
    kind: str = "treatment",
    days: int = 10,
    hour: int = 14,
    fee: int | None = 40_000,
    *,
    id: int | None = None,
    reference: str | None = None,
    status: str = "confirmed",
    paid: bool = False,
    requested_days: int = -10,
    confirmed_days: int = -9,
    base: dt.datetime = NOW,
) -> BookingFact:
    ident = id if id is not None else next(_ids)
    return BookingFact(
        id=ident,
        reference=reference or f"BK-{ident:04d}",
        kind=kind,
        clinic="Shibuya Skin Clinic",
        service_at=at(days, hour, base=base),
        fee_total_jpy=fee,
        requested_at=at(requested_days, 9, base=base),
        confirmed_at=at(confirmed_days, 9, base=base),
        status=status,
        paid=paid,
    )


def customer(no_shows: int = 0, tz: str | None = "Asia/Taipei") -> CustomerFact:
    return CustomerFact(id=1, name="Test Customer", timezone=tz, no_show_count=no_shows, consent=True)


def facts(
    *bookings: BookingFact,
    linked: bool = True,
    no_shows: int = 0,
    consented: bool | None = None,
    understood: Any = None,
    locked_until: dt.datetime | None = None,
    instructions: str | None = "Pay by bank transfer to account 123.",
) -> Facts:
    return Facts(
        channel="webchat",
        locale="en",
        customer=customer(no_shows) if linked else None,
        bookings=bookings if linked else (),
        link_locked_until=locked_until,
        payment_instructions=instructions,
        understood=understood,
        consented=linked if consented is None else consented,
    )


def ctx(body: Body | str, f: Facts | None = None, now: dt.datetime = NOW, event_id: str | None = None) -> Ctx:
    if isinstance(body, str):
        body = TextIn(body)
    event = InboundEvent(ConversationKey("webchat", "tester"), event_id or f"e{next(_ids)}", now, body)
    return Ctx(event, f or facts())


def render(replies: Iterable[Reply], tz: str | None = "Asia/Taipei") -> list[str]:
    """Replies as the customer reads them in English (buttons as "[id] label")."""
    tr = Translator("en", tz)
    out: list[str] = []
    for r in replies:
        match r:
            case Text(text=m) | HandoffNotice(text=m) | Card(text=m):
                out.append(tr.render(m))
            case Choices(prompt=p, options=opts) | DatePicker(prompt=p, options=opts):
                out.append(tr.render(p))
                out.extend(f"[{o.id}] {tr.render(o.label)}" for o in opts)
    return out


def text_of(replies: Iterable[Reply]) -> str:
    return "\n".join(render(replies))


def options_of(replies: Iterable[Reply]) -> list[str]:
    ids: list[str] = []
    for r in replies:
        if isinstance(r, Choices | DatePicker):
            ids.extend(o.id for o in r.options)
    return ids


def step(
    dialog: str, step_name: str, body: Body | str, f: Facts | None = None, now: dt.datetime = NOW, **data: Any
) -> Transition:
    """One step of one dialog, pure: the frame is built by hand; typed text is read against the step's
    question first, as the runtime does (bot.dialogs.answering)."""
    d = registry.get(dialog)
    frame = Frame(dialog, step_name, data)
    c = ctx(body, f, now)
    return d.step(frame, answering.read_typed(d, frame, c, ""))


def start(
    dialog: str, f: Facts | None = None, body: Body | str = "", now: dt.datetime = NOW, **args: Any
) -> Transition:
    return registry.get(dialog).start(ctx(body or TextIn("start"), f, now), args)


def effects_of(t: Transition | Outcome, kind: type[E]) -> list[E]:
    return [e for e in t.effects if isinstance(e, kind)]


@dataclass
class Sim:
    """The engine around runtime.turn, in memory: tokens, AttemptLink/RecordConsent answered,
    FileRequest deduplicated per (kind, dedupe) like the requests table; the turn itself (effect
    rounds, handoff, the mode: only "menu" brings a queued conversation back) is the engine's own."""

    bookings: tuple[BookingFact, ...] = ()
    linked: bool = False
    consented: bool = False
    no_shows: int = 0
    now: dt.datetime = NOW
    reference: str = REFERENCE
    birth: dt.date = BIRTH
    understand: Callable[[str, dt.datetime], Any] | None = None
    state: StackState = field(default_factory=StackState)
    version: int = 0
    mode: str = "bot"
    failures: int = 0
    locked_until: dt.datetime | None = None
    effects: list[Effect] = field(default_factory=list)
    filed: dict[tuple[str, str], FileRequest] = field(default_factory=dict)
    tickets: int = 0
    last: Settled | None = None
    replies: list[Reply] = field(default_factory=list)
    # Every advance: (stack before, stack after) — to compare what the dialogs did with their graphs.
    moves: list[tuple[StackState, StackState]] = field(default_factory=list)

    def facts(self, understood: Any = None) -> Facts:
        return Facts(
            channel="webchat",
            locale="en",
            customer=customer(self.no_shows) if self.linked else None,
            bookings=self.bookings if self.linked else (),
            link_locked_until=self.locked_until,
            payment_instructions="Pay by bank transfer to account 123.",
            understood=understood,
            consented=self.consented,
        )

    @property
    def token(self) -> str:
        return self.state.token

    def send(
        self, body: Body | str, *, after: dt.timedelta = dt.timedelta(seconds=20), stale: bool = False
    ) -> list[Reply]:
        """One customer event; a ChoiceIn/DateIn gets the current token unless `stale` (then an old one)."""
        if isinstance(body, str):
            body = TextIn(body)
        self.now += after
        if isinstance(body, ChoiceIn | DateIn) and not body.token:
            body = replace(body, token="0" if stale else self.token)
        understood = (
            self.understand(body.text, self.now) if self.understand and isinstance(body, TextIn) else None
        )
        event = InboundEvent(ConversationKey("webchat", "sim"), f"ev{next(_ids)}", self.now, body)
        token = str(self.version + 1)
        before = self.state
        # The same turn the engine runs; only the effects' I/O is simulated here.
        step = turn(self.state, event, self.facts(understood), mode=Mode(self.mode), token=token)
        while isinstance(step, Pending):
            step = step.resume(self._apply(step.effects), self.facts())
        self.mode = step.mode.value
        if not step.answered:
            self.replies = []
            return []
        self.moves.extend(zip((before, *step.path), step.path, strict=False))
        self.state = step.state
        self.version += 1
        self.last = step
        self.replies = list(step.replies)
        return self.replies

    def _apply(self, effects: Iterable[Effect]) -> list[SystemIn]:
        results: list[SystemIn] = []
        for e in effects:
            self.effects.append(e)
            match e:
                case RecordConsent():
                    self.consented = True
                case FileRequest():
                    key = (e.kind, e.dedupe)
                    if key not in self.filed:
                        self.filed[key] = e
                        self.tickets += 1 if e.escalate else 0
                case Escalate():
                    self.tickets += 1
                case AttemptLink():
                    results.append(SystemIn("link_result", self._link(e)))
        return results

    def _link(self, e: AttemptLink) -> dict[str, str]:
        """As bot.apply answers AttemptLink (five wrong in a row lock for an hour and open a ticket)."""
        if self.locked_until is not None and self.locked_until > self.now:
            return {"result": "locked"}
        if e.reference.upper() == self.reference.upper() and e.birth_date == self.birth:
            self.linked, self.failures = True, 0
            return {"result": "ok"}
        self.failures += 1
        if self.failures >= 5:
            self.failures, self.locked_until = 0, self.now + dt.timedelta(hours=1)
            self.tickets += 1
            return {"result": "locked"}
        return {"result": "wrong", "left": str(5 - self.failures)}

    def text(self) -> str:
        return text_of(self.replies)

    def options(self) -> list[str]:
        return options_of(self.replies)

    @property
    def top(self) -> Frame | None:
        return self.state.frames[-1] if self.state.frames else None

    def where(self) -> tuple[str, str] | None:
        return (self.top.dialog, self.top.step) if self.top else None


@dataclass(frozen=True)
class U:
    """What bot.understanding returns, as far as the dialogs read it."""

    intent: str = "other"
    minutes_late: int | None = None
    date: dt.date | None = None
