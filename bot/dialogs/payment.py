"""Payment: the due date of each upcoming booking (RULES.md §3, bot.policy.payment_due), the amount
where known, and how to pay (the admins' text for the customer's language, shown verbatim)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from bot import policy
from bot.dialogs.base import FIRST_CHARS, BookingFact, Ctx, Done, Frame, Transition
from bot.dialogs.common import Flow, Graph, booking_label, lines, not_linked, today, upcoming
from bot.i18n import Msg, Yen, msg
from bot.replies import Reply, Text


class PaymentDialog(Flow):
    name: ClassVar[str] = "payment"
    menu_label = msg("Payment and due dates")
    intents = ("payment",)
    graph: ClassVar[Graph] = {
        "start": (("not linked", "identity"), ("linked: due dates, amounts, how to pay", "done")),
        "identity": (
            ("linked: due dates, amounts, how to pay", "done"),
            ("not linked: the general rule, how to pay", "done"),
            ("locked", "done"),
        ),
    }

    def start(self, ctx: Ctx, args: Mapping[str, Any]) -> Transition:
        if ctx.facts.customer is None:
            # The first message goes to the check: a reference or birth date in it is not asked again.
            return self.need_identity(self.frame("start", first=str(args.get("text") or "")[:FIRST_CHARS]))
        return Transition(next=Done(), replies=(*self.due_dates(ctx), how_to_pay(ctx)))

    def resume_identity(self, frame: Frame, result: Mapping[str, Any], ctx: Ctx) -> Transition:
        if result.get("locked"):
            return not_linked(result)
        if not result.get("linked") or ctx.facts.customer is None:
            rule = msg(
                "Payment is due within 1 week after the clinic has confirmed your booking, or within 3 days when "
                "the appointment is within a week of your request (until the end of that day, Japan time)."
            )
            return Transition(next=Done(), replies=(Text(rule), how_to_pay(ctx)))
        return Transition(next=Done(), replies=(*self.due_dates(ctx), how_to_pay(ctx)))

    def due_dates(self, ctx: Ctx) -> tuple[Reply, ...]:
        bookings = upcoming(ctx)
        if not bookings:
            return (Text(msg("You have no upcoming bookings, so no payment is due.")),)
        header = msg("Payment for your upcoming bookings:")
        return (Text(lines(header, *(_line(b, ctx) for b in bookings))),)


def _line(b: BookingFact, ctx: Ctx) -> Msg:
    label = booking_label(b)
    if b.paid:
        return msg("{booking}: paid, thank you.", booking=label)
    amount = Yen(b.fee_total_jpy) if b.fee_total_jpy is not None else msg("amount to be confirmed")
    if b.requested_at is None or b.confirmed_at is None:
        return msg(
            "{booking}: {amount}; the due date is set once the clinic has confirmed the booking.",
            booking=label,
            amount=amount,
        )
    due = policy.payment_due(b.requested_at, b.confirmed_at, b.service_at)
    if due.due_date < today(ctx):
        return msg(
            "{booking}: {amount}, was due by {due} (Japan time). Please pay as soon as you can.",
            booking=label,
            amount=amount,
            due=due.due_date,
        )
    return msg(
        "{booking}: {amount}, due by {due}, end of the day Japan time ({days} days after the clinic confirmed "
        "the booking).",
        booking=label,
        amount=amount,
        due=due.due_date,
        days=due.days,
    )


DEFAULT_INSTRUCTIONS = msg(
    "Please pay by bank transfer to the account in your booking confirmation e-mail, "
    "or by card through the payment link we sent you."
)


def how_to_pay(ctx: Ctx) -> Text:
    """The admin's text for the customer's language, else the operator's, else ours translated."""
    text = (ctx.facts.payment_instructions or "").strip()
    return Text(msg("How to pay:\n{instructions}", instructions=text or DEFAULT_INSTRUCTIONS))
