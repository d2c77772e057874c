"""Cards: the fee explanation and the booking-change summary as labelled rows beside their prose.

The prose (`text`) stays what every channel shows; the rows are the same facts for a channel that
draws cards (LINE's Flex renderer). Both come from the same booking and fee, so they cannot disagree.
"""

from __future__ import annotations

from typing import Any

from bot import policy
from bot.dialogs.base import BookingFact
from bot.dialogs.common import kind_label
from bot.i18n import Msg, When, Yen, msg, msg_plural
from bot.replies import Card


def fee_card(b: BookingFact, fee: policy.CancellationFee, text: Msg) -> Card:
    """Booking, date and time (JST and the customer's zone), days before, rule, rate and amount."""
    n = fee.days_before
    days = msg("On the day") if n == 0 else msg_plural("{n} day before", "{n} days before", n)
    rate = fee.rate_percent or 0
    match fee.rule:
        case "free":
            rule = msg("4 or more days' notice: no fee")
        case "partial":
            rule = msg("From 3 days before")
        case "full":
            rule = msg("The day before or the day of the appointment")
        case _:
            rule = msg("Surgery called off: fee waived")
    amount: Any
    if fee.rule in ("free", "surgery_waiver"):
        amount = Yen(0)
    elif b.fee_total_jpy is None:
        amount = msg("Confirmed by our team")
    else:
        amount = Yen(fee.fee_jpy or 0)
    rows: list[tuple[Msg, Any]] = [
        (msg("Booking"), msg("{kind} ({reference})", kind=kind_label(b.kind), reference=b.reference)),
        (msg("Clinic"), b.clinic),
        (msg("Date and time"), When(b.service_at)),
        (msg("Notice"), days),
        (msg("Rule"), rule),
        (msg("Rate"), msg("{rate}%", rate=rate)),
    ]
    if b.fee_total_jpy is not None:
        rows.append((msg("Interpretation fee"), Yen(b.fee_total_jpy)))
    rows.append((msg("Cancellation fee"), amount))
    return Card(text, msg("Cancellation fee"), tuple(rows))


def change_card(b: BookingFact, dates: Msg | Any, time: Msg, text: Msg) -> Card:
    rows: tuple[tuple[Msg, Any], ...] = (
        (msg("Booking"), msg("{kind} ({reference})", kind=kind_label(b.kind), reference=b.reference)),
        (msg("Clinic"), b.clinic),
        (msg("Now"), When(b.service_at)),
        (msg("New date"), dates),
        (msg("Time"), time),
    )
    return Card(text, msg("Your change request"), rows)
