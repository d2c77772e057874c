"""Late arrival: which booking (today's first), how late (10 / 20 / 30 / 60+ minutes, or typed),
then the notice is recorded and an urgent ticket alerts the agents at once (RULES.md §4).

From 30 minutes the customer is told plainly that it may count as a no-show cancellation and is
offered a change of the booking or a person. A customer we cannot identify still reaches a person
at once: being late does not wait for paperwork.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from bot import policy
from bot.dialogs.answering import MINUTES, Expectation
from bot.dialogs.base import FIRST_CHARS, BookingFact, Ctx, Done, Frame, Start, Transition, missed
from bot.dialogs.common import (
    Flow,
    Graph,
    booking,
    choose_booking,
    menu_option,
    named_booking,
    not_linked,
    parse_minutes,
    picked_booking,
    run_id,
    today,
    understood_minutes,
    upcoming,
)
from bot.dialogs.menu import human_option
from bot.effects import Escalate, FileRequest
from bot.events import ChoiceIn, TextIn
from bot.i18n import JST, When, msg
from bot.replies import Choices, HandoffNotice, Option, Reply, Text
from bot.understanding import answers

MINUTE_OPTIONS = {"m10": 10, "m20": 20, "m30": 30, "m60": 60}
MAX_MINUTES = 24 * 60
CHANGE, FINE = "change", "on_my_way"
# What a finished late notice leaves for the menu: its booking, so that "now 40 minutes" updates it.
LATE_FOR = "late_for"
_BEGIN = (
    ("no upcoming booking: agents alerted", "@handoff"),
    ("several bookings (today's first)", "choose"),
    ("one booking (or one today)", "minutes"),
    ("one booking, minutes known, under 30: notice filed", "done"),
    ("one booking, minutes known, 30 or more: notice filed", "after"),
)


class LateArrivalDialog(Flow):
    name: ClassVar[str] = "late_arrival"
    menu_label = msg("I'm running late")
    intents = ("late",)
    expects: ClassVar[Mapping[str, Expectation]] = {"minutes": MINUTES}
    booking_steps = frozenset({"minutes"})
    graph: ClassVar[Graph] = {
        "start": (("not linked", "identity"), *_BEGIN),
        "identity": (
            *((f"linked: {label}", to) for label, to in _BEGIN),
            ("not linked: agents alerted", "@handoff"),
        ),
        "choose": (
            ("booking chosen", "minutes"),
            ("booking chosen, minutes known, under 30: notice filed", "done"),
            ("booking chosen, minutes known, 30 or more: notice filed", "after"),
        ),
        "minutes": (
            ("under 30 minutes: notice filed, urgent ticket", "done"),
            ("30 minutes or more: notice filed, urgent ticket", "after"),
            ("booking no longer open", "done"),
        ),
        "after": (
            ("a new time typed, under 30: notice updated", "done"),
            ("a new time typed, 30 or more: notice updated", "after"),
            ("change the booking", "@booking_change"),
            ("talk to a person", "@handoff"),
            ("on my way", "done"),
        ),
    }

    def start(self, ctx: Ctx, args: Mapping[str, Any]) -> Transition:
        first = str(args.get("text") or "")[:FIRST_CHARS]
        frame = self.frame(
            "start",
            run=run_id(ctx, self.name),
            minutes=understood_minutes(ctx),
            first=first,
            booking_id=args.get("booking_id"),
        )
        if ctx.facts.customer is None:
            return self.need_identity(frame)
        return self._begin(frame, ctx)

    def resume_identity(self, frame: Frame, result: Mapping[str, Any], ctx: Ctx) -> Transition:
        if not result.get("linked") or ctx.facts.customer is None:
            if result.get("locked"):
                return not_linked(result)
            return _alert(frame, "A customer who is not identified says they are running late")
        return self._begin(frame, ctx)

    def _begin(self, frame: Frame, ctx: Ctx) -> Transition:
        bookings = upcoming(ctx)
        if not bookings:
            return _alert(frame, "A customer with no upcoming booking on record says they are running late")
        todays = [b for b in bookings if b.service_at.astimezone(JST).date() == today(ctx)]
        hinted = booking(ctx, frame)
        if hinted is not None and hinted not in todays and (todays or len(bookings) > 1):
            # The booking another flow was about ("move my surgery… oh, I'm 20 minutes late today") is
            # not what a late notice is for when another booking is today, or may be.
            hinted = None
        chosen = (
            hinted
            or named_booking(ctx, bookings, str(frame.data.get("first", "")))
            or (todays[0] if len(todays) == 1 else (bookings[0] if len(bookings) == 1 else None))
        )
        if chosen is None:
            return self.go(frame, ctx, "choose")
        return self._chosen(frame, ctx, chosen)

    def _chosen(self, frame: Frame, ctx: Ctx, b: BookingFact) -> Transition:
        minutes = frame.data.get("minutes")
        if not isinstance(minutes, int):
            # "My appointment is at 3, I'll be there at 3:20": a clock time said up front, read against it.
            said = answers.read(
                str(frame.data.get("first", "")),
                answers.Expect("minutes", (), b.service_at),
                locale=ctx.facts.locale,
                now=ctx.now,
            )
            minutes = said.minutes if isinstance(said, answers.Minutes) and said.minutes > 0 else None
        if isinstance(minutes, int):
            return self._record(frame, ctx, b, minutes)
        return self.go(frame, ctx, "minutes", booking_id=b.id)

    def ask_choose(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        return choose_booking(msg("Which appointment will you be late for?"), upcoming(ctx))

    def on_choose(self, frame: Frame, ctx: Ctx) -> Transition:
        b = picked_booking(ctx, upcoming(ctx))
        return missed(frame) if b is None else self._chosen(frame, ctx, b)

    def ask_minutes(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        options = (
            Option("m10", msg("About 10 minutes")),
            Option("m20", msg("About 20 minutes")),
            Option("m30", msg("About 30 minutes")),
            Option("m60", msg("An hour or more")),
            menu_option(),
        )
        return (Choices(msg("How late do you think you will be? Choose, or type the minutes."), options),)

    def on_minutes(self, frame: Frame, ctx: Ctx) -> Transition:
        b = self.chosen(ctx, frame)
        body, read = ctx.body, ctx.facts.answer
        minutes: int | None = None
        if isinstance(body, ChoiceIn):
            minutes = MINUTE_OPTIONS.get(body.option)
        elif isinstance(body, TextIn):
            said = read.minutes if isinstance(read, answers.Minutes) else None
            minutes = said or understood_minutes(ctx) or parse_minutes(body.text)
        if minutes is None or not 0 < minutes <= MAX_MINUTES:
            return missed(frame)
        return self._record(frame, ctx, b, minutes)

    def _record(self, frame: Frame, ctx: Ctx, b: BookingFact, minutes: int) -> Transition:
        late = policy.lateness(minutes)
        arrival = b.service_at + dt.timedelta(minutes=minutes)
        # An update within the same run ("more like 50 minutes" at the warning) is a notice of its own.
        notice = FileRequest(
            kind="late",
            dedupe=str(frame.data["run"]) + (f"+{minutes}" if frame.step == "after" else ""),
            booking_id=b.id,
            details={
                "reference": b.reference,
                "kind": b.kind,
                "minutes_late": minutes,
                "expected_arrival": arrival.astimezone(JST).isoformat(),
                "may_be_no_show": late.may_be_no_show,
                "told_at": ctx.now.isoformat(),
            },
            priority="urgent",
            summary=(
                f"Running late: about {minutes} min for {b.reference} ({b.kind}, "
                f"{b.service_at.astimezone(JST):%Y-%m-%d %H:%M} JST). Tell the interpreter and the clinic."
            ),
        )
        thanks = Text(
            msg(
                "Thank you for telling us. I've alerted our team at once; they will let the interpreter and the "
                "clinic know. You expect to join the call at about {arrival}.",
                arrival=When(arrival),
            )
            if online(b)
            else msg(
                "Thank you for telling us. I've alerted our team at once; they will let the interpreter and the "
                "clinic know. Expected arrival: about {arrival}.",
                arrival=When(arrival),
            )
        )
        if not late.may_be_no_show:
            return Transition(next=Done({LATE_FOR: b.id}), replies=(thanks,), effects=(notice,))
        warning = Text(
            msg(
                "Please note: arriving 30 minutes or more late may be treated as a no-show cancellation. "
                "If you can't make it in time, you can change the booking, or talk to a person now."
            )
        )
        t = self.go(frame, ctx, "after", thanks, warning, booking_id=b.id, minutes=minutes)
        return Transition(next=t.next, replies=t.replies, effects=(notice,))

    def ask_after(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        b = booking(ctx, frame)
        online_step = b is not None and online(b)
        options = (
            Option(CHANGE, msg("Change the booking")),
            human_option(),
            Option(FINE, msg("I'll join as soon as I can") if online_step else msg("I'm on my way")),
        )
        return (Choices(msg("What would you like to do?"), options),)

    def on_after(self, frame: Frame, ctx: Ctx) -> Transition:
        body = ctx.body
        understood = ctx.facts.understood
        if isinstance(body, TextIn) and "change" in (
            getattr(understood, "intent", None),
            getattr(understood, "alternative", None),
        ):
            # "40分も遅れるならもう別の日にしたいです": the minutes again, but what they ask is another day.
            body = ChoiceIn(CHANGE)
        if isinstance(body, ChoiceIn) and body.option == CHANGE:
            return Transition(next=Start("booking_change", {"booking_id": frame.data.get("booking_id")}))
        typed = ctx.facts.typed or ""
        b = booking(ctx, frame)
        later = said_minutes(typed, b, ctx) if isinstance(body, TextIn) and b is not None else None
        if b is not None and later is not None and later != frame.data.get("minutes"):
            # "Now more like 50 minutes": the team is told the new time, not "travel safely".
            return self._record(frame, ctx, b, later)
        if isinstance(body, TextIn) and typed.strip() and not _asks_or_changes(ctx):
            # "I'll still try to make it", "coming as fast as I can": the notice is filed; they are coming.
            body = ChoiceIn(FINE)
        if isinstance(body, ChoiceIn) and body.option == FINE:
            bye = (
                msg("Thank you. See you in the call.")
                if b and online(b)
                else msg("Thank you. Please travel safely.")
            )
            return Transition(next=Done({LATE_FOR: b.id} if b else {}), replies=(Text(bye),))
        return missed(frame)


def said_minutes(text: str, b: BookingFact, ctx: Ctx) -> int | None:
    """How late a typed message says the customer will be for `b`: minutes, or a clock time read
    against the appointment ("more like 40 minutes", "I'll be there at 10:50")."""
    said = answers.read(
        text, answers.Expect("minutes", (), b.service_at), locale=ctx.facts.locale, now=ctx.now
    )
    if isinstance(said, answers.Minutes) and 0 < said.minutes <= MAX_MINUTES:
        return said.minutes
    return None


def _asks_or_changes(ctx: Ctx) -> bool:
    """Words at "what would you like to do?" that are not simply "I'm coming": a question, or another
    request (a change, a person, a cancellation) that the ways out and asides answer instead."""
    understood = ctx.facts.understood
    intent = getattr(understood, "intent", "other")
    return "?" in (ctx.facts.typed or "") or intent not in ("other", "late", None)


def _alert(frame: Frame, what: str) -> Transition:
    minutes = frame.data.get("minutes")
    summary = f"{what}" + (f" (about {minutes} min)." if isinstance(minutes, int) else ".")
    notice = msg(
        "I've told our team that you're running late; a person will answer you here as soon as possible."
    )
    return Transition(
        next=Done(show_menu=False),
        replies=(HandoffNotice(notice),),
        effects=(Escalate("late", "urgent", summary),),
    )


def online(b: BookingFact) -> bool:
    """An online consultation: the customer joins a call, nobody travels."""
    return b.kind == "online_consultation"
