"""`counselbot policy ...`: the agency's rules from the command line, one JSON object per run.

Bad input (a datetime without UTC offset, a fee that is not a whole number of yen) exits 2 with one
line on stderr. Values are validated here rather than by argparse `type=` so the message names the
problem instead of argparse's generic "invalid value" plus a usage dump.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Callable
from typing import Any

from bot import policy

EXIT_BAD_INPUT = 2
_WHOLE_YEN = re.compile(r"[0-9]+")


class _BadInput(Exception):
    pass


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("policy", help="apply the agency's rules (fees, payment deadlines)")
    commands = parser.add_subparsers(dest="policy_command", metavar="COMMAND", required=True)

    fee = commands.add_parser(
        "cancellation-fee",
        help="the cancellation fee of an interpretation (RULES.md §2)",
        description="Compute the cancellation fee on JST calendar dates. Datetimes need a UTC offset.",
    )
    fee.add_argument("--service-at", required=True, metavar="ISO8601", help="appointment start")
    fee.add_argument("--requested-at", required=True, metavar="ISO8601", help="when the request was received")
    fee.add_argument("--fee-total", required=True, metavar="YEN", help="interpretation fee total, whole yen")
    fee.add_argument(
        "--surgery-called-off",
        action="store_true",
        help="the interpretation is for a surgery and the customer calls the surgery off (fee waived)",
    )
    fee.set_defaults(func=_cancellation_fee)

    due = commands.add_parser(
        "payment-due",
        help="the payment deadline of a booking (RULES.md §3)",
        description="Compute the payment deadline (23:59:59 JST). Datetimes need a UTC offset.",
    )
    due.add_argument(
        "--requested-at", required=True, metavar="ISO8601", help="when the booking was requested"
    )
    due.add_argument(
        "--confirmed-at", required=True, metavar="ISO8601", help="when the clinic booking completed"
    )
    due.add_argument("--service-at", required=True, metavar="ISO8601", help="appointment start")
    due.set_defaults(func=_payment_due)


def _when(option: str, text: str) -> dt.datetime:
    try:
        return policy.parse_aware(text)
    except ValueError as exc:
        raise _BadInput(f"{option}: {exc}") from None


def _yen(option: str, text: str) -> int:
    if not _WHOLE_YEN.fullmatch(text.strip()):
        raise _BadInput(f"{option}: {text!r} is not a whole number of yen, 0 or more (write it like 40000)")
    return int(text)


def _run(command: str, compute: Callable[[], dict[str, Any]]) -> int:
    try:
        result = compute()
    except _BadInput as exc:
        print(f"counselbot policy {command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _cancellation_fee(args: argparse.Namespace) -> int:
    def compute() -> dict[str, Any]:
        return policy.cancellation_fee(
            _when("--service-at", args.service_at),
            _when("--requested-at", args.requested_at),
            _yen("--fee-total", args.fee_total),
            surgery_called_off=args.surgery_called_off,
        ).to_json()

    return _run("cancellation-fee", compute)


def _payment_due(args: argparse.Namespace) -> int:
    def compute() -> dict[str, Any]:
        return policy.payment_due(
            _when("--requested-at", args.requested_at),
            _when("--confirmed-at", args.confirmed_at),
            _when("--service-at", args.service_at),
        ).to_json()

    return _run("payment-due", compute)
