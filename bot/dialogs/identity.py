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
from collections.abc import Mapping
from typing import Any, ClassVar

from bot.dialogs import answering, keywords
from bot.dialogs.answering import Expectation, yes_no
from bot.dialogs.base import Ctx, Done, Frame, Transition, missed
from bot.dialogs.common import Flow, Graph, answer, menu_option, parse_date, reference_in, run_id, today
from bot.effects import AttemptLink, RecordConsent
from bot.events import ChoiceIn, DateIn, SystemIn, TextIn
from bot.i18n import Msg, msg, msg_plural
from bot.replies import Choices, DatePicker, Option, Reply, Text
from bot.understanding import answers, references

AGREE, DECLINE = "consent_yes", "consent_no"
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
        "birth_date": (("date of birth (check)", "checking"), ("a date read two ways", "birth_which")),
        "birth_which": (("the date meant (check)", "checking"),),
        "checking": (
            ("match: linked", "done"),
            ("no match: tries left", "reference"),
            ("locked for an hour, agents alerted", "done"),
        ),
    }
    expects: ClassVar[Mapping[str, Expectation]] = {
        "consent": yes_no(AGREE, DECLINE),
        "reference": answering.REFERENCE,
        "birth_date": answering.BIRTH_DATE,
        "birth_which": answering.BIRTH_DATE,
        "checking": answering.REFERENCE,
    }

    def start(self, ctx: Ctx, args: Mapping[str, Any]) -> Transition:
        if ctx.facts.customer is not None:
            return Transition(next=Done({"linked": True}))
        locked = ctx.facts.link_locked_until
        if locked is not None and locked > ctx.now:
            return Transition(next=Done({"linked": False, "locked": True}), replies=(Text(_locked()),))
        # A deep link (Telegram /start REF, a LINE link) may carry the booking reference already.
        linked_ref = reference_in(str(args.get("reference", ""))) if args.get("reference") else None
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
        read = ctx.facts.answer
        # "bk 1001", "ＢＫ－１００１", "my booking number is ...": the reader's one candidate; never a guess
        # between two ("A1 or B2").
        one = isinstance(read, answers.Reference) and len(references.candidates(text)) == 1
        reference = reference_in(text) or (read.text if one and isinstance(read, answers.Reference) else None)
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
        body, read = ctx.body, ctx.facts.answer
        if isinstance(read, answers.AmbiguousDate):
            plausible = [d for d in read.candidates if _plausible_birth(d, ctx)]
            if len(plausible) > 1:
                return self.go(frame, ctx, "birth_which", candidates=[d.isoformat() for d in plausible])
            if plausible:
                body = DateIn(plausible[0])
        birth = body.date if isinstance(body, DateIn) else None
        if birth is None or not _plausible_birth(birth, ctx):
            return missed(frame)
        return _check(frame, str(frame.data.get("reference", "")), birth)

    def ask_birth_which(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        days = [dt.date.fromisoformat(str(d)) for d in frame.data.get("candidates", ())]
        # The date alone, in the customer's format: a template of one placeholder, nothing to translate.
        options = tuple(Option(f"d{d.isoformat()}", Msg("{date}", (("date", d),))) for d in days)
        return (Choices(msg("Which date do you mean?"), (*options, menu_option())),)

    def on_birth_which(self, frame: Frame, ctx: Ctx) -> Transition:
        body = ctx.body
        if isinstance(body, ChoiceIn) and body.option.startswith("d"):
            try:
                birth = dt.date.fromisoformat(body.option[1:])
            except ValueError:
                return missed(frame)
            return _check(frame, str(frame.data.get("reference", "")), birth)
        if isinstance(body, DateIn) and _plausible_birth(body.date, ctx):
            return _check(frame, str(frame.data.get("reference", "")), body.date)
        return missed(frame)

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
