"""What the flows share: a base class dispatching steps, bookings as the customer sees them, typed
answers (option numbers, yes/no, dates, minutes), and the identity of one run of a flow."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from bot.dialogs import keywords
from bot.dialogs.answering import Expectation
from bot.dialogs.base import FIRST_CHARS, BookingFact, Ctx, Done, Exit, Frame, Push, Transition, missed
from bot.dialogs.booking_words import relative_booking, said_to_stay, without_kept
from bot.dialogs.menu import HUMAN, MENU
from bot.events import ChoiceIn, DateIn, TextIn
from bot.i18n import JST, Msg, Translator, When, msg
from bot.replies import Choices, DatePicker, Option, Reply, Text
from bot.understanding import answers

Graph = Mapping[str, tuple[tuple[str, str], ...]]
Handler = Callable[[Frame, Ctx], Transition]


def menu_option() -> Option:
    return Option(MENU, msg("Back to the menu"))


class Flow:
    """A dialog whose steps are methods: `on_<step>` handles input, `ask_<step>` says what it asks.

    `expects` says what each step's question expects (bot.dialogs.answering reads typed answers
    against it before the step runs; steps not named expect one of their buttons). A pushed identity
    check comes back to `resume_<step>`.
    """

    name: ClassVar[str]
    graph: ClassVar[Graph]
    menu_label: ClassVar[Msg]
    intents: ClassVar[tuple[str, ...]] = ()
    expects: ClassVar[Mapping[str, Expectation]] = {}
    # Steps about the booking chosen earlier (frame data "booking_id"). When it is no longer one of the
    # customer's upcoming bookings (an agent changed it, or its date passed while the customer was
    # answering), `booking_gone` answers instead of the step: nothing is acted on a stale booking.
    booking_steps: ClassVar[frozenset[str]] = frozenset()

    def frame(self, step: str, **data: Any) -> Frame:
        return Frame(self.name, step, data)

    def step(self, frame: Frame, ctx: Ctx) -> Transition:
        handler: Handler | None = getattr(self, f"on_{frame.step}", None)
        if handler is None:
            if frame.step == "identity":  # waiting for a check that is not on the stack: ask for it again
                return self.need_identity(frame)
            # A step from an older version of this dialog: start over at the menu.
            return Transition(next=Done())
        if isinstance(ctx.body, ChoiceIn) and ctx.body.option in (MENU, HUMAN):
            return Transition(next=Exit(ctx.body.option))
        if frame.step in self.booking_steps and booking(ctx, frame) is None:
            return self.booking_gone(frame, ctx)
        return handler(frame, ctx)

    def booking_gone(self, frame: Frame, ctx: Ctx) -> Transition:
        return Transition(next=Done(), replies=(Text(_GONE),))

    def prompt(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        """The step's question; never empty, so a re-ask always shows the customer something to press."""
        if frame.step in self.booking_steps and booking(ctx, frame) is None:
            return (Choices(_GONE, (menu_option(),)),)
        asker: Callable[[Frame, Ctx], tuple[Reply, ...]] | None = getattr(self, f"ask_{frame.step}", None)
        if asker is None:  # a step that only waits (for the identity check above it)
            return (Choices(msg("Let's continue from the menu."), (menu_option(),)),)
        return asker(frame, ctx)

    def chosen(self, ctx: Ctx, frame: Frame) -> BookingFact:
        """The booking of a booking step (present: `step` checked it before calling the handler)."""
        b = booking(ctx, frame)
        if b is None:  # pragma: no cover - guarded in step()
            raise LookupError("booking step without its booking")
        return b

    def resume(self, frame: Frame, result: Mapping[str, Any], ctx: Ctx) -> Transition:
        handler: Callable[[Frame, Mapping[str, Any], Ctx], Transition] | None = getattr(
            self, f"resume_{frame.step}", None
        )
        if handler is None:
            return Transition(next=frame, replies=self.prompt(frame, ctx))
        said = str(result.get("said") or "").strip()
        if frame.step == "identity" and said:
            # What the customer added to their reference or birth date ("1 April 1990, and the new
            # date would be the 20th") belongs to the flow's request, as if said in its first message.
            first = f"{frame.data.get('first') or ''}\n{said}".strip()
            frame = frame.to("identity", first=first[:FIRST_CHARS])
        return handler(frame, result, ctx)

    def go(self, frame: Frame, ctx: Ctx, step: str, *replies: Reply, **data: Any) -> Transition:
        """Move to `step` and ask its question (after any `replies`)."""
        nxt = frame.to(step, **data)
        return Transition(next=nxt, replies=(*replies, *self.prompt(nxt, ctx)))

    def need_identity(self, frame: Frame) -> Transition:
        """Check who is writing first (the identity dialog), then come back to `resume_identity`.

        The customer's first message is handed to the check: a booking reference or birth date in it
        ("about BK-2212, I'll be 15 min late") is not asked again."""
        return Transition(
            next=Push("identity", {"said": str(frame.data.get("first", ""))}, then=frame.to("identity"))
        )


