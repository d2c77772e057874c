"""What an agent sees of a customer and their bookings, with today's fee and deadline from bot.policy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.console.i18n import N_, N_plural
from bot.i18n import JST
from bot.policy import CancellationFee, PaymentDue, cancellation_fee, payment_due
from storage.models import Booking

KINDS = {
    "online_consultation": N_("Online consultation"),
    "consultation": N_("Consultation"),
    "treatment": N_("Treatment"),
    "surgery": N_("Surgery"),
}
STATUSES = ("confirmed", "cancelled", "completed", "no_show")


@dataclass(frozen=True, slots=True)
class BookingCard:
    booking: Booking
    fee_today: CancellationFee | None
    payment: PaymentDue | None
    overdue: bool

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.booking.kind, self.booking.kind)

    @property
    def fee_text(self) -> str:
        """The cancellation fee if the customer cancelled today (JST), with the rule that applies."""
        fee = self.fee_today
        if fee is None:
            return "—" if self.booking.fee_total_jpy is None else N_("not applicable")
        if fee.rule == "past":
            return N_("date passed: an agent decides")
        if fee.fee_jpy == 0:
            return N_plural("none (%(n)d day before)", "none (%(n)d days before)", fee.days_before)
        amount = f"¥{fee.fee_jpy:,}"
        return N_plural(
            "%(fee)s (%(rate)s%%, %(n)d day before)",
            "%(fee)s (%(rate)s%%, %(n)d days before)",
            fee.days_before,
            fee=amount,
            rate=fee.rate_percent,
        )

    @property
    def payment_text(self) -> str:
        if self.booking.paid_at is not None:
            return N_("paid")
        if self.payment is None:
            return "—"
        days = 3 if self.payment.rule == "short_notice" else 7
        due = self.payment.due_date.isoformat()
        if self.overdue:
            return N_("%(date)s 23:59 JST (%(days)s-day rule) — overdue", date=due, days=days)
        return N_("%(date)s 23:59 JST (%(days)s-day rule)", date=due, days=days)


def booking_card(booking: Booking, now: dt.datetime) -> BookingCard:
    fee = None
    if booking.fee_total_jpy is not None and booking.status == "confirmed":
        fee = cancellation_fee(booking.service_at, now, booking.fee_total_jpy)
    payment = None
    if booking.requested_at is not None and booking.confirmed_at is not None:
        payment = payment_due(booking.requested_at, booking.confirmed_at, booking.service_at)
    overdue = payment is not None and booking.paid_at is None and payment.due_at < now.astimezone(JST)
    return BookingCard(booking, fee, payment, overdue)
