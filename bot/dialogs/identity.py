"""Who is writing? Links this chat identity to a customer by booking reference and date of birth.

The privacy summary comes first and consent is recorded before any personal data is asked
(RULES.md §6). The check itself is an effect (AttemptLink): the engine answers in the same event with
SystemIn("link_result", {"result": "ok" | "wrong" | "locked"}); five wrong answers for one booking
reference (from any chat, on any channel) or ten from one source lock linking for an hour and alert the
agents (bot.link_limits). Pushed by the flows that need a booking; its result
{"linked": bool} goes back to them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, ClassVar

from bot.dialogs import answering, keywords
from bot.dialogs.answering import Expectation, yes_no
from bot.dialogs.base import Ctx, Done, Frame, Transition, missed
from bot.dialogs.common import Flow, Graph, answer, menu_option, own_words, reference_in, run_id, today
from bot.effects import AttemptLink, RecordConsent
from bot.events import DateIn, SystemIn, TextIn
from bot.i18n import Msg, msg, msg_plural
from bot.replies import Choices, DatePicker, Option, Reply, Text
from bot.understanding import answers, birthdates, references
from bot.understanding.text import normalize

AGREE, DECLINE = "consent_yes", "consent_no"
EARLIEST_BIRTH = dt.date(1900, 1, 1)
# Words naming a booking reference, in the seven languages.
_REFERENCE_CUE = re.compile(
    r"booking|reservation|reference|\bref\b|confirmation|予約|預約|预约|订单|訂單|編號|编号|예약|번호"
    r"|mã đặt|mã lịch|mã số|จอง|หมายเลข|#",
    re.IGNORECASE,
)
_NOT_REFERENCES = frozenset({"COVID-19", "SARS-COV-2", "K-POP", "E-MAIL", "X-RAY", "WI-FI", "T-SHIRT"})


class IdentityDialog(Flow):
    name: ClassVar[str] = "identity"
    graph: ClassVar[Graph] = {
        "start": (
            ("already linked", "done"),
            ("linking locked", "done"),
            ("consent given before", "reference"),
            ("consent given before, reference in the link", "birth_date"),
            ("consent given before, reference and birth date said (check)", "checking"),
            ("privacy summary", "consent"),
        ),
        "consent": (
            ("agree (consent recorded)", "reference"),
            ("agree, reference in the link", "birth_date"),
            ("agree, reference and birth date said (check)", "checking"),
            ("a reference or birth date typed instead (kept until agreed)", "consent"),
            ("decline", "done"),
        ),
        "reference": (
            ("booking reference", "birth_date"),
            ("reference and birth date (check)", "checking"),
            ("reference, with the birth date said before (check)", "checking"),
            ("a birth date typed first (kept, the reference asked again)", "reference"),
        ),
        "birth_date": (
            ("date of birth (check)", "checking"),
            ("a date read two ways (each reading checked in turn)", "checking"),
            ("a corrected booking reference", "birth_date"),
        ),
        "checking": (
            ("match: linked", "done"),
            ("no match: the other reading of the birth date (check)", "checking"),
            ("no match: tries left", "reference"),
            ("locked for an hour, agents alerted", "done"),
        ),
    }
    expects: ClassVar[Mapping[str, Expectation]] = {
        "consent": yes_no(AGREE, DECLINE),
        "reference": answering.REFERENCE,
        "birth_date": answering.BIRTH_DATE,
        "checking": answering.REFERENCE,
    }

    def start(self, ctx: Ctx, args: Mapping[str, Any]) -> Transition:
        if ctx.facts.customer is not None:
            return Transition(next=Done({"linked": True}))
        locked = ctx.facts.link_locked_until
        if locked is not None and locked > ctx.now:
            return Transition(next=Done({"linked": False, "locked": True}), replies=(Text(_locked()),))
        # A deep link (Telegram /start REF, a LINE link) may carry the booking reference already, and
        # the flow's first message ("cancel BK-2212, born 1/4/1990") the reference and birth date.
        said_ref, said_births = _volunteered(str(args.get("said") or ""), ctx)
        linked_ref = reference_in(str(args.get("reference", ""))) if args.get("reference") else said_ref
        frame = self.frame(
            "start", run=run_id(ctx, self.name), link_reference=linked_ref, link_births=_isos(said_births)
        )
        if ctx.facts.consented:
            return self._after_consent(frame, ctx)
        intro = Text(msg("To help with your bookings, I first need to confirm who you are."))
        return self.go(frame, ctx, "consent", intro)

    def ask_consent(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        summary = msg(
            "Before I ask for any personal data: we use your booking reference and date of birth only to "
            "confirm who you are and to link this chat to your bookings. Your personal information (name, "
            "date of birth, contact details, past treatments) is used only to arrange your care, is shared only "
            "with the partner clinics that treat you, and is never given to anyone else without your consent "
            "unless the law requires it. You can ask to see, correct or delete it at any time.\n"
            "Do you agree?"
        )
        return (
            Choices(
                summary, (Option(AGREE, msg("I agree")), Option(DECLINE, msg("No, thanks")), menu_option())
            ),
        )

    def on_consent(self, frame: Frame, ctx: Ctx) -> Transition:
        choice = answer(ctx, AGREE, DECLINE)
        if choice != DECLINE:
            # "ok, BK-1001, born 1 April 1990", or the reference typed instead of an answer: kept,
            # used once consent is given, never asked again.
            said_ref, said_births = _volunteered(own_words(ctx) or "", ctx, alone=True)
            if said_ref or said_births:
                frame = frame.to(
                    "consent",
                    link_reference=said_ref or frame.data.get("link_reference"),
                    link_births=_isos(said_births) or frame.data.get("link_births"),
                )
                if choice is None:
                    kept = msg("Thank you. I will use it once you have agreed to the following.")
                    return self.go(frame, ctx, "consent", Text(kept))
        match choice:
            case "consent_yes":
                t = self._after_consent(frame, ctx)
                return Transition(next=t.next, replies=t.replies, effects=(RecordConsent(), *t.effects))
            case "consent_no":
                declined = msg(
                    "Understood. I won't ask for any personal data. You can still ask general questions, "
                    "or talk to a person from our team."
                )
                return Transition(next=Done({"linked": False, "declined": True}), replies=(Text(declined),))
        return missed(frame)

    def _after_consent(self, frame: Frame, ctx: Ctx) -> Transition:
        reference = frame.data.get("link_reference")
        births = _held_births(frame)
        if reference and births:
            return _check(frame.to("checking", link_reference=None, link_births=None), str(reference), births)
        if reference:
            return self.go(frame, ctx, "birth_date", reference=reference, link_reference=None)
        return self.go(frame, ctx, "reference", link_reference=None)

    def ask_reference(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        return (
            Choices(
                msg("Please type your booking reference (you find it in your booking confirmation e-mail)."),
                (menu_option(),),
            ),
        )

    def on_reference(self, frame: Frame, ctx: Ctx) -> Transition:
        body = ctx.body
        if not isinstance(body, TextIn):
            return missed(frame)
        # Both at once ("BK-1001, 1 April 1990", "H2-ZT02，生日民國79年4月1日"): the birth date is read
        # first and taken out, so its digits are never part of the reference.
        rest, births = _birth_dates_in(body.text, ctx)
        reference = (
            (_one_reference(rest, ctx) or _lettered_reference(rest) or reference_in(rest))
            if births
            else _typed_reference(body.text, ctx)
        )
        latest = today(ctx).replace(year=today(ctx).year - 10)
        if reference is None and births and all(d <= latest for d in births):
            # "My birthday is April 1 1990" before the reference: kept, so it is not asked again (not
            # "I booked it on 2026-02-10", which is no birth date).
            return self.go(frame, ctx, "reference", link_births=_isos(births))
        if reference is None:
            return missed(frame)
        frame = _keep_more(frame, _without(rest, reference) if births else "")
        # A birth date said before the reference was asked (in the first message, at the consent).
        births = births or _held_births(frame)
        if births:
            return _check(frame.to("reference", link_births=None), reference, births)
        return self.go(frame, ctx, "birth_date", reference=reference)

    def ask_birth_date(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        return (
            DatePicker(
                msg("Thank you. Now your date of birth, please: choose it or type it like 1990-04-01."),
                min_date=EARLIEST_BIRTH,
                max_date=today(ctx),
                options=(menu_option(),),
            ),
        )

    def on_birth_date(self, frame: Frame, ctx: Ctx) -> Transition:
        corrected = _corrected_reference(frame, ctx)
        if corrected is not None:
            # "DEMO-TREATMENT" after a typo: the new reference replaces the old one, and no try of
            # the check is spent on the reference the customer has just corrected.
            reference, typed_births = corrected
            if typed_births:
                return _check(frame, reference, typed_births)
            return self.go(frame, ctx, "birth_date", reference=reference)
        body, read = ctx.body, ctx.facts.answer
        births: tuple[dt.date, ...] = ()
        if isinstance(read, answers.AmbiguousDate):
            # 01/04/1990 is 1 April in London and Hong Kong, 4 January in New York: rather than ask,
            # each reading is checked in turn (every check counts against the limit of tries).
            births = tuple(d for d in read.candidates if _plausible_birth(d, ctx))
        elif isinstance(body, DateIn) and _plausible_birth(body.date, ctx):
            births = (body.date,)
        if not births:
            return missed(frame)
        if (text := own_words(ctx)) is not None:
            frame = _keep_more(frame, _birth_dates_in(text, ctx)[0] if _birth_dates_in(text, ctx)[1] else "")
        return _check(frame, str(frame.data.get("reference", "")), births)

    def ask_checking(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        return self.ask_reference(frame, ctx)

    def on_checking(self, frame: Frame, ctx: Ctx) -> Transition:
        body = ctx.body
        if not (isinstance(body, SystemIn) and body.name == "link_result"):
            # The engine answers in the same event, so this is rare: treat it as the reference again.
            return self.on_reference(frame, ctx)
        pending = [str(d) for d in frame.data.get("other_births") or ()]
        if body.data.get("result") == "wrong" and pending and (_int(body.data.get("left")) or 0) > 0:
            # The first reading of an ambiguous birth date did not match: the other one, silently.
            births = tuple(dt.date.fromisoformat(d) for d in pending)
            return _check(frame, str(frame.data.get("pending_reference", "")), births)
        match body.data.get("result"):
            case "ok":
                done = msg("Thank you, I found your booking: this chat is now linked to it.")
                said = {"said": frame.data["more"]} if frame.data.get("more") else {}
                return Transition(next=Done({"linked": True, **said}), replies=(Text(done),))
            case "locked":
                return Transition(next=Done({"linked": False, "locked": True}), replies=(Text(_locked()),))
        left = _int(body.data.get("left"))
        wrong = msg("That booking reference and date of birth don't match our records.")
        tries = (
            Text(msg_plural("You have {n} more try.", "You have {n} more tries.", left))
            if left is not None
            else None
        )
        replies = (Text(wrong), *((tries,) if tries else ()))
        # Nothing of the failed check stays in the stored state (no reference, no other reading).
        return self.go(
            frame, ctx, "reference", *replies, reference=None, other_births=None, pending_reference=None
        )


# What is left of an answer once its reference and birth date are taken out, when it says more.
_FILLER = re.compile(
    r"[\W_]+|\b(?:my|is|it'?s|born|on|and|the|ref|reference|booking|birthday|dob)\b", re.IGNORECASE
)


def _without(text: str, reference: str) -> str:
    parts = [re.escape(c) for c in reference if c.isalnum()]
    return re.sub(r"[\s_-]*".join(parts), " ", text, flags=re.IGNORECASE) if parts else text


def _keep_more(frame: Frame, rest: str) -> Frame:
    """The frame with `rest` kept for the flow when it holds words of its own (not only filler)."""
    if len(_FILLER.sub("", rest)) < 3:
        return frame
    more = f"{frame.data.get('more') or ''} {rest.strip()}".strip()
    return frame.to(frame.step, more=more[:500])


def _check(frame: Frame, reference: str, births: tuple[dt.date, ...]) -> Transition:
    """Check the first reading; the others (a date read two ways) wait in the frame until it fails."""
    rest = [d.isoformat() for d in births[1:]]
    return Transition(
        next=frame.to(
            "checking",
            reference=None,
            other_births=rest or None,
            pending_reference=reference if rest else None,
        ),
        effects=(AttemptLink(reference, births[0]),),
    )


def _birth_dates_in(text: str, ctx: Ctx) -> tuple[str, tuple[dt.date, ...]]:
    """The text without the birth date it names, and that date's plausible readings (() if none)."""
    prepared = birthdates.prepare(normalize(text))
    found = birthdates.find(prepared, ctx.facts.locale, today(ctx))
    for start, end, readings in found:
        plausible = tuple(d for d in readings if _plausible_birth(d, ctx))
        if plausible:
            return prepared[:start] + " " + prepared[end:], plausible
    return text, ()


