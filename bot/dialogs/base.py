"""The contract every dialog keeps: a pure function of (frame, context) to a Transition.

No I/O, no clock: `Ctx.now` is the event's receipt time and `Ctx.facts` are read-only facts the
engine loaded. A dialog's states are named steps with JSON-able data (`Frame`); `Dialog.graph`
declares the steps and edges, from which `counselbot dialogs diagram` draws the state diagrams.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol

from bot.effects import Effect
from bot.events import Body, InboundEvent
from bot.replies import Reply

# How much of a flow's first message it keeps to read again (dates, a booking, minutes): a long story
# puts the request at its end ("... so could I move it to Wed 18th or Fri 20th?").
FIRST_CHARS = 1200


@dataclass(frozen=True, slots=True)
class BookingFact:
    id: int
    reference: str
    kind: str  # online_consultation | consultation | treatment | surgery
    clinic: str
    service_at: dt.datetime
    fee_total_jpy: int | None
    requested_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    status: str
    paid: bool
    # When the customer asked to cancel it, while that request still waits for the team.
    cancellation_requested_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class CustomerFact:
    id: int
    name: str | None
    timezone: str | None
    no_show_count: int
    consent: bool


@dataclass(frozen=True, slots=True)
class TeamFact:
    """The team's availability when a person is asked for (bot.team loads it; engine side)."""

    open_now: bool
    # When the team opens next (while closed); None: no opening is set ahead.
    next_opening: dt.datetime | None
    anyone_online: bool
    # The typical wait of recent tickets (created to claimed); None: too few to say.
    expected_wait: dt.timedelta | None
    # The ticket is urgent and the team is closed: the on-call person was alerted.
    on_call: bool = False


@dataclass(frozen=True, slots=True)
class Facts:
    channel: str
    locale: str
    customer: CustomerFact | None = None
    bookings: tuple[BookingFact, ...] = ()
    link_locked_until: dt.datetime | None = None
    # This chat identity (or the linked customer) agreed to the privacy summary.
    consented: bool = False
    # Admin-edited text for the customer's locale; shown verbatim.
    payment_instructions: str | None = None
    # What bot.understanding made of a text event, when it ran (None for buttons, dates, ...).
    understood: Any = None
    # The typed text as read against the open question (bot.dialogs.answering), when it was text.
    answer: Any = None
    # The customer's own words when the event was text, also when they were read as a press.
    typed: str | None = None
    # Only when this turn asked for a person (loaded after the turn, for the handoff notice).
    team: TeamFact | None = None


@dataclass(frozen=True, slots=True)
class Ctx:
    event: InboundEvent
    facts: Facts

    @property
    def body(self) -> Body:
        return self.event.body

    @property
    def now(self) -> dt.datetime:
        return self.event.received_at


@dataclass(frozen=True, slots=True)
class Frame:
    dialog: str
    step: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def to(self, step: str, **data: Any) -> Frame:
        return replace(self, step=step, data={**self.data, **data})

    def to_json(self) -> dict[str, Any]:
        return {"dialog": self.dialog, "step": self.step, "data": dict(self.data)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Frame:
        return cls(data["dialog"], data["step"], dict(data.get("data", {})))


@dataclass(frozen=True, slots=True)
class Done:
    """This dialog is finished; `result` goes to the dialog below (its `resume`), or the menu shows."""

    result: Mapping[str, Any] = field(default_factory=dict)
    show_menu: bool = True


@dataclass(frozen=True, slots=True)
class Start:
    """Replace this dialog with another (the menu handing over to a flow)."""

    dialog: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Push:
    """Run another dialog on top; when it is Done, this one's `resume` gets its result."""

    dialog: str
    args: Mapping[str, Any] = field(default_factory=dict)
    then: Frame | None = None


@dataclass(frozen=True, slots=True)
class Exit:
    """Leave every dialog: back to the menu, or to a person (the global ways out, from inside a step)."""

    to: str  # "menu" | "human"


Next = Frame | Done | Start | Push | Exit


@dataclass(frozen=True, slots=True)
class Transition:
    next: Next
    replies: tuple[Reply, ...] = ()
    effects: tuple[Effect, ...] = ()
    # The input was not something this step can use: the runtime re-asks and counts the miss.
    missed: bool = False


class Dialog(Protocol):
    name: ClassVar[str]
    # step -> ((edge label, target), ...) — for diagrams and tests. The pseudo-step "start" holds the
    # edges of `start()`; a target is a step, "done" (back to the caller or the menu), "@handoff" (a
    # person takes over) or "@<dialog>" (hands over to that dialog).
    graph: ClassVar[Mapping[str, tuple[tuple[str, str], ...]]]

    def start(self, ctx: Ctx, args: Mapping[str, Any]) -> Transition: ...

    def step(self, frame: Frame, ctx: Ctx) -> Transition: ...

    def prompt(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        """What this step is asking, to show again (after a stale button or a miss)."""
        ...

    def resume(self, frame: Frame, result: Mapping[str, Any], ctx: Ctx) -> Transition: ...


def missed(frame: Frame) -> Transition:
    return Transition(next=frame, missed=True)