REFERENCE_WORD = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,31}$")


def reference_in(text: str) -> str | None:
    """The booking reference in what was typed: the one word, or the one word with digits in a sentence."""
    words = [
        w.strip("#.()[]「」") for w in re.split(r"[\s,;:、，：]+", text.upper()) if w.strip("#.()[]「」")
    ]
    if len(words) == 1:
        # A plain word ("cancel", "hello") is not a reference: references carry a digit or a hyphen.
        word = words[0]
        return word if REFERENCE_WORD.match(word) and any(c.isdigit() or c == "-" for c in word) else None
    candidates = [w for w in words if REFERENCE_WORD.match(w) and any(c.isdigit() for c in w)]
    return candidates[0] if len(candidates) == 1 else None


def numbered_option(text: str, prompt: Iterable[Reply]) -> str | None:
    n = keywords.option_number(text)
    if n is None:
        return None
    options: tuple[Option, ...] = ()
    for reply in prompt:
        if isinstance(reply, Choices | DatePicker):
            options = reply.options
    return options[n - 1].id if 1 <= n <= len(options) else None


def run_id(ctx: Ctx, dialog: str) -> str:
    """The identity of one run of a flow: filed requests are deduplicated on it, so a button pressed
    twice (or an event delivered twice) never files twice. The event that started the run is unique
    per channel (the inbox guarantees it); the engine prefixes the conversation."""
    raw = f"{dialog}\0{ctx.event.key}\0{ctx.event.event_id}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def today(ctx: Ctx) -> dt.date:
    return ctx.now.astimezone(JST).date()


def upcoming(ctx: Ctx) -> tuple[BookingFact, ...]:
    """Confirmed bookings whose JST date is today or later, soonest first (today's come first)."""
    day = today(ctx)
    found = (
        b
        for b in ctx.facts.bookings
        if b.status == "confirmed" and b.service_at.astimezone(JST).date() >= day
    )
    return tuple(sorted(found, key=lambda b: (b.service_at, b.id)))


RECENT = dt.timedelta(days=30)


def recently_passed(ctx: Ctx) -> BookingFact | None:
    """The latest confirmed booking whose JST date passed in the last 30 days ("I missed it yesterday")."""
    day = today(ctx)
    gone = [
        b
        for b in ctx.facts.bookings
        if b.status == "confirmed" and day - RECENT <= b.service_at.astimezone(JST).date() < day
    ]
    return max(gone, key=lambda b: (b.service_at, b.id), default=None)


def booking(ctx: Ctx, frame: Frame) -> BookingFact | None:
    """The booking this run is about, if it is still one of the customer's upcoming bookings."""
    wanted = frame.data.get("booking_id")
    return next((b for b in upcoming(ctx) if b.id == wanted), None)


def kind_label(kind: str) -> Msg:
    match kind:
        case "surgery":
            return msg("Surgery")
        case "treatment":
            return msg("Treatment")
        case "online_consultation":
            return msg("Online consultation")
        case "consultation":
            return msg("Consultation")
    return msg("Appointment")


def booking_label(b: BookingFact) -> Msg:
    return msg(
        "{kind}, {date} ({reference})",
        kind=kind_label(b.kind),
        date=When(b.service_at, date_only=True),
        reference=b.reference,
    )


def booking_option(b: BookingFact) -> Option:
    return Option(f"b{b.id}", booking_label(b))


def choose_booking(prompt: Msg, bookings: Iterable[BookingFact]) -> tuple[Reply, ...]:
    return (Choices(prompt, (*(booking_option(b) for b in bookings), menu_option())),)


