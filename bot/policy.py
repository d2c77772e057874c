"""The agency's rules (shared/policy/RULES.md) as pure functions: no I/O, no clock.

Every rule is computed on Japan time (Asia/Tokyo) calendar dates, whatever zone the customer writes
from, and a request counts from the moment its message was received (the caller passes the event's
timestamp). Naive datetimes are refused: guessing their zone would silently move a request across
midnight JST and change the fee.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")

# RULES.md §2: 「3日前から発生」— from 3 days before the fee is 50 %, the day before and the day itself 100 %.
PARTIAL_FROM_DAYS = 3
FULL_FROM_DAYS = 1
PARTIAL_RATE_PERCENT = 50
FULL_RATE_PERCENT = 100

# RULES.md §3: one week normally; three days when the interpretation is within a week of the request.
STANDARD_PAYMENT_DAYS = 7
SHORT_NOTICE_PAYMENT_DAYS = 3
SHORT_NOTICE_WINDOW_DAYS = 7

# RULES.md §4.
NO_SHOW_MINUTES = 30
CONSULTATION_NO_SHOWS_FOR_HUMAN = 2
ONLINE_CONSULTATION = "online_consultation"

FeeRule = Literal["free", "partial", "full", "surgery_waiver", "past"]
PaymentRule = Literal["standard", "short_notice"]


def parse_aware(text: str) -> dt.datetime:
    """Parse an ISO 8601 datetime that carries a UTC offset ("Z" or "+09:00"); anything else is refused."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 datetime; write it like 2026-12-01T10:00+09:00"
        ) from None
    if value.utcoffset() is None:
        raise ValueError(
            f"{text!r} has no UTC offset, so its moment is ambiguous; write it like 2026-12-01T10:00+09:00"
        )
    return value


def _jst(value: dt.datetime, name: str) -> dt.datetime:
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got a naive datetime")
    return value.astimezone(JST)


