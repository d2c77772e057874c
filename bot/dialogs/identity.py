"""Who is writing? Links this chat identity to a customer by booking reference and date of birth.

The privacy summary comes first and consent is recorded before any personal data is asked
(RULES.md §6). The check itself is an effect (AttemptLink): the engine answers in the same event with
SystemIn("link_result", {"result": "ok" | "wrong" | "locked"}); five wrong answers lock linking for
an hour and alert the agents (bot.apply). Pushed by the flows that need a booking; its result
{"linked": bool} goes back to them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from bot.dialogs import keywords
from bot.dialogs.base import Ctx, Done, Frame, Transition, missed
from bot.dialogs.common import Flow, Graph, answer, menu_option, parse_date, run_id, today
from bot.effects import AttemptLink, RecordConsent
from bot.events import DateIn, SystemIn, TextIn
from bot.i18n import Msg, msg, msg_plural
from bot.replies import Choices, DatePicker, Option, Reply, Text

AGREE, DECLINE = "consent_yes", "consent_no"
REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,31}$")
EARLIEST_BIRTH = dt.date(1900, 1, 1)


class IdentityDialog(Flow):
    name: ClassVar[str] = "identity"
    graph: ClassVar[Graph] = {
        "start": (
            ("already linked", "done"),
            ("linking locked", "done"),
            ("consent given before", "reference"),
            ("consent given before, reference in the link", "birth_date"),
            ("privacy summary", "consent"),
        ),
        "consent": (
            ("agree (consent recorded)", "reference"),
            ("agree, reference in the link", "birth_date"),
            ("decline", "done"),
        ),
        "reference": (("booking reference", "birth_date"), ("reference and birth date (check)", "checking")),
        "birth_date": (("date of birth (check)", "checking"),),
        "checking": (
            ("match: linked", "done"),
            ("no match: tries left", "reference"),
            ("locked for an hour, agents alerted", "done"),
        ),
    }
    typed_steps = frozenset({"reference", "birth_date", "checking"})

    def start(self, ctx: Ctx, args: Mapping[str, Any]) -> Transition:
        if ctx.facts.customer is not None:
            return Transition(next=Done({"linked": True}))
        locked = ctx.facts.link_locked_until
        if locked is not None and locked > ctx.now:
            return Transition(next=Done({"linked": False, "locked": True}), replies=(Text(_locked()),))
        # A deep link (Telegram /start REF, a LINE link) may carry the booking reference already.
        linked_ref = _reference(str(args.get("reference", ""))) if args.get("reference") else None
        frame = self.frame("start", run=run_id(ctx, self.name), link_reference=linked_ref)
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
        match answer(ctx, AGREE, DECLINE):
            case "consent_yes":
                t = self._after_consent(frame, ctx)
                return Transition(next=t.next, replies=t.replies, effects=(RecordConsent(),))
            case "consent_no":
                declined = msg(
                    "Understood. I won't ask for any personal data. You can still ask general questions, "
                    "or talk to a person from our team."
                )
                return Transition(next=Done({"linked": False, "declined": True}), replies=(Text(declined),))
        return missed(frame)

    def _after_consent(self, frame: Frame, ctx: Ctx) -> Transition:
        reference = frame.data.get("link_reference")
        if reference:
            return self.go(frame, ctx, "birth_date", reference=reference, link_reference=None)
        return self.go(frame, ctx, "reference")

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
        text = keywords.normalize(body.text)
        birth = parse_date(text, today(ctx), need_year=True)
        if birth is not None:
            # Both at once ("ABC-123 1990-04-01"): the date's digits are not part of the reference.
            text = re.sub(
                r"\d{4}\s*[-/.年년]\s*\d{1,2}\s*[-/.月월]\s*\d{1,2}\s*[日일]?|(?<!\d)\d{8}(?!\d)", " ", text
            )
        reference = _reference(text)
        if reference is None:
            return missed(frame)
        if birth is not None and _plausible_birth(birth, ctx):
            return _check(frame, reference, birth)
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
        body = ctx.body
        birth: dt.date | None = None
        if isinstance(body, DateIn):
            birth = body.date
        elif isinstance(body, TextIn):
            birth = parse_date(body.text, today(ctx), need_year=True)
        if birth is None or not _plausible_birth(birth, ctx):
            return missed(frame)
        return _check(frame, str(frame.data.get("reference", "")), birth)

    def ask_checking(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        return self.ask_reference(frame, ctx)

    def on_checking(self, frame: Frame, ctx: Ctx) -> Transition:
        body = ctx.body
        if not (isinstance(body, SystemIn) and body.name == "link_result"):
            # The engine answers in the same event, so this is rare: treat it as the reference again.
            return self.on_reference(frame, ctx)
        match body.data.get("result"):
            case "ok":
                done = msg("Thank you, I found your booking: this chat is now linked to it.")
                return Transition(next=Done({"linked": True}), replies=(Text(done),))
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
        return self.go(frame, ctx, "reference", *replies, reference=None)


def _check(frame: Frame, reference: str, birth: dt.date) -> Transition:
    return Transition(
        next=frame.to("checking", reference=None),
        effects=(AttemptLink(reference, birth),),
    )


def _reference(text: str) -> str | None:
    """The booking reference in what was typed: the one word, or the one word with digits in a sentence."""
    words = [
        w.strip("#.()[]「」") for w in re.split(r"[\s,;:、，：]+", text.upper()) if w.strip("#.()[]「」")
    ]
    if len(words) == 1:
        # A plain word ("cancel", "hello") is not a reference: references carry a digit or a hyphen.
        word = words[0]
        return word if REFERENCE.match(word) and any(c.isdigit() or c == "-" for c in word) else None
    candidates = [w for w in words if REFERENCE.match(w) and any(c.isdigit() for c in w)]
    return candidates[0] if len(candidates) == 1 else None


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