def picked_booking(ctx: Ctx, bookings: tuple[BookingFact, ...]) -> BookingFact | None:
    """A booking button, or its reference typed, or a typed date naming exactly one of them."""
    body = ctx.body
    typed = ctx.facts.typed
    if typed:
        t = keywords.normalize(typed).upper().replace(" ", "")
        by_ref = [b for b in bookings if b.reference.upper() in t]
        if len(by_ref) == 1:
            return by_ref[0]
        # Typed, it may have been read as a press already: "the later one pls, thursday's still fine"
        # names by place, and the date it mentions is the one that stays (a kind named wins).
        placed = relative_booking(typed, bookings, today(ctx))
        if placed is not None and not _kind_named(typed, bookings, placed):
            return placed
    if isinstance(body, ChoiceIn):
        return next((b for b in bookings if f"b{b.id}" == body.option), None)
    if isinstance(body, TextIn):
        t = keywords.normalize(body.text).upper().replace(" ", "")
        by_ref = [b for b in bookings if b.reference.upper() == t]
        if by_ref:
            return by_ref[0]
        return dated_booking(ctx, bookings)
    if isinstance(body, DateIn):
        return _on_date(bookings, body.date)
    return None


def _kind_named(typed: str, bookings: tuple[BookingFact, ...], placed: BookingFact) -> bool:
    """Whether the text names the kind of another booking than `placed` ("the treatment, next week")."""
    t = keywords.normalize(typed)
    others = {b.kind for b in bookings if b.id != placed.id} - {placed.kind}
    return any(k.replace("_", " ") in t for k in others)


_DAY_NUMBER = re.compile(r"(?<![\w-])\d{1,2}(?:st|nd|rd|th|日|号|號|일)?(?![\w-])")
_LONE_NUMBER = re.compile(r"(?<![\w/:.-])\d{1,2}(?![\w/:.-])")


def named_booking(
    ctx: Ctx, bookings: tuple[BookingFact, ...], text: str, *, by_date: bool = True
) -> BookingFact | None:
    """The one booking the customer's own words name: "the surgery one", "tomorrow's online
    consultation", its reference, or the one date. None when they name none, or several."""
    if len(bookings) < 2 or not text.strip():
        return None
    placed = relative_booking(text, bookings, today(ctx), weeks=False)
    if placed is not None and not _kind_named(text, bookings, placed):
        return placed
    if said_to_stay(text):
        # "The online call on Friday is still fine ... push the appointment next week back": the clause
        # about the booking that stays names none.
        text = without_kept(text) or text
    tr, en = Translator(ctx.facts.locale), Translator("en")
    options = tuple(
        answers.Option(
            f"b{b.id}",
            tuple(
                dict.fromkeys(t.render(m) for t in (tr, en) for m in (booking_label(b), kind_label(b.kind)))
            ),
        )
        for b in bookings
    )
    # "20 minutes late", "2 hours": a lone number here is no option number.
    words = _LONE_NUMBER.sub(" ", text)
    read = answers.read(words, answers.Expect("option", options), locale=ctx.facts.locale, now=ctx.now)
    if isinstance(read, answers.NoFit) and isinstance(read.then, answers.Picked):
        read = read.then  # "cho e đổi lịch tư vấn online ... dc ko ạ?": a question naming the booking
    if isinstance(read, answers.Picked) and not by_date:
        # Named by its kind or reference, not by a day of the month ("can I move it to the 14th?"
        # names where it goes): the pick must stand without the day numbers.
        again = answers.read(
            _DAY_NUMBER.sub(" ", words),
            answers.Expect("option", options),
            locale=ctx.facts.locale,
            now=ctx.now,
        )
        if isinstance(again, answers.NoFit) and isinstance(again.then, answers.Picked):
            again = again.then
        if again != read:
            return None
    if isinstance(read, answers.Picked):
        return next((b for b in bookings if f"b{b.id}" == read.option_id), None)
    if by_date and isinstance(ctx.body, TextIn) and ctx.body.text == text:
        return dated_booking(ctx, bookings)
    return None


def own_words(ctx: Ctx) -> str | None:
    """What the customer typed, also when it was read as a press or a date; None for a button."""
    if ctx.facts.typed is not None:
        return ctx.facts.typed
    text = getattr(ctx.body, "text", None)
    return text if isinstance(text, str) else None