@dataclass(frozen=True, slots=True)
class CancellationFee:
    """The fee for cancelling an interpretation (RULES.md §2).

    For rule "past" nothing is computed (rate_percent and fee_jpy are None): once the appointment's
    JST date has passed it is no longer a cancellation and an agent decides.
    """

    service_at_jst: dt.datetime
    requested_at_jst: dt.datetime
    fee_total_jpy: int
    days_before: int
    rate_percent: int | None
    fee_jpy: int | None
    waived: bool
    rule: FeeRule

    @property
    def service_date_jst(self) -> dt.date:
        return self.service_at_jst.date()

    @property
    def requested_date_jst(self) -> dt.date:
        return self.requested_at_jst.date()

    @property
    def before_start(self) -> bool:
        """Whether the request came in before the appointment began (agents weigh this, RULES.md §2)."""
        return self.requested_at_jst < self.service_at_jst

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (what the CLI prints and a filed request can keep)."""
        return {
            "days_before": self.days_before,
            "rate_percent": self.rate_percent,
            "fee_jpy": self.fee_jpy,
            "waived": self.waived,
            "rule": self.rule,
            "fee_total_jpy": self.fee_total_jpy,
            "service_date_jst": self.service_date_jst.isoformat(),
            "requested_date_jst": self.requested_date_jst.isoformat(),
            "service_at_jst": self.service_at_jst.isoformat(),
            "requested_at_jst": self.requested_at_jst.isoformat(),
            "before_start": self.before_start,
        }


def cancellation_fee(
    service_at: dt.datetime,
    requested_at: dt.datetime,
    fee_total_jpy: int,
    *,
    surgery_called_off: bool = False,
    is_surgery: bool = True,
) -> CancellationFee:
    """The cancellation fee of an interpretation booked for `service_at`, requested at `requested_at`.

    n = JST date of the service - JST date of the request. n >= 4: free; 3 or 2: 50 %; 1 or 0: 100 %;
    n < 0: "past". Amounts are whole yen rounded down, in the customer's favour.

    `surgery_called_off` (the customer decides not to have the surgery at all) waives the fee whatever
    n is, but "past" takes precedence: after the date there is no cancellation left to waive and the
    bot must not promise a waiver an agent has to judge. `is_surgery` exists so a caller cannot claim
    the waiver for a non-surgery booking by mistake; the default lets the CLI's flag imply a surgery.
    """
    if isinstance(fee_total_jpy, bool) or not isinstance(fee_total_jpy, int):
        raise TypeError("fee_total_jpy must be an int (whole yen)")
    if fee_total_jpy < 0:
        raise ValueError(f"fee_total_jpy must not be negative, got {fee_total_jpy}")
    if surgery_called_off and not is_surgery:
        raise ValueError("surgery_called_off only applies to a surgery's interpretation")
    service = _jst(service_at, "service_at")
    requested = _jst(requested_at, "requested_at")
    n = (service.date() - requested.date()).days

    rule: FeeRule
    if n < 0:
        rule, rate = "past", None
    elif surgery_called_off:
        rule, rate = "surgery_waiver", 0
    elif n > PARTIAL_FROM_DAYS:
        rule, rate = "free", 0
    elif n > FULL_FROM_DAYS:
        rule, rate = "partial", PARTIAL_RATE_PERCENT
    else:
        rule, rate = "full", FULL_RATE_PERCENT
    return CancellationFee(
        service_at_jst=service,
        requested_at_jst=requested,
        fee_total_jpy=fee_total_jpy,
        days_before=n,
        rate_percent=rate,
        # Integer floor division: exact for any amount, never a float rounding surprise.
        fee_jpy=None if rate is None else fee_total_jpy * rate // 100,
        waived=rule == "surgery_waiver",
        rule=rule,
    )


@dataclass(frozen=True, slots=True)
class PaymentDue:
    """When payment is due (RULES.md §3): the end of a JST day, 7 or 3 days after the booking is confirmed."""

    requested_date_jst: dt.date
    confirmed_date_jst: dt.date
    service_date_jst: dt.date
    days: int
    due_date: dt.date

    @property
    def due_at(self) -> dt.datetime:
        return dt.datetime.combine(self.due_date, dt.time(23, 59, 59), tzinfo=JST)

    @property
    def rule(self) -> PaymentRule:
        return "short_notice" if self.days == SHORT_NOTICE_PAYMENT_DAYS else "standard"

    def to_json(self) -> dict[str, Any]:
        return {
            "due_date": self.due_date.isoformat(),
            "due_at": self.due_at.isoformat(),
            "days": self.days,
            "rule": self.rule,
            "requested_date_jst": self.requested_date_jst.isoformat(),
            "confirmed_date_jst": self.confirmed_date_jst.isoformat(),
            "service_date_jst": self.service_date_jst.isoformat(),
        }


def payment_due(requested_at: dt.datetime, confirmed_at: dt.datetime, service_at: dt.datetime) -> PaymentDue:
    """The payment deadline of a booking requested at `requested_at` and confirmed at `confirmed_at`.

    Three days instead of seven when the service's JST date is at most 7 days after the request's
    JST date (「ご依頼後1週間以内に通訳手配される場合」): exactly 7 days is still "within a week".
    """
    requested = _jst(requested_at, "requested_at").date()
    confirmed = _jst(confirmed_at, "confirmed_at").date()
    service = _jst(service_at, "service_at").date()
    short = (service - requested).days <= SHORT_NOTICE_WINDOW_DAYS
    days = SHORT_NOTICE_PAYMENT_DAYS if short else STANDARD_PAYMENT_DAYS
    return PaymentDue(
        requested_date_jst=requested,
        confirmed_date_jst=confirmed,
        service_date_jst=service,
        days=days,
        due_date=confirmed + dt.timedelta(days=days),
    )


@dataclass(frozen=True, slots=True)
class Lateness:
    """What a late-arrival notice means (RULES.md §4).

    Every notice alerts the agents at once so the interpreter and clinic can be told; from 30 minutes
    the customer is told plainly it may count as a no-show and offered a change or a person.
    """

    minutes_late: int
    may_be_no_show: bool
    alert_agents: bool = True

    @property
    def offer_change_or_human(self) -> bool:
        return self.may_be_no_show

    def to_json(self) -> dict[str, Any]:
        return {
            "minutes_late": self.minutes_late,
            "may_be_no_show": self.may_be_no_show,
            "alert_agents": self.alert_agents,
            "offer_change_or_human": self.offer_change_or_human,
        }


def lateness(minutes_late: int) -> Lateness:
    if minutes_late < 0:
        raise ValueError(f"minutes_late must not be negative, got {minutes_late}")
    return Lateness(minutes_late=minutes_late, may_be_no_show=minutes_late >= NO_SHOW_MINUTES)


def requires_human_for_consultation(no_show_count: int, kind: str) -> bool:
    """Whether a new or changed booking of this kind must go to a person (RULES.md §4).

    Only online pre-treatment consultations are concerned, from the customer's second recorded no-show on.
    """
    if no_show_count < 0:
        raise ValueError(f"no_show_count must not be negative, got {no_show_count}")
    return kind == ONLINE_CONSULTATION and no_show_count >= CONSULTATION_NO_SHOWS_FOR_HUMAN
