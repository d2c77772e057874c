"""Table tests for the agency's rules (RULES.md §2-§4) and a few properties."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.policy import (
    JST,
    cancellation_fee,
    lateness,
    parse_aware,
    payment_due,
    requires_human_for_consultation,
)

T = parse_aware


# ---------------------------------------------------------------- cancellation fee (§2)

# (service_at, requested_at, fee_total, days_before, rule, rate_percent, fee_jpy)
FEE_TABLE = [
    # The n boundaries, each at both edges of midnight JST.
    ("2026-12-05T10:00+09:00", "2026-12-01T23:59:59+09:00", 40000, 4, "free", 0, 0),
    ("2026-12-05T10:00+09:00", "2026-12-02T00:00:00+09:00", 40000, 3, "partial", 50, 20000),
    ("2026-12-05T10:00+09:00", "2026-12-03T23:59:59+09:00", 40000, 2, "partial", 50, 20000),
    ("2026-12-05T10:00+09:00", "2026-12-04T00:00:00+09:00", 40000, 1, "full", 100, 40000),
    ("2026-12-05T10:00+09:00", "2026-12-05T09:59:59+09:00", 40000, 0, "full", 100, 40000),
    # Later the same day, after the start: still the day itself (n = 0), not "past".
    ("2026-12-05T10:00+09:00", "2026-12-05T23:59:59+09:00", 40000, 0, "full", 100, 40000),
    ("2026-12-05T10:00+09:00", "2026-12-06T00:00:00+09:00", 40000, -1, "past", None, None),
    ("2026-12-05T10:00+09:00", "2027-01-20T12:00:00+09:00", 40000, -46, "past", None, None),
    ("2026-12-05T10:00+09:00", "2026-11-01T12:00:00+09:00", 40000, 34, "free", 0, 0),
    # Requests from other zones count on their JST date: Dec 1 20:00 in Los Angeles is Dec 2 in Tokyo.
    ("2026-12-05T10:00+09:00", "2026-12-01T20:00-08:00", 40000, 3, "partial", 50, 20000),
    ("2026-12-05T10:00+09:00", "2026-12-01T14:59:59Z", 40000, 4, "free", 0, 0),
    ("2026-12-05T10:00+09:00", "2026-12-01T15:00:00Z", 40000, 3, "partial", 50, 20000),
    ("2026-12-05T10:00+09:00", "2026-12-04T08:00+13:00", 40000, 1, "full", 100, 40000),
    # The service time given in UTC: 15:30Z on Dec 4 is 00:30 on Dec 5 in Tokyo.
    ("2026-12-04T15:30Z", "2026-12-01T10:00+09:00", 40000, 4, "free", 0, 0),
    # Month and year ends.
    ("2026-05-01T10:00+09:00", "2026-04-28T10:00+09:00", 40000, 3, "partial", 50, 20000),
    ("2026-05-01T10:00+09:00", "2026-04-27T10:00+09:00", 40000, 4, "free", 0, 0),
    ("2027-01-01T10:00+09:00", "2026-12-28T10:00+09:00", 40000, 4, "free", 0, 0),
    ("2027-01-01T10:00+09:00", "2026-12-29T10:00+09:00", 40000, 3, "partial", 50, 20000),
    ("2027-01-01T10:00+09:00", "2026-12-31T23:59:59+09:00", 40000, 1, "full", 100, 40000),
    # 10:00 on New Year's Eve in New York is already 00:00 on Jan 1 in Tokyo.
    ("2027-01-01T10:00+09:00", "2026-12-31T10:00-05:00", 40000, 0, "full", 100, 40000),
    # Leap years: Feb 29 2028 exists, Feb 29 2027 does not.
    ("2028-03-01T10:00+09:00", "2028-02-26T10:00+09:00", 40000, 4, "free", 0, 0),
    ("2028-03-01T10:00+09:00", "2028-02-27T10:00+09:00", 40000, 3, "partial", 50, 20000),
    ("2027-03-01T10:00+09:00", "2027-02-26T10:00+09:00", 40000, 3, "partial", 50, 20000),
    ("2028-02-29T09:00+09:00", "2028-02-28T15:00+00:00", 40000, 0, "full", 100, 40000),
    ("2028-02-29T09:00+09:00", "2028-02-28T14:59:59+00:00", 40000, 1, "full", 100, 40000),
    # Whole yen, rounded down.
    ("2026-12-05T10:00+09:00", "2026-12-02T10:00+09:00", 33333, 3, "partial", 50, 16666),
    ("2026-12-05T10:00+09:00", "2026-12-04T10:00+09:00", 33333, 1, "full", 100, 33333),
    ("2026-12-05T10:00+09:00", "2026-12-03T10:00+09:00", 1, 2, "partial", 50, 0),
    ("2026-12-05T10:00+09:00", "2026-12-03T10:00+09:00", 0, 2, "partial", 50, 0),
]


@pytest.mark.parametrize(
    ("service_at", "requested_at", "total", "days_before", "rule", "rate", "fee"), FEE_TABLE
)
def test_cancellation_fee_table(
    service_at: str,
    requested_at: str,
    total: int,
    days_before: int,
    rule: str,
    rate: int | None,
    fee: int | None,
) -> None:
    result = cancellation_fee(T(service_at), T(requested_at), total)
    assert (result.days_before, result.rule, result.rate_percent, result.fee_jpy, result.waived) == (
        days_before,
        rule,
        rate,
        fee,
        False,
    )


@pytest.mark.parametrize(
    ("requested_at", "days_before"),
    [
        ("2026-12-05T09:00+09:00", 0),
        ("2026-12-04T23:00+09:00", 1),
        ("2026-12-03T10:00+09:00", 2),
        ("2026-12-02T10:00+09:00", 3),
        # Free anyway, but the waiver is what the customer is told applied.
        ("2026-11-20T10:00+09:00", 15),
    ],
)
def test_surgery_waiver_whatever_the_days_before(requested_at: str, days_before: int) -> None:
    result = cancellation_fee(T("2026-12-05T10:00+09:00"), T(requested_at), 50001, surgery_called_off=True)
    assert (result.days_before, result.rule, result.rate_percent, result.fee_jpy, result.waived) == (
        days_before,
        "surgery_waiver",
        0,
        0,
        True,
    )


def test_past_takes_precedence_over_the_surgery_waiver() -> None:
    result = cancellation_fee(
        T("2026-12-05T10:00+09:00"), T("2026-12-06T00:00+09:00"), 50000, surgery_called_off=True
    )
    assert (result.rule, result.rate_percent, result.fee_jpy, result.waived) == ("past", None, None, False)


def test_waiver_is_refused_for_a_booking_that_is_not_a_surgery() -> None:
    with pytest.raises(ValueError, match="surgery"):
        cancellation_fee(
            T("2026-12-05T10:00+09:00"),
            T("2026-12-04T10:00+09:00"),
            50000,
            surgery_called_off=True,
            is_surgery=False,
        )


def test_not_a_surgery_pays_the_table_fee() -> None:
    result = cancellation_fee(
        T("2026-12-05T10:00+09:00"), T("2026-12-04T10:00+09:00"), 50000, is_surgery=False
    )
    assert (result.rule, result.fee_jpy) == ("full", 50000)


def test_cancellation_fee_to_json_in_jst() -> None:
    result = cancellation_fee(T("2026-12-05T01:00Z"), T("2026-12-01T20:00-08:00"), 40000)
    assert result.to_json() == {
        "days_before": 3,
        "rate_percent": 50,
        "fee_jpy": 20000,
        "waived": False,
        "rule": "partial",
        "fee_total_jpy": 40000,
        "service_date_jst": "2026-12-05",
        "requested_date_jst": "2026-12-02",
        "service_at_jst": "2026-12-05T10:00:00+09:00",
        "requested_at_jst": "2026-12-02T13:00:00+09:00",
        "before_start": True,
    }


def test_before_start_records_whether_contact_came_before_the_appointment() -> None:
    service = T("2026-12-05T10:00+09:00")
    assert cancellation_fee(service, T("2026-12-05T09:59:59+09:00"), 1000).before_start is True
    assert cancellation_fee(service, T("2026-12-05T10:00:00+09:00"), 1000).before_start is False
    assert cancellation_fee(service, T("2026-12-07T10:00:00+09:00"), 1000).to_json()["before_start"] is False


@pytest.mark.parametrize(
    ("service_at", "requested_at", "total", "error"),
    [
        (dt.datetime(2026, 12, 5, 10), T("2026-12-01T10:00+09:00"), 1000, ValueError),
        (T("2026-12-05T10:00+09:00"), dt.datetime(2026, 12, 1, 10), 1000, ValueError),
        (T("2026-12-05T10:00+09:00"), T("2026-12-01T10:00+09:00"), -1, ValueError),
        (T("2026-12-05T10:00+09:00"), T("2026-12-01T10:00+09:00"), True, TypeError),
        (T("2026-12-05T10:00+09:00"), T("2026-12-01T10:00+09:00"), 1000.0, TypeError),
    ],
)
def test_cancellation_fee_refuses_bad_input(
    service_at: dt.datetime, requested_at: dt.datetime, total: int, error: type[Exception]
) -> None:
    with pytest.raises(error):
        cancellation_fee(service_at, requested_at, total)


# ---------------------------------------------------------------- payment deadline (§3)

# (requested_at, confirmed_at, service_at, days, due_date)
DUE_TABLE = [
    # Service exactly 7 JST days after the request: "within a week", 3 days.
    ("2026-11-26T10:00+09:00", "2026-11-30T15:00+09:00", "2026-12-03T10:00+09:00", 3, "2026-12-03"),
    # 8 days: the normal week.
    ("2026-11-26T10:00+09:00", "2026-11-30T15:00+09:00", "2026-12-04T10:00+09:00", 7, "2026-12-07"),
    # Request and service on the same day.
    ("2026-12-01T08:00+09:00", "2026-12-01T09:00+09:00", "2026-12-01T18:00+09:00", 3, "2026-12-04"),
    # Midnight JST on the request: 23:59:59 on Nov 26 vs 00:00 on Nov 27, service Dec 4.
    ("2026-11-26T23:59:59+09:00", "2026-11-28T10:00+09:00", "2026-12-04T10:00+09:00", 7, "2026-12-05"),
    ("2026-11-27T00:00:00+09:00", "2026-11-28T10:00+09:00", "2026-12-04T10:00+09:00", 3, "2026-12-01"),
    # 16:00 on Nov 26 in Los Angeles is Nov 27 in Tokyo: 7 days before the service, so 3 days.
    ("2026-11-26T16:00-08:00", "2026-11-28T10:00+09:00", "2026-12-04T10:00+09:00", 3, "2026-12-01"),
    # Service given in UTC: 16:00Z on Dec 3 is Dec 4 in Tokyo, 8 days after the request.
    ("2026-11-26T10:00+09:00", "2026-11-28T10:00+09:00", "2026-12-03T16:00Z", 7, "2026-12-05"),
    # Midnight JST on the confirmation: 14:59:59Z is Nov 30, 15:00Z is Dec 1.
    ("2026-11-01T10:00+09:00", "2026-11-30T14:59:59Z", "2026-12-20T10:00+09:00", 7, "2026-12-07"),
    ("2026-11-01T10:00+09:00", "2026-11-30T15:00:00Z", "2026-12-20T10:00+09:00", 7, "2026-12-08"),
    # Month and year ends.
    ("2026-12-01T10:00+09:00", "2026-12-28T12:00+09:00", "2027-01-20T10:00+09:00", 7, "2027-01-04"),
    ("2026-12-27T10:00+09:00", "2026-12-30T12:00+09:00", "2027-01-02T10:00+09:00", 3, "2027-01-02"),
    ("2026-12-27T10:00+09:00", "2026-12-31T23:59:59+09:00", "2027-01-03T10:00+09:00", 3, "2027-01-03"),
    ("2026-04-01T10:00+09:00", "2026-04-28T12:00+09:00", "2026-05-30T10:00+09:00", 7, "2026-05-05"),
    # Leap years.
    ("2028-02-20T10:00+09:00", "2028-02-26T12:00+09:00", "2028-02-27T10:00+09:00", 3, "2028-02-29"),
    ("2027-02-20T10:00+09:00", "2027-02-26T12:00+09:00", "2027-02-27T10:00+09:00", 3, "2027-03-01"),
    ("2028-02-01T10:00+09:00", "2028-02-22T12:00+09:00", "2028-03-20T10:00+09:00", 7, "2028-02-29"),
    ("2028-02-22T10:00+09:00", "2028-02-23T12:00+09:00", "2028-02-29T10:00+09:00", 3, "2028-02-26"),
    ("2028-02-22T10:00+09:00", "2028-02-23T12:00+09:00", "2028-03-01T10:00+09:00", 7, "2028-03-01"),
]


@pytest.mark.parametrize(("requested_at", "confirmed_at", "service_at", "days", "due_date"), DUE_TABLE)
def test_payment_due_table(
    requested_at: str, confirmed_at: str, service_at: str, days: int, due_date: str
) -> None:
    due = payment_due(T(requested_at), T(confirmed_at), T(service_at))
    assert (due.days, due.due_date.isoformat()) == (days, due_date)
    assert due.due_at == dt.datetime.fromisoformat(f"{due_date}T23:59:59+09:00")


def test_payment_due_to_json() -> None:
    due = payment_due(T("2026-11-26T10:00+09:00"), T("2026-11-30T06:00Z"), T("2026-12-03T10:00+09:00"))
    assert due.to_json() == {
        "due_date": "2026-12-03",
        "due_at": "2026-12-03T23:59:59+09:00",
        "days": 3,
        "rule": "short_notice",
        "requested_date_jst": "2026-11-26",
        "confirmed_date_jst": "2026-11-30",
        "service_date_jst": "2026-12-03",
    }
    standard = payment_due(
        T("2026-11-01T10:00+09:00"), T("2026-11-02T10:00+09:00"), T("2026-12-01T10:00+09:00")
    )
    assert (standard.rule, standard.days) == ("standard", 7)


def test_payment_due_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="confirmed_at"):
        payment_due(T("2026-11-01T10:00+09:00"), dt.datetime(2026, 11, 2), T("2026-12-01T10:00+09:00"))


# ---------------------------------------------------------------- lateness and no-shows (§4)


@pytest.mark.parametrize(
    ("minutes", "may_be_no_show"), [(0, False), (10, False), (29, False), (30, True), (60, True), (240, True)]
)
def test_lateness(minutes: int, may_be_no_show: bool) -> None:
    late = lateness(minutes)
    assert late.to_json() == {
        "minutes_late": minutes,
        "may_be_no_show": may_be_no_show,
        "alert_agents": True,
        "offer_change_or_human": may_be_no_show,
    }


def test_lateness_refuses_negative_minutes() -> None:
    with pytest.raises(ValueError):
        lateness(-1)


@pytest.mark.parametrize(
    ("no_shows", "kind", "human"),
    [
        (0, "online_consultation", False),
        (1, "online_consultation", False),
        (2, "online_consultation", True),
        (7, "online_consultation", True),
        (2, "consultation", False),
        (5, "treatment", False),
        (5, "surgery", False),
    ],
)
def test_requires_human_for_consultation(no_shows: int, kind: str, human: bool) -> None:
    assert requires_human_for_consultation(no_shows, kind) is human


def test_requires_human_refuses_negative_count() -> None:
    with pytest.raises(ValueError):
        requires_human_for_consultation(-1, "online_consultation")


# ---------------------------------------------------------------- parse_aware


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T10:00+09:00", dt.datetime(2026, 12, 1, 10, tzinfo=JST)),
        ("2026-12-01T01:00Z", dt.datetime(2026, 12, 1, 10, tzinfo=JST)),
        (" 2026-11-30T17:00:00-08:00 ", dt.datetime(2026, 12, 1, 10, tzinfo=JST)),
    ],
)
def test_parse_aware(text: str, expected: dt.datetime) -> None:
    assert parse_aware(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-12-01T10:00", "no UTC offset"),
        ("2026-12-01", "no UTC offset"),
        ("tomorrow", "not an ISO 8601"),
        ("", "not an ISO 8601"),
    ],
)
def test_parse_aware_refuses(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_aware(text)


# ---------------------------------------------------------------- properties

ZONES = [
    JST,
    dt.UTC,
    ZoneInfo("America/Los_Angeles"),
    ZoneInfo("Pacific/Kiritimati"),
    ZoneInfo("Pacific/Pago_Pago"),
    ZoneInfo("Asia/Bangkok"),
    ZoneInfo("Europe/London"),
]
instants = st.datetimes(
    min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2040, 12, 31), timezones=st.sampled_from(ZONES)
)
totals = st.integers(min_value=0, max_value=10_000_000)


@settings(deadline=None)
@given(service=instants, requested=instants, total=totals, called_off=st.booleans())
def test_fee_is_whole_yen_between_zero_and_total(
    service: dt.datetime, requested: dt.datetime, total: int, called_off: bool
) -> None:
    result = cancellation_fee(service, requested, total, surgery_called_off=called_off)
    if result.rule == "past":
        assert result.fee_jpy is None and result.days_before < 0
    else:
        assert result.fee_jpy is not None and 0 <= result.fee_jpy <= total
        assert result.waived == called_off


@settings(deadline=None)
@given(service=instants, a=instants, b=instants, total=totals)
def test_fee_never_rises_the_earlier_the_request(
    service: dt.datetime, a: dt.datetime, b: dt.datetime, total: int
) -> None:
    earlier, later = sorted((a, b))
    first = cancellation_fee(service, earlier, total)
    second = cancellation_fee(service, later, total)
    assert first.days_before >= second.days_before
    if second.fee_jpy is not None:
        assert first.fee_jpy is not None and first.fee_jpy <= second.fee_jpy


@settings(deadline=None)
@given(service=instants, requested=instants, zone=st.sampled_from(ZONES), total=totals)
def test_fee_depends_on_the_instant_not_the_zone_it_is_written_in(
    service: dt.datetime, requested: dt.datetime, zone: dt.tzinfo, total: int
) -> None:
    assert cancellation_fee(service, requested, total) == cancellation_fee(
        service.astimezone(zone), requested.astimezone(zone), total
    )


@settings(deadline=None)
@given(requested=instants, confirmed=instants, service=instants)
def test_payment_due_is_three_or_seven_days_after_the_jst_confirmation(
    requested: dt.datetime, confirmed: dt.datetime, service: dt.datetime
) -> None:
    due = payment_due(requested, confirmed, service)
    short = (service.astimezone(JST).date() - requested.astimezone(JST).date()).days <= 7
    assert due.days == (3 if short else 7)
    assert due.due_date - confirmed.astimezone(JST).date() == dt.timedelta(days=due.days)
    assert due.due_at.utcoffset() == dt.timedelta(hours=9)