def hinted_booking(frame: Frame, bookings: tuple[BookingFact, ...]) -> BookingFact | None:
    """The one booking on the date the flow's first message named (its `hint`, kept while the
    customer's identity was checked)."""
    hint = frame.data.get("hint")
    if not hint:
        return None
    same = [b for b in bookings if b.service_at.astimezone(JST).date().isoformat() == hint]
    return same[0] if len(same) == 1 else None


def dated_booking(ctx: Ctx, bookings: tuple[BookingFact, ...]) -> BookingFact | None:
    """The one booking on the date the customer's text names ("cancel tomorrow's appointment")."""
    body = ctx.body
    if not isinstance(body, TextIn):
        return None
    day = understood_date(ctx) or parse_date(body.text, today(ctx))
    return _on_date(bookings, day) if day else None


def _on_date(bookings: Iterable[BookingFact], day: dt.date) -> BookingFact | None:
    same = [b for b in bookings if b.service_at.astimezone(JST).date() == day]
    return same[0] if len(same) == 1 else None


def answer(ctx: Ctx, yes: str, no: str) -> str | None:
    """The button pressed. A typed yes or no arrives as the press of `yes` / `no`: the step declares
    them (`Flow.expects`) and bot.dialogs.answering reads the text against that question only."""
    body = ctx.body
    return body.option if isinstance(body, ChoiceIn) else None


def understood_date(ctx: Ctx) -> dt.date | None:
    value = getattr(ctx.facts.understood, "date", None)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def understood_minutes(ctx: Ctx) -> int | None:
    value = getattr(ctx.facts.understood, "minutes_late", None)
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 24 * 60 else None


_YMD = re.compile(r"(\d{4})\s*[-/.年년]\s*(\d{1,2})\s*[-/.月월]\s*(\d{1,2})")
_COMPACT = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")
_MD = re.compile(r"(?<![\d/])(\d{1,2})\s*[/月월]\s*(\d{1,2})(?![\d/])")


def parse_date(text: str, base: dt.date, *, need_year: bool = False) -> dt.date | None:
    """A date typed with digits: 2026-05-20, 2026/5/20, 2026年5月20日, 20260520, or 5/20 and 5月20日
    (month first, the next such date from `base`). Day-first forms are ambiguous and not guessed."""
    t = keywords.normalize(text)
    for pattern in (_YMD, _COMPACT):
        m = pattern.search(t)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    if need_year:
        return None
    m = _MD.search(t)
    if m:
        for year in (base.year, base.year + 1):
            try:
                day = dt.date(year, int(m[1]), int(m[2]))
            except ValueError:
                return None
            if day >= base:
                return day
    return None


_MINUTES = re.compile(r"^(\d{1,3})\s*(?:min|mins|minutes|分|분|นาที|phút|p)?$")
_HOURS = re.compile(r"^(\d{1,2})\s*(?:h|hr|hrs|hour|hours|時間|小时|小時|시간|ชั่วโมง|tiếng|giờ)$")


def parse_minutes(text: str) -> int | None:
    """Fallback for "how late": a bare number of minutes, or whole hours ("45", "45 min", "1 hour")."""
    t = keywords.normalize(text)
    if m := _MINUTES.match(t):
        return int(m[1])
    if m := _HOURS.match(t):
        return int(m[1]) * 60
    return None


def lines(*parts: Msg) -> Msg:
    """Several messages shown as one text, line by line (one chat bubble instead of many).

    Built directly rather than through msg(): the template is only placeholders, nothing to translate.
    """
    return Msg(
        "\n".join(f"{{l{i}}}" for i in range(len(parts))), tuple((f"l{i}", p) for i, p in enumerate(parts))
    )


def not_linked(result: Mapping[str, Any]) -> Transition:
    """The identity check did not link this chat. A lock was already explained (and the agents told)."""
    if result.get("locked"):
        return Transition(next=Done())
    return Transition(
        next=Done(),
        replies=(
            Text(
                msg(
                    "Without confirming who you are, I can't do this here. "
                    "A person from our team can help: choose “Talk to a person” below."
                )
            ),
        ),
    )


def no_bookings() -> Transition:
    return Transition(
        next=Done(),
        replies=(
            Text(
                msg(
                    "I can't find an upcoming booking under your name. "
                    "If you think this is wrong, a person from our team can help: choose “Talk to a person”."
                )
            ),
        ),
    )


_GONE = msg("That booking is no longer open for changes here. Please choose again from the menu.")


__all__ = ["Flow", "missed"]
