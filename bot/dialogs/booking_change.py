"""Booking change: which booking, preferred new date(s), time of day, an optional note, confirm →
a change request and a ticket. A change is only a request until an agent confirms it with the clinic.

Online consultations of a customer with two or more recorded no-shows go to a person instead
(RULES.md §4, bot.policy.requires_human_for_consultation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from bot import policy
from bot.dialogs import keywords
from bot.dialogs.answering import DATE, FREE_TEXT, Expectation, yes_no
from bot.dialogs.base import FIRST_CHARS, BookingFact, Ctx, Done, Frame, Transition, missed
from bot.dialogs.cards import change_card
from bot.dialogs.change_words import said_time, sends_now, time_with_date, typed_time
from bot.dialogs.common import (
    Flow,
    Graph,
    answer,
    booking,
    booking_label,
    choose_booking,
    menu_option,
    named_booking,
    no_bookings,
    not_linked,
    parse_date,
    picked_booking,
    run_id,
    today,
    understood_date,
    upcoming,
)
from bot.effects import Escalate, FileRequest
from bot.events import ChoiceIn, DateIn, TextIn
from bot.i18n import JST, Msg, msg
from bot.replies import Choices, DatePicker, HandoffNotice, Option, Reply, Text
from bot.understanding import answers

MAX_DATES = 3
HORIZON = dt.timedelta(days=365)
DATES_DONE, NO_NOTE, SEND, DONT_SEND = "dates_done", "no_note", "send", "dont_send"
TIMES = ("morning", "afternoon", "evening", "any")
NOTE_CHARS = 500
_BEGIN = (
    ("no upcoming booking", "done"),
    ("several bookings", "choose"),
    ("one (or the given) consultation, 2+ no-shows", "@handoff"),
    ("one (or the given) booking", "dates"),
    ("one (or the given) booking, two or more new dates and a time of day said", "note"),
)


class BookingChangeDialog(Flow):
    name: ClassVar[str] = "booking_change"
    menu_label = msg("Change a booking")
    intents = ("change",)
    graph: ClassVar[Graph] = {
        "start": (("not linked", "identity"), *_BEGIN),
        "identity": (*((f"linked: {label}", to) for label, to in _BEGIN), ("not linked", "done")),
        "choose": (
            ("online consultation, 2+ no-shows", "@handoff"),
            ("booking chosen", "dates"),
            ("booking chosen, two or more new dates and a time of day said", "note"),
        ),
        "dates": (
            ("a date (picker or typed)", "dates"),
            ("a date already passed or too far", "dates"),
            ("third date", "time"),
            ("no more dates", "time"),
            ("third date, a time of day said with a date", "note"),
            ("no more dates, a time of day said with a date", "note"),
            ("booking no longer open", "done"),
        ),
        "time": (("time of day", "note"), ("booking no longer open", "done")),
        "note": (
            ("note typed", "confirm"),
            ("no note", "confirm"),
            ("send said instead of a note: request filed, ticket", "done"),
            ("booking no longer open", "done"),
        ),
        "confirm": (
            ("send: request filed, ticket", "done"),
            ("don't send", "done"),
            ("booking no longer open", "done"),
        ),
    }
    booking_steps = frozenset({"dates", "time", "note", "confirm"})
    expects: ClassVar[Mapping[str, Expectation]] = {
        "dates": DATE,
        "note": FREE_TEXT,
        "confirm": yes_no(SEND, DONT_SEND, confirms=True),
    }

    def start(self, ctx: Ctx, args: Mapping[str, Any]) -> Transition:
        frame = self.frame(
            "start",
            run=run_id(ctx, self.name),
            booking_id=args.get("booking_id"),
            dates=[],
            first=str(args.get("text") or "")[:FIRST_CHARS],
        )
        if ctx.facts.customer is None:
            return self.need_identity(frame)
        return self._begin(frame, ctx)

    def resume_identity(self, frame: Frame, result: Mapping[str, Any], ctx: Ctx) -> Transition:
        if not result.get("linked") or ctx.facts.customer is None:
            return not_linked(result)
        return self._begin(frame, ctx)

    def _begin(self, frame: Frame, ctx: Ctx) -> Transition:
        bookings = upcoming(ctx)
        if not bookings:
            return no_bookings()
        # A date in "change tomorrow's to the 20th" may be the new one: name the booking by kind or reference.
        first = str(frame.data.get("first", ""))
        named = named_booking(ctx, bookings, first, by_date=False) or _booked_day_named(ctx, bookings, first)
        chosen = booking(ctx, frame) or named or (bookings[0] if len(bookings) == 1 else None)
        if chosen is None:
            return self.go(frame, ctx, "choose")
        return self._chosen(frame, ctx, chosen)

    def _chosen(self, frame: Frame, ctx: Ctx, b: BookingFact) -> Transition:
        customer = ctx.facts.customer
        no_shows = customer.no_show_count if customer else 0
        if policy.requires_human_for_consultation(no_shows, b.kind):
            notice = msg(
                "Changes to online consultations after missed appointments are arranged by a person from our "
                "team. I've asked them to help you; they will answer you here."
            )
            escalate = Escalate(
                "change",
                "normal",
                f"Change of online consultation {b.reference} asked; the customer has {no_shows} recorded "
                "no-shows (RULES §4): a person arranges it.",
            )
            return Transition(
                next=Done(show_menu=False), replies=(HandoffNotice(notice),), effects=(escalate,)
            )
        said = _said_dates(frame, ctx)
        time = said_time(str(frame.data.get("first") or "")) if said else None
        if time and len(said) >= 2:
            # "13일 시술 17일이나 18일로, 시간은 오후": the alternatives and the time of day are all said;
            # asking for yet another date asks again what was answered (the summary shows it all).
            return self.go(frame, ctx, "note", booking_id=b.id, dates=said, time=time)
        # "move my treatment to next friday afternoon": the time of day came with the new date.
        extra = {"time": time} if time else {}
        return self.go(frame, ctx, "dates", booking_id=b.id, dates=said, **extra)

    def ask_choose(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        return choose_booking(msg("Which booking do you want to change?"), upcoming(ctx))

    def on_choose(self, frame: Frame, ctx: Ctx) -> Transition:
        b = picked_booking(ctx, upcoming(ctx))
        return missed(frame) if b is None else self._chosen(frame, ctx, b)

    def ask_dates(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        first, last = today(ctx), today(ctx) + HORIZON
        chosen = _dates(frame)
        if not chosen:
            ask = msg(
                "Which new date would you like? Choose it in the calendar or type it, for example {example}.",
                example=(first + dt.timedelta(days=7)).isoformat(),
            )
            return (DatePicker(ask, first, last, (menu_option(),)),)
        ask = msg("Noted: {dates}. You can add another preferred date, or continue.", dates=date_list(chosen))
        return (DatePicker(ask, first, last, (Option(DATES_DONE, msg("Continue")), menu_option())),)

    def on_dates(self, frame: Frame, ctx: Ctx) -> Transition:
        said = time_with_date(ctx.facts.typed) if ctx.facts.typed else None
        if said is not None:
            # "15/12 in the morning", "下周三下午": kept, so the time of day is not asked again.
            frame = frame.to("dates", time=said)
        chosen = _dates(frame)
        body, read = ctx.body, ctx.facts.answer
        if isinstance(body, ChoiceIn) and body.option == DATES_DONE and chosen:
            return self._dates_done(frame, ctx)
        if isinstance(read, answers.DateAnswer) and (read.also or read.rejected or read.replaces):
            # Typed: "the 20th or the 23rd" (every date), "not the 18th, only the 20th" (a correction).
            return self._add_dates(frame, ctx, _corrected(chosen, read), (read.date, *read.also))
        typed = ctx.facts.typed or ""
        if isinstance(body, TextIn) and keywords.is_never_mind(typed or body.text):
            # "Actually never mind, I'll keep my original appointment": not "no more dates" (the aside
            # ends the flow with nothing sent).
            return missed(frame)
        asks = isinstance(read, answers.NoFit) and read.reason == "question"
        if chosen and isinstance(body, TextIn) and not isinstance(read, answers.DateAnswer) and not asks:
            time = typed_time(typed or body.text) if len(typed or body.text) <= 30 else None
            if time is not None:
                # "buổi chiều ạ", "오전이요" where another date could be added: no more dates, and the
                # time of day is answered before it is asked.
                return self._dates_done(frame.to("dates", time=time), ctx)
        if (
            chosen
            and isinstance(body, TextIn)
            and any(f(typed) for f in (keywords.is_done, keywords.is_no, keywords.is_yes))
        ):
            # "No, that's all" / "yes" to "add another date, or continue": continue.
            return self._dates_done(frame, ctx)
        day: dt.date | None = None
        if isinstance(body, DateIn):
            # Typed, it arrives read as a date; what bot.understanding made of the words comes first.
            day = (understood_date(ctx) if isinstance(read, answers.DateAnswer) else None) or body.date
        elif isinstance(body, TextIn):
            day = understood_date(ctx) or parse_date(body.text, today(ctx))
        if day is None:
            return missed(frame)
        return self._add_dates(frame, ctx, chosen, (day,))

    def _add_dates(
        self, frame: Frame, ctx: Ctx, chosen: list[dt.date], days: tuple[dt.date, ...]
    ) -> Transition:
        window = [
            d for d in dict.fromkeys(days) if today(ctx) <= d <= today(ctx) + HORIZON and d not in chosen
        ]
        if not window:
            if all(d in chosen for d in days):
                # Named again (or kept by a correction): the list as it is now, asked again.
                return self.go(frame, ctx, "dates", dates=[d.isoformat() for d in chosen])
            wrong = Text(msg("Please choose a date from today up to one year ahead."))
            return Transition(next=frame, replies=(wrong, *self.prompt(frame, ctx)))
        merged = [*chosen, *window][:MAX_DATES]
        if len(merged) >= MAX_DATES:
            return self._dates_done(frame, ctx, dates=[d.isoformat() for d in merged])
        return self.go(frame, ctx, "dates", dates=[d.isoformat() for d in merged])

    def _dates_done(self, frame: Frame, ctx: Ctx, **data: Any) -> Transition:
        """On to the time of day, or past it when the customer already said it with a date."""
        if frame.data.get("time") in TIMES:
            return self.go(frame, ctx, "note", **data)
        return self.go(frame, ctx, "time", **data)

    def ask_time(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        return (
            Choices(
                msg("Which time of day suits you best?"),
                (*(Option(t, time_label(t)) for t in TIMES), menu_option()),
            ),
        )

    def on_time(self, frame: Frame, ctx: Ctx) -> Transition:
        body = ctx.body
        picked: str | None = None
        if isinstance(body, ChoiceIn) and body.option in TIMES:
            picked = body.option
        elif isinstance(body, TextIn):
            picked = typed_time(body.text)
            typed = ctx.facts.typed or body.text
            if picked is None and any(f(typed) for f in (keywords.is_no, keywords.is_yes, keywords.is_done)):
                # "No preference", "ok", "either is fine": any time (the summary shows it before sending).
                picked = "any"
        if picked is None:
            return missed(frame)
        return self.go(frame, ctx, "note", time=picked)

    def ask_note(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        return (
            Choices(
                msg(
                    "Anything else we should know, such as the reason? Type a short note, or choose “No note”."
                ),
                (Option(NO_NOTE, msg("No note")), menu_option()),
            ),
        )

    def on_note(self, frame: Frame, ctx: Ctx) -> Transition:
        body = ctx.body
        if isinstance(body, ChoiceIn) and body.option == NO_NOTE:
            return self.go(frame, ctx, "confirm", note="")
        typed = ctx.facts.typed or (body.text if isinstance(body, TextIn) else "")
        if isinstance(body, TextIn) and sends_now(typed):
            # "送出", "네 보내주세요", "ok gửi đi ạ": no note, and the customer has said to send what they
            # chose; it is filed, with the summary of what was sent.
            return self._file(frame.to("note", note=""), ctx, with_summary=True)
        if isinstance(body, TextIn) and (keywords.is_no(typed) or keywords.is_done(typed)):
            # "No", "nothing else", "没有": no note.
            return self.go(frame, ctx, "confirm", note="")
        if isinstance(body, TextIn) and body.text.strip():
            return self.go(frame, ctx, "confirm", note=body.text.strip()[:NOTE_CHARS])
        return missed(frame)

    def ask_confirm(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        b = self.chosen(ctx, frame)
        dates, time = date_list(_dates(frame)), time_label(str(frame.data.get("time")))
        summary = msg(
            "Your change request: {booking}, new date {dates}, {time}.",
            booking=booking_label(b),
            dates=dates,
            time=time,
        )
        return (
            change_card(b, dates, time, summary),
            Choices(
                msg("Shall I send it? A person from our team will check the new date with the clinic."),
                (Option(SEND, msg("Yes, send it")), Option(DONT_SEND, msg("No, don't send")), menu_option()),
            ),
        )

    def on_confirm(self, frame: Frame, ctx: Ctx) -> Transition:
        picked = answer(ctx, SEND, DONT_SEND)
        if picked is None and isinstance(ctx.body, TextIn) and sends_now(ctx.facts.typed or ctx.body.text):
            picked = SEND  # "提交", "送信でお願いします": the yes-button's action in other words
        if picked == DONT_SEND:
            return Transition(
                next=Done(), replies=(Text(msg("All right, nothing was sent. Your booking is unchanged.")),)
            )
        if picked != SEND:
            return missed(frame)
        return self._file(frame, ctx)

    def _file(self, frame: Frame, ctx: Ctx, *, with_summary: bool = False) -> Transition:
        b = self.chosen(ctx, frame)
        dates = [d.isoformat() for d in _dates(frame)]
        time = str(frame.data.get("time"))
        filed = FileRequest(
            kind="change",
            dedupe=str(frame.data["run"]),
            booking_id=b.id,
            details={
                "reference": b.reference,
                "kind": b.kind,
                "current": b.service_at.astimezone(JST).isoformat(),
                "preferred_dates": dates,
                "time_of_day": time,
                "note": str(frame.data.get("note", "")),
            },
            summary=f"Change requested for {b.reference} ({b.kind}): preferred {', '.join(dates)}, {time}.",
        )
        sent = msg(
            "Your change request has been sent. It is a request until a person from our team confirms the new "
            "date with the clinic; we will tell you here. Until then, your current booking stays as it is."
        )
        shown: tuple[Reply, ...] = (self.ask_confirm(frame, ctx)[0],) if with_summary else ()
        return Transition(next=Done(), replies=(*shown, Text(sent)), effects=(filed,))


def _said_dates(frame: Frame, ctx: Ctx) -> list[str]:
    """New dates named in the first message ("could I move Wednesday the 11th? 18/03 or 20/03 would
    suit me"): not asked again. A booking's own date names the booking, not a new date."""
    first = str(frame.data.get("first") or "")
    if not first.strip():
        return []
    read = answers.read(first, answers.Expect("date"), locale=ctx.facts.locale, now=ctx.now)
    if not isinstance(read, answers.DateAnswer):
        return []
    booked = {b.service_at.astimezone(JST).date() for b in upcoming(ctx)}
    last = today(ctx) + HORIZON
    said = [d for d in (read.date, *read.also) if d not in booked and today(ctx) <= d <= last]
    return [d.isoformat() for d in said[:MAX_DATES]]


def _booked_day_named(ctx: Ctx, bookings: tuple[BookingFact, ...], first: str) -> BookingFact | None:
    """ "Can I move this saturday's appointment to the 18th?": of the dates the first message names,
    the one that is a booking's own day names that booking (the others are the new dates)."""
    if not first.strip():
        return None
    read = answers.read(first, answers.Expect("date"), locale=ctx.facts.locale, now=ctx.now)
    if not isinstance(read, answers.DateAnswer):
        return None
    said = {read.date, *read.also, *read.rejected}
    found = [b for b in bookings if b.service_at.astimezone(JST).date() in said]
    booked = {b.service_at.astimezone(JST).date() for b in bookings}
    # Only with another date left to be the new one: "can I move it to the 14th?" names no booking.
    return found[0] if len(found) == 1 and said - booked else None


def _corrected(chosen: list[dt.date], read: answers.DateAnswer) -> list[dt.date]:
    """The dates kept when the customer corrects them: the ones named as not meant are dropped, and
    all ("only the 20th") or the last one ("actually the 20th") when the new ones replace them."""
    kept = [d for d in chosen if d not in read.rejected]
    if read.replaces == "all":
        return []
    if read.replaces == "last" and kept == chosen and kept:
        return kept[:-1]
    return kept


def _dates(frame: Frame) -> list[dt.date]:
    out: list[dt.date] = []
    for value in frame.data.get("dates") or ():
        try:
            out.append(dt.date.fromisoformat(str(value)))
        except ValueError:
            continue
    return out


def date_list(days: list[dt.date]) -> Msg | dt.date:
    if len(days) == 1:
        return days[0]
    if len(days) == 2:
        return msg("{first} or {second}", first=days[0], second=days[1])
    return msg("{first}, {second} or {third}", first=days[0], second=days[1], third=days[-1])


def time_label(time: str) -> Msg:
    match time:
        case "morning":
            return msg("Morning")
        case "afternoon":
            return msg("Afternoon")
        case "evening":
            return msg("Evening")
    return msg("Any time")
