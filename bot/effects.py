"""Effects are data: what a dialog wants done. The engine applies them inside the event's transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Escalate:
    """Open a ticket for the agents; the conversation waits for a person (mode `queued`)."""

    reason: str
    priority: str = "normal"  # urgent | normal
    summary: str = ""


@dataclass(frozen=True, slots=True)
class FileRequest:
    """File a request for a person to confirm; also opens its ticket. Filed once per `dedupe`."""

    kind: str  # cancellation | change | late | special | data
    dedupe: str
    booking_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    fee_jpy: int | None = None
    priority: str = "normal"
    summary: str = ""
    # False: record only, no ticket.
    escalate: bool = True
    # True: the conversation also waits for a person (mode `queued`); otherwise the bot carries on.
    handoff: bool = False


@dataclass(frozen=True, slots=True)
class SetLocale:
    locale: str
    source: str = "chosen"  # platform | detected | chosen


@dataclass(frozen=True, slots=True)
class AttemptLink:
    """Link this chat identity to the customer with this booking reference and birth date.

    The engine answers with SystemIn("link_result", {"result": "ok" | "wrong" | "locked"}).
    """

    reference: str
    birth_date: dt.date


@dataclass(frozen=True, slots=True)
class RecordConsent:
    pass


@dataclass(frozen=True, slots=True)
class MarkUnreachable:
    pass


@dataclass(frozen=True, slots=True)
class NoteAttachment:
    """A customer sent a file or location: onto the conversation's open ticket (its open request's), or
    a new normal one; the bot carries on (no handoff), so the question it had asked stays open."""

    kind: str
    event_id: str


@dataclass(frozen=True, slots=True)
class RecordCsat:
    """Store a satisfaction answer with its survey: the first rating and the first comment stand."""

    survey: int
    rating: int | None = None
    comment: str | None = None


Effect = (
    Escalate
    | FileRequest
    | SetLocale
    | AttemptLink
    | RecordConsent
    | MarkUnreachable
    | NoteAttachment
    | RecordCsat
)