def _volunteered(text: str, ctx: Ctx, *, alone: bool = False) -> tuple[str | None, tuple[dt.date, ...]]:
    """A booking reference and birth date said before they were asked for. Stricter than the
    answers to the questions: a reference needs a letter and a digit or printed capitals, and a
    date only counts as a birth date when it is at least ten years back (not "my 2025-11-30 visit")."""
    if not text.strip():
        return None, ()
    rest, births = _birth_dates_in(text, ctx)
    latest = today(ctx).replace(year=today(ctx).year - 10)
    births = tuple(d for d in births if d <= latest)
    return _said_reference(rest if births else text, alone=alone), births


def _said_reference(text: str, *, alone: bool = False) -> str | None:
    """A reference in a message that was not asked for one: typed with its hyphen ("BK-1001",
    "demo-treatment"), or after a word naming it ("booking bk1001", "予約番号 H2ZT02"). A flight
    (JL123), a clock time (2pm) or an age ("am 35") in a late notice is not a reference."""
    found = [
        r for r in references.candidates(text) if r not in _NOT_REFERENCES and any(c.isalpha() for c in r)
    ]
    typed = unicodedata.normalize("NFKC", text).upper()
    hyphenated = [r for r in found if "-" in r and r in typed]
    if len(hyphenated) == 1:
        return hyphenated[0]
    if len(found) != 1:
        return None
    # `alone`: where the bot has just said it will ask for the reference, one word with letters and
    # digits ("bk1001") is one.
    one_word = alone and len(text.split()) == 1 and any(c.isdigit() for c in found[0])
    return found[0] if one_word or _REFERENCE_CUE.search(text) else None


