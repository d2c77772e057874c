"""Cancellation: which booking, (for a surgery) whether the surgery itself is called off, the fee
explained with its numbers (RULES.md §2), confirm → a cancellation request and a ticket.

The fee is computed with bot.policy at the receipt time of the customer's message. If the JST date
changes between the explanation and the confirmation, the fee is explained again before anything is
filed: the customer only ever confirms the numbers they were shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from bot import policy
from bot.dialogs import keywords
from bot.dialogs.answering import Expectation, yes_no
from bot.dialogs.base import FIRST_CHARS, BookingFact, Ctx, Done, Frame, Transition, missed
from bot.dialogs.cards import fee_card
from bot.dialogs.common import (
    Flow,
    Graph,
    answer,
    booking,
    choose_booking,
    hinted_booking,
    kind_label,
    lines,
    menu_option,
    named_booking,
    no_bookings,
    not_linked,
    own_words,
    picked_booking,
    recently_passed,
    run_id,
    understood_date,
    upcoming,
)
from bot.effects import Escalate, FileRequest
from bot.i18n import Msg, When, Yen, msg, msg_plural
from bot.replies import Choices, HandoffNotice, Option, Reply, Text

CONFIRM, KEEP = "confirm", "keep"
CALLED_OFF, THIS_ONLY = "called_off", "this_only"
_BEGIN = (
    ("no upcoming booking", "done"),
    ("only a booking whose date has passed", "@handoff"),
    ("several bookings", "choose"),
    ("one (or the named) surgery booking", "surgery"),
    ("one (or the named) surgery booking, called off up front", "explain"),
    ("one (or the named) other booking", "explain"),
    ("one (or the named) booking already asked to be cancelled", "done"),
)


class CancellationDialog(Flow):
    name: ClassVar[str] = "cancellation"
    menu_label = msg("Cancel a booking")
    intents = ("cancel",)
    graph: ClassVar[Graph] = {
        "start": (("not linked", "identity"), *_BEGIN),
        "identity": (*((f"linked: {label}", to) for label, to in _BEGIN), ("not linked", "done")),
        "choose": (
            ("surgery booking", "surgery"),
            ("surgery booking, called off up front", "explain"),
            ("other booking", "explain"),
            ("booking already asked to be cancelled", "done"),
        ),
        "surgery": (
            ("surgery called off", "explain"),
            ("only this appointment", "explain"),
            ("booking no longer open", "done"),
        ),
        "explain": (
            ("confirm: request filed, ticket", "done"),
            ("keep the booking", "done"),
            ("Japan date changed since shown", "explain"),
            ("appointment date passed", "@handoff"),
            ("booking no longer open", "done"),
        ),
    }
    booking_steps = frozenset({"surgery", "explain"})
    expects: ClassVar[Mapping[str, Expectation]] = {
        "surgery": yes_no(CALLED_OFF, THIS_ONLY),
        "explain": yes_no(CONFIRM, KEEP, confirms=True),
    }

    def start(self, ctx: Ctx, args: Mapping[str, Any]) -> Transition:
        hint = understood_date(ctx)
        frame = self.frame(
            "start",
            run=run_id(ctx, self.name),
            hint=hint.isoformat() if hint else None,
            booking_id=args.get("booking_id"),
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
            passed = recently_passed(ctx)
            # RULES.md §2: once its date has passed it is no cancellation any more; a person decides.
            return _past(passed) if passed is not None else no_bookings()
        chosen = (
            booking(ctx, frame)
            or (bookings[0] if len(bookings) == 1 else None)
            or named_booking(ctx, bookings, str(frame.data.get("first", "")))
            or hinted_booking(frame, bookings)
        )
        if chosen is None:
            return self.go(frame, ctx, "choose")
        return self._chosen(frame, ctx, chosen)

    def _chosen(self, frame: Frame, ctx: Ctx, b: BookingFact) -> Transition:
        if b.cancellation_requested_at is not None:
            # Asked again while the team is still on it: no second request, and the first one named.
            already = msg(
                "You have already asked to cancel booking {reference}. Our team is confirming it with "
                "the clinic and will tell you here; until then your booking stays as it is.",
                reference=b.reference,
            )
            return Transition(next=Done(), replies=(Text(already),))
        if b.kind == "surgery" and says_surgery_called_off(str(frame.data.get("first", ""))):
            # "I've decided not to have the surgery, cancel tomorrow's": the waiver, without asking again.
            return self._explain(frame, ctx, b, called_off=True)
        if b.kind == "surgery":
            return self.go(frame, ctx, "surgery", booking_id=b.id)
        return self._explain(frame, ctx, b, called_off=False)

    def _explain(
        self, frame: Frame, ctx: Ctx, b: BookingFact, *, called_off: bool, pre: tuple[Reply, ...] = ()
    ) -> Transition:
        fee = _fee(b, ctx, called_off)
        return self.go(frame, ctx, "explain", *pre, booking_id=b.id, called_off=called_off, shown=_key(fee))

    def ask_choose(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        return choose_booking(msg("Which booking do you want to cancel?"), upcoming(ctx))

    def on_choose(self, frame: Frame, ctx: Ctx) -> Transition:
        b = picked_booking(ctx, upcoming(ctx))
        return missed(frame) if b is None else self._chosen(frame, ctx, b)

    def ask_surgery(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        question = msg(
            "This booking is for a surgery. Have you decided not to have the surgery at all? "
            "In that case the cancellation fee is waived."
        )
        options = (
            Option(CALLED_OFF, msg("Yes, the surgery is called off")),
            Option(THIS_ONLY, msg("No, only this appointment")),
            menu_option(),
        )
        return (Choices(question, options),)

    def on_surgery(self, frame: Frame, ctx: Ctx) -> Transition:
        b = self.chosen(ctx, frame)
        picked = _surgery_answer(ctx)
        if picked not in (CALLED_OFF, THIS_ONLY):
            return missed(frame)
        return self._explain(frame, ctx, b, called_off=picked == CALLED_OFF)

    def ask_explain(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        b = self.chosen(ctx, frame)
        fee = _fee(b, ctx, bool(frame.data.get("called_off")))
        question = Choices(
            msg("Shall I send this cancellation request?"),
            (Option(CONFIRM, msg("Yes, cancel it")), Option(KEEP, msg("No, keep my booking")), menu_option()),
        )
        return (fee_card(b, fee, explanation(b, fee)), question)

    def fee_answer(self, frame: Frame, ctx: Ctx) -> Msg | None:
        """Asked "how much?" while the fee is on screen: the same numbers again."""
        b = booking(ctx, frame)
        if frame.step != "explain" or b is None:
            return None
        return explanation(b, _fee(b, ctx, bool(frame.data.get("called_off"))))

    def on_explain(self, frame: Frame, ctx: Ctx) -> Transition:
        b = self.chosen(ctx, frame)
        if b.kind == "surgery" and not frame.data.get("called_off") and calls_off_surgery(ctx):
            # "Actually the surgery itself is called off": the waiver applies; show the new numbers.
            return self._explain(frame, ctx, b, called_off=True)
        if (
            b.kind == "surgery"
            and frame.data.get("called_off")
            and _surgery_answer(ctx, asked=False) == THIS_ONLY
        ):
            # "Wait, only this appointment, I'll rebook": no waiver; show the fee that applies.
            return self._explain(frame, ctx, b, called_off=False)
        picked = answer(ctx, CONFIRM, KEEP)
        if picked == KEEP:
            return Transition(next=Done(), replies=(Text(msg("All right, your booking stays as it is.")),))
        if picked != CONFIRM:
            return missed(frame)
        b = self.chosen(ctx, frame)
        called_off = bool(frame.data.get("called_off"))
        fee = _fee(b, ctx, called_off)
        if _key(fee) != list(frame.data.get("shown", ())):
            changed = Text(
                msg("The date in Japan has changed since I showed you the fee, so here it is again:")
            )
            return self._explain(frame, ctx, b, called_off=called_off, pre=(changed,))
        filed = FileRequest(
            kind="cancellation",
            dedupe=str(frame.data["run"]),
            booking_id=b.id,
            details={
                "reference": b.reference,
                "kind": b.kind,
                "surgery_called_off": called_off,
                "fee_total_known": b.fee_total_jpy is not None,
                "fee": fee.to_json(),
            },
            fee_jpy=fee.fee_jpy if b.fee_total_jpy is not None else None,
            summary=(
                f"Cancellation requested for {b.reference} ({b.kind}): {fee.days_before} days before, "
                f"rule {fee.rule}, fee {fee.fee_jpy if b.fee_total_jpy is not None else 'unknown'} JPY. "
                "Confirm with the clinic."
            ),
        )
        sent = msg(
            "Thank you. Your cancellation request has been sent. A person from our team will confirm it with "
            "the clinic and tell you here. Until then, your booking stays as it is."
        )
        return Transition(next=Done(), replies=(Text(sent),), effects=(filed,))

    def booking_gone(self, frame: Frame, ctx: Ctx) -> Transition:
        passed = _passed(ctx, frame)
        if frame.step == "explain" and passed is not None and answer(ctx, CONFIRM, KEEP) == CONFIRM:
            # RULES.md §2: once the date has passed it is no cancellation any more; an agent decides.
            return _past(passed)
        return super().booking_gone(frame, ctx)


def _fee(b: BookingFact, ctx: Ctx, called_off: bool) -> policy.CancellationFee:
    surgery = b.kind == "surgery"
    return policy.cancellation_fee(
        b.service_at,
        ctx.now,
        b.fee_total_jpy or 0,
        surgery_called_off=called_off and surgery,
        is_surgery=surgery,
    )


# Only words that say the surgery itself will not happen: "cancel the surgery (appointment)" is what
# every cancellation of a surgery booking says, and is asked about instead.
_CALLED_OFF = re.compile(
    r"surgery (?:itself )?(?:is |was )?called off|(?:not|n't|never) (?:going to |gonna |to )?"
    r"(?:have|do|get|go through with) (?:the |my |any )?(?:surgery|operation)|decided against (?:the )?(?:surgery|operation)|"
    r"not (?:having|doing|getting) (?:the |my )?(?:surgery|operation)|"
    r"手術(?:自体|そのもの)?(?:を|は|も)?(?:中止|やめ|止め|受けない|しない)|"
    r"手術(?:自体|そのもの)?は.{0,8}?(?:受け|やら|やり|し)(?:ない|ません|たくない)|"
    r"(?:不做|不要做|放弃|放棄|唔做)(?:了)?(?:这个|這個|個|呢個|嗰個|那個|那个)?(?:手术|手術)|(?:手术|手術)(?:不做了|唔做|都唔做|不打算做)|"
    r"수술(?:을|은|도|\s)*(?:자체(?:를|는|도)?\s*)?(?:안\s*하|하지 않|포기|안 받)|ไม่(?:ทำ|ผ่าตัด)|"
    r"(?:không|ko|bỏ)\s*(?:làm\s*)?(?:ca\s*)?phẫu thuật(?:\s*nữa)?"
)


# Words that say only this appointment goes and the surgery itself still happens (a rebooking).
_THIS_ONLY = re.compile(
    r"(?:only|just) (?:cancel(?:ling)? )?(?:this|the|that) (?:one|appointment|booking|date|visit|time)|"
    r"\bre-?book|\bre-?schedul|book (?:it |again|another)|(?:still|do it|have it) (?:later|next|another)|"
    r"still (?:want|need|plan|intend|going to|gonna)|still (?:have|do|get) (?:the |my |it)|"
    r"(?:今回|この予約|この日)(?:の予約)?(?:だけ|のみ)|予約し直|また予約|改めて予約|別の日に|手術(?:自体|そのもの)?は.{0,8}?(?:する|受け(?!ない|ません|ず)|やり(?!たくない)|行い)(?!ない|ません|ず|たくない)|予定(?:どおり|通り)|"
    r"只(?:是)?(?:取消)?(?:这次|這次|这个预约|這個預約|这一次|這一次)|重新(?:预约|預約|约|約|安排)|改天再|"
    r"(?:手术|手術)(?:还是|還是|仍然|照樣|照样)要做|"
    r"이번(?:\s*예약)?\s*만|다시\s*예약|수술은\s*(?:할|받을|하긴)|나중에\s*(?:다시|할|받)|"
    r"แค่(?:นัด)?(?:ครั้ง)?นี้|จองใหม่|นัดใหม่|ยัง(?:จะ)?(?:ผ่าตัด|ทำ)|"
    r"chỉ (?:hủy )?(?:lần|buổi|lịch|cuộc hẹn|lịch hẹn) (?:này|hẹn này)|đặt lại|hẹn lại|vẫn (?:muốn )?(?:làm|phẫu thuật)"
)
# "Not just this appointment": the opposite of _THIS_ONLY's words.
_NOT_ONLY = re.compile(r"not (?:only|just)|じゃなくて|ではなく|不只|不是只|아니라|ไม่ใช่แค่|không chỉ")


def _surgery_answer(ctx: Ctx, *, asked: bool = True) -> str | None:
    """Is the surgery itself called off (the waiver) or only this appointment? The customer's words
    decide over a leading yes or no: "no, I'm not having the surgery at all" calls it off, "yes,
    only this appointment" does not (and a Japanese or Korean yes may agree with the question's
    negative). Words both ways, or a "not only" without the surgery called off: asked again.
    With `asked=False` only words count (the question is no longer on screen)."""
    text = own_words(ctx)
    if text is not None:
        said = keywords.normalize(text)
        off, only = bool(_CALLED_OFF.search(said)), bool(_THIS_ONLY.search(said))
        if off:
            return None if only else CALLED_OFF
        if _NOT_ONLY.search(said):
            return None
        if only:
            return THIS_ONLY
    return answer(ctx, CALLED_OFF, THIS_ONLY) if asked else None


def calls_off_surgery(ctx: Ctx) -> bool:
    """The customer's words say the surgery itself is called off, not only this appointment."""
    text = own_words(ctx)
    return text is not None and says_surgery_called_off(text)


