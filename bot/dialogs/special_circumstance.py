"""Special circumstances (sudden illness, injury, disaster, transport strike, flight cancelled): which
booking, what happened, the details in the customer's words → recorded with whether the customer got
in touch before the appointment started, an urgent ticket, and a person takes over.

Such cases are handled individually (RULES.md §2): the bot says the fee *may* be waived when the
agency was contacted beforehand and never promises it. The contact time is the receipt time of the
message that opened this conversation about it, not of the last answer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from bot.dialogs.answering import FREE_TEXT, Expectation
from bot.dialogs.base import BookingFact, Ctx, Done, Frame, Transition, missed
from bot.dialogs.common import (
    Flow,
    Graph,
    booking,
    booking_option,
    hinted_booking,
    menu_option,
    named_booking,
    not_linked,
    picked_booking,
    run_id,
    understood_date,
    upcoming,
)
from bot.effects import FileRequest
from bot.events import ChoiceIn, TextIn
from bot.i18n import JST, Msg, When, msg
from bot.replies import Choices, HandoffNotice, Option, Reply, Text
from bot.understanding.topics import circumstance_category

CATEGORIES = ("illness", "injury", "bereavement", "disaster_weather", "transport", "visa_entry", "other")
NO_BOOKING = "no_booking"
DETAIL_CHARS = 1000
_UP_FRONT = ("what happened said up front: recorded, urgent ticket", "@handoff")
_BEGIN = (("several bookings", "choose"), ("one booking, or none", "what"), _UP_FRONT)


class SpecialCircumstanceDialog(Flow):
    name: ClassVar[str] = "special_circumstance"
    menu_label = msg("Illness, accident or other emergency")
    intents = ("special_circumstance",)
    expects: ClassVar[Mapping[str, Expectation]] = {"details": FREE_TEXT}
    graph: ClassVar[Graph] = {
        "start": (("not linked", "identity"), *_BEGIN),
        "identity": (
            *((f"linked: {label}", to) for label, to in _BEGIN),
            ("not linked: go on without a booking", "what"),
            ("not linked, " + _UP_FRONT[0], _UP_FRONT[1]),
        ),
        "choose": (("booking chosen", "what"), ("not about one booking", "what"), _UP_FRONT),
        "what": (
            ("what happened", "details"),
            ("described in own words: recorded, urgent ticket", "@handoff"),
        ),
        "details": (("details typed: recorded, urgent ticket", "@handoff"),),
    }

    def start(self, ctx: Ctx, args: Mapping[str, Any]) -> Transition:
        first = str(args.get("text") or "")[:DETAIL_CHARS]
        hint = understood_date(ctx)
        frame = self.frame(
            "start",
            run=run_id(ctx, self.name),
            contact_at=ctx.now.isoformat(),
            first=first,
            hint=hint.isoformat() if hint else None,
        )
        if ctx.facts.customer is None:
            return self.need_identity(frame)
        return self._begin(frame, ctx)

    def resume_identity(self, frame: Frame, result: Mapping[str, Any], ctx: Ctx) -> Transition:
        if result.get("locked"):
            return not_linked(result)
        if not result.get("linked") or ctx.facts.customer is None:
            # Urgent matters still reach a person; they identify the customer themselves.
            return self._what(frame, ctx, None)
        return self._begin(frame, ctx)

    def _begin(self, frame: Frame, ctx: Ctx) -> Transition:
        bookings = upcoming(ctx)
        first = str(frame.data.get("first", ""))
        # "後天的手術", "the surgery on saturday": the day the first message named picks the booking.
        named = named_booking(ctx, bookings, first) or hinted_booking(frame, bookings)
        if len(bookings) > 1 and named is None:
            return self.go(frame, ctx, "choose")
        chosen = named or (bookings[0] if bookings else None)
        return self._what(frame, ctx, chosen.id if chosen else None)

    def _what(self, frame: Frame, ctx: Ctx, booking_id: int | None) -> Transition:
        """Ask what happened, unless the first message already said it ("I have a fever")."""
        first = str(frame.data.get("first", "")).strip()
        category = circumstance_category(first) if first else "other"
        if category != "other" or _tells_a_story(first):
            # "my little girl has been burning up since last night … no one else can look after her":
            # what happened is told, in words no category names; the person reads it.
            return self._record(frame.to("what", booking_id=booking_id), ctx, category, first)
        return self.go(frame, ctx, "what", booking_id=booking_id)

    def ask_choose(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        options = (
            *(booking_option(b) for b in upcoming(ctx)),
            Option(NO_BOOKING, msg("Not about one booking")),
            menu_option(),
        )
        return (Choices(msg("Which booking is affected?"), options),)

    def on_choose(self, frame: Frame, ctx: Ctx) -> Transition:
        if isinstance(ctx.body, ChoiceIn) and ctx.body.option == NO_BOOKING:
            return self._what(frame, ctx, None)
        b = picked_booking(ctx, upcoming(ctx))
        return missed(frame) if b is None else self._what(frame, ctx, b.id)

    def ask_what(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        options = tuple(Option(c, category_label(c)) for c in CATEGORIES)
        return (Choices(msg("I'm sorry to hear that. What happened?"), (*options, menu_option())),)

    def on_what(self, frame: Frame, ctx: Ctx) -> Transition:
        body = ctx.body
        if isinstance(body, ChoiceIn) and body.option in CATEGORIES:
            return self.go(frame, ctx, "details", category=body.option)
        if isinstance(body, TextIn) and len(body.text.strip()) > 3:
            # A description instead of a category: keep the words, an agent reads them.
            text = body.text.strip()[:DETAIL_CHARS]
            return self._record(frame, ctx, circumstance_category(text), text)
        return missed(frame)

    def ask_details(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        return (
            Choices(
                msg(
                    "Please tell us briefly what happened and what you need (for example: a new date, or to cancel)."
                ),
                (menu_option(),),
            ),
        )

    def on_details(self, frame: Frame, ctx: Ctx) -> Transition:
        body = ctx.body
        if not isinstance(body, TextIn) or not body.text.strip():
            return missed(frame)
        return self._record(
            frame, ctx, str(frame.data.get("category", "other")), body.text.strip()[:DETAIL_CHARS]
        )

    def _record(self, frame: Frame, ctx: Ctx, category: str, details: str) -> Transition:
        contact_at = _instant(frame.data.get("contact_at")) or ctx.now
        b = booking(ctx, frame) or _any(ctx, frame.data.get("booking_id"))
        before = contact_at < b.service_at if b else None
        filed = FileRequest(
            kind="special",
            dedupe=str(frame.data["run"]),
            booking_id=b.id if b else None,
            details={
                "category": category,
                "details": details,
                "first_message": str(frame.data.get("first", "")),
                "contact_at": contact_at.isoformat(),
                "reference": b.reference if b else None,
                "service_at": b.service_at.astimezone(JST).isoformat() if b else None,
                "contacted_before_start": before,
            },
            priority="urgent",
            summary=(
                f"Special circumstance ({category})"
                + (
                    f" for {b.reference}: contacted {'before' if before else 'after'} the appointment start."
                    if b
                    else ": no booking identified."
                )
                + " Handle individually; a waiver is not promised."
            ),
            handoff=True,
        )
        replies: list[Text | HandoffNotice] = [Text(_recorded(contact_at, b, before))]
        replies.append(
            Text(
                msg(
                    "Cases like this are handled individually by a person from our team. When the agency was "
                    "contacted before the appointment, the fee may be waived, but only a person can decide that "
                    "after looking at your case, so I can't promise it here."
                )
            )
        )
        replies.append(
            HandoffNotice(msg("I've passed this to our team as urgent; a person will answer you here soon."))
        )
        return Transition(next=Done(show_menu=False), replies=tuple(replies), effects=(filed,))


def _recorded(contact_at: dt.datetime, b: BookingFact | None, before: bool | None) -> Msg:
    if b is None:
        return msg(
            "Thank you for telling us. We have noted that you contacted us at {contact}.",
            contact=When(contact_at),
        )
    if before:
        return msg(
            "Thank you for telling us. We have noted that you contacted us at {contact}, before your appointment "
            "started ({when}).",
            contact=When(contact_at),
            when=When(b.service_at),
        )
    return msg(
        "Thank you for telling us. We have noted that you contacted us at {contact}, after your appointment "
        "started ({when}).",
        contact=When(contact_at),
        when=When(b.service_at),
    )


def category_label(category: str) -> Msg:
    match category:
        case "illness":
            return msg("Sudden illness")
        case "injury":
            return msg("Injury or accident")
        case "bereavement":
            return msg("A death in the family")
        case "disaster_weather":
            return msg("Natural disaster or severe weather")
        case "transport":
            return msg("Flight, train or other transport problem")
        case "visa_entry":
            return msg("Visa or entry to Japan refused")
    return msg("Something else")


def _any(ctx: Ctx, booking_id: object) -> BookingFact | None:
    """The booking even if its date passed meanwhile: the record is about when the customer wrote."""
    return next((b for b in ctx.facts.bookings if b.id == booking_id), None)


def _instant(value: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _tells_a_story(first: str) -> bool:
    """A first message long enough to have said what happened (a word count; CJK and Thai by characters)."""
    if _ASKS_OR_SUPPOSES.search(first.lower()):
        # "If there is an emergency and I cannot come, what would I need?": nothing happened yet.
        return False
    words = len(first.split())
    dense = sum(1 for ch in first if ch >= "\u0e00")
    return words >= 20 or dense >= 40


_ASKS_OR_SUPPOSES = re.compile(
    r"[?？]|\bif\b|\bin case\b|如果|要是|假如|万一|萬一|もし|만약|만일|ถ้า|หาก|\bnếu\b|\bneu\b"
)