def _isos(births: tuple[dt.date, ...]) -> list[str] | None:
    return [d.isoformat() for d in births] or None


def _held_births(frame: Frame) -> tuple[dt.date, ...]:
    return tuple(dt.date.fromisoformat(str(d)) for d in frame.data.get("link_births") or ())


def _corrected_reference(frame: Frame, ctx: Ctx) -> tuple[str, tuple[dt.date, ...]] | None:
    """A booking reference other than the one given, typed where the birth date is asked (with or
    without the birth date); None for anything else."""
    # The customer's own words: a typed date may have been read into a date press already.
    text = own_words(ctx)
    if text is None:
        return None
    rest, births = _birth_dates_in(text, ctx)
    reference = _one_reference(rest, ctx) or reference_in(rest)
    if (
        reference is None
        or reference == frame.data.get("reference")
        or not _looks_like_reference(reference, text)
    ):
        return None
    return reference, births


def _looks_like_reference(reference: str, text: str) -> bool:
    """Letters and digits ("BK-1001", "H2-ZT02"), or capitals as printed ("DEMO-ONLINE"): not a
    mistyped birth date ("1990-02-30") or a name ("Mary-Jane")."""
    if not any(c.isalpha() for c in reference) or _NOT_A_REFERENCE.fullmatch(reference):
        return False
    return any(c.isdigit() for c in reference) or reference in text