def says_surgery_called_off(text: str) -> bool:
    return bool(_CALLED_OFF.search(keywords.normalize(text)))


def _key(fee: policy.CancellationFee) -> list[Any]:
    return [fee.rule, fee.days_before]


def _passed(ctx: Ctx, frame: Frame) -> BookingFact | None:
    """The booking, if it is still confirmed but its JST date has passed since it was chosen."""
    wanted = frame.data.get("booking_id")
    b = next((b for b in ctx.facts.bookings if b.id == wanted and b.status == "confirmed"), None)
    if b is None or booking(ctx, frame) is not None:
        return None
    return b


def _past(b: BookingFact) -> Transition:
    notice = msg(
        "The date of this appointment has already passed in Japan, so it can no longer be cancelled here. "
        "I've asked a person from our team to look at it; they will answer you here."
    )
    escalate = Escalate(
        "cancellation",
        "normal",
        f"Cancellation asked for {b.reference} after its date (RULES §2): an agent decides.",
    )
    return Transition(next=Done(show_menu=False), replies=(HandoffNotice(notice),), effects=(escalate,))


def explanation(b: BookingFact, fee: policy.CancellationFee) -> Msg:
    """The fee with its numbers: appointment (JST and the customer's zone), days before, rule, rate, amount."""
    appointment = msg(
        "Appointment: {kind} ({reference}) at {clinic}, {when}",
        kind=kind_label(b.kind),
        reference=b.reference,
        clinic=b.clinic,
        when=When(b.service_at),
    )
    n = fee.days_before
    timing = (
        msg("You are cancelling on the day of the appointment (counted on Japan calendar dates).")
        if n == 0
        else msg_plural(
            "You are cancelling {n} day before the appointment (counted on Japan calendar dates).",
            "You are cancelling {n} days before the appointment (counted on Japan calendar dates).",
            n,
        )
    )
    rate = fee.rate_percent or 0
    match fee.rule:
        case "free":
            rule = msg("Rule: with 4 or more days' notice there is no cancellation fee.")
        case "partial":
            rule = msg(
                "Rule: from 3 days before the appointment, the fee is {rate}% of the interpretation fee.",
                rate=rate,
            )
        case "full":
            rule = msg(
                "Rule: on the day before and on the day of the appointment, the fee is {rate}% of the "
                "interpretation fee.",
                rate=rate,
            )
        case _:
            rule = msg(
                "Rule: you have decided not to have the surgery itself, so the cancellation fee is waived."
            )
    if fee.rule in ("free", "surgery_waiver"):
        amount = msg("Cancellation fee: {fee}", fee=Yen(0))
    elif b.fee_total_jpy is None:
        amount = msg(
            "Cancellation fee: {rate}% of the interpretation fee. A person from our team will confirm the amount.",
            rate=rate,
        )
    else:
        amount = msg(
            "Cancellation fee: {rate}% of {total} = {fee}",
            rate=rate,
            total=Yen(b.fee_total_jpy),
            fee=Yen(fee.fee_jpy or 0),
        )
    return lines(appointment, timing, rule, amount)