# "the 20th", "3pm", "20min", "2nd": a day, a time or an amount said beside the birth date.
_NOT_A_REFERENCE = re.compile(
    r"\d{1,4}(?:ST|ND|RD|TH|AM|PM|H|HR|HRS|MIN|MINS|M|KG|CM|YO|YRS|Y)|(?:NO|NUM)\d{1,2}"
)


def _one_reference(text: str, ctx: Ctx) -> str | None:
    found = references.candidates(text)
    return found[0] if len(found) == 1 else None


def _lettered_reference(text: str) -> str | None:
    """Of several candidates ("typo, 1990 not 1999. H5-EN04"), the one reference with letters and
    digits; a year or a count beside it is not one."""
    found = [r for r in references.candidates(text) if _looks_like_reference(r, r)]
    return found[0] if len(found) == 1 else None


def _typed_reference(text: str, ctx: Ctx) -> str | None:
    """The reader's one candidate ("bk 1001", "BK3101", "ＢＫ－１００１", "my booking number is ..."),
    canonical (upper case, hyphenated); never a guess between two ("A1 or B2")."""
    read = ctx.facts.answer
    if isinstance(read, answers.Reference):
        one = _one_reference(text, ctx)
        if one is not None:
            return one
    return reference_in(keywords.normalize(text))


def _plausible_birth(day: dt.date, ctx: Ctx) -> bool:
    return EARLIEST_BIRTH <= day <= today(ctx)


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _locked() -> Msg:
    return msg(
        "For your security, linking this chat is paused for an hour after several unsuccessful tries. "
        "Our team has been told; a person can help you: choose “Talk to a person”."
    )
