"""Field validation shared by the console's forms and the CSV import: one clear reason per bad value."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from bot.console.cards import KINDS, STATUSES
from bot.console.i18n import N_
from bot.i18n import JST, SUPPORTED, normalize_locale

REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
# The region a national number (no "+") is read for: the customer's time zone says where they live; the
# agency is in Japan, so a customer without one (or from elsewhere) is read as JP.
DEFAULT_REGION = "JP"
REGION_BY_TIMEZONE = {
    "Asia/Tokyo": "JP",
    "Asia/Shanghai": "CN",
    "Asia/Chongqing": "CN",
    "Asia/Taipei": "TW",
    "Asia/Hong_Kong": "HK",
    "Asia/Seoul": "KR",
    "Asia/Bangkok": "TH",
    "Asia/Ho_Chi_Minh": "VN",
    "Asia/Saigon": "VN",
}
_TOO = {
    phonenumbers.ValidationResult.TOO_SHORT: N_("too short"),
    phonenumbers.ValidationResult.TOO_LONG: N_("too long"),
    phonenumbers.ValidationResult.INVALID_LENGTH: N_("wrong length"),
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: N_("unknown country code"),
}
GENDERS = ("", "female", "male", "other")


class FieldError(ValueError):
    """A bad value: `message` (a marked console string) is shown to the agent in their language."""

    def __init__(self, name: str, reason: str) -> None:
        self.message = N_("%(field)s: %(reason)s", field=name, reason=reason)
        super().__init__(self.message)
        self.name, self.reason = name, reason


def text(value: str, name: str, *, required: bool = False, limit: int = 200) -> str | None:
    value = value.strip()
    if not value:
        if required:
            raise FieldError(name, N_("required"))
        return None
    if len(value) > limit:
        raise FieldError(name, N_("too long (at most %(n)s characters)", n=limit))
    return value


FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def in_calendar(at: dt.datetime) -> bool:
    """Whether an aware instant lies in the years the console works with (1900-2999, UTC): one far
    off parses but overflows later, when a reminder, a purge date or "the day after" is worked out."""
    try:
        return FIRST_DAY <= at.astimezone(dt.UTC).date() <= LAST_DAY
    except OverflowError:
        return False


def when_jst(value: str, name: str, *, required: bool = False) -> dt.datetime | None:
    """ISO 8601; without a UTC offset the time is Japan time (what the agency's sheets and forms use)."""
    value = value.strip()
    if not value:
        if required:
            raise FieldError(name, N_("required"))
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace(" ", "T", 1) if "T" not in value else value)
    except ValueError:
        raise FieldError(
            name, N_("not a date and time: %(value)s (use 2026-12-01 10:00, JST)", value=repr(value[:40]))
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=JST)
    # 0001-01-01T00:00+14:00 parses but is before the first UTC instant; a year far off would overflow
    # later, when a reminder or a purge date is worked out from it.
    if not in_calendar(parsed):
        raise FieldError(name, N_("out of range: %(value)s (years 1900-2999)", value=repr(value[:40])))
    return parsed


def date(value: str, name: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FieldError(name, N_("not a date: %(value)s (use YYYY-MM-DD)", value=repr(value[:40]))) from None


def yen(value: str, name: str) -> int | None:
    value = value.strip().replace(",", "").removeprefix("¥")
    if not value:
        return None
    if not value.isdigit() or len(value) > 10:
        raise FieldError(name, N_("not a whole number of yen: %(value)s", value=repr(value[:20])))
    return int(value)


def count(value: str, name: str) -> int:
    value = value.strip() or "0"
    if not value.isdigit() or len(value) > 4:
        raise FieldError(name, N_("not a count"))
    return int(value)


def choice(
    value: str, name: str, allowed: tuple[str, ...] | Mapping[str, Any], default: str | None = None
) -> str:
    value = value.strip() or (default or "")
    if value not in allowed:
        raise FieldError(name, N_("must be one of %(choices)s", choices=", ".join(a for a in allowed if a)))
    return value


def reference(value: str, name: str = "reference") -> str:
    value = value.strip()
    if not REFERENCE.match(value):
        raise FieldError(name, N_("3-32 letters, digits, - or _"))
    return value.upper()


def email(value: str, name: str = "email") -> str | None:
    value = value.strip()
    if not value:
        return None
    if not EMAIL.match(value) or len(value) > 254:
        raise FieldError(name, N_("not an e-mail address"))
    return value.lower()


def phone(value: str, name: str = "phone", *, timezone: str | None = None) -> str | None:
    """E.164 ("+819012345678"), so one customer's number is stored, searched and dialled one way.

    Full-width digits, hyphens and "ー" are accepted (phonenumbers reads them); a number without a
    country code is read for the region of the customer's time zone (REGION_BY_TIMEZONE).
    """
    value = value.strip()
    if not value:
        return None
    shown: str = repr(value[:40])
    region = REGION_BY_TIMEZONE.get(timezone or "", DEFAULT_REGION)
    if not value.startswith(("+", "＋")):
        code = phonenumbers.country_code_for_region(region)
        shown = N_(
            "%(value)s (read as a %(region)s number, +%(code)s: write others with + and their country code)",
            value=shown,
            region=region,
            code=code,
        )
    try:
        if len(value) > 60:
            raise phonenumbers.NumberParseException(phonenumbers.NumberParseException.TOO_LONG, "")
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        unknown = exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE
        if unknown:
            raise FieldError(name, N_("unknown country code: %(value)s", value=shown)) from None
        raise FieldError(name, N_("not a phone number: %(value)s", value=shown)) from None
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible in _TOO:
        raise FieldError(
            name, N_("impossible phone number (%(why)s): %(value)s", why=_TOO[possible], value=shown)
        )
    if not phonenumbers.is_valid_number(number):
        raise FieldError(name, N_("not a valid phone number: %(value)s", value=shown))
    if number.extension:
        raise FieldError(
            name, N_("an extension cannot be stored, give the number without it: %(value)s", value=shown)
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def locale(value: str, name: str = "locale") -> str | None:
    value = value.strip()
    if not value:
        return None
    found = value if value in SUPPORTED else normalize_locale(value)
    if found is None:
        raise FieldError(name, N_("not one of %(choices)s", choices=", ".join(SUPPORTED)))
    return found


def timezone(value: str, name: str = "timezone") -> str | None:
    value = value.strip()
    if not value:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldError(name, N_("not a time zone name (like Asia/Shanghai)")) from None
    return value


Get = Callable[[str], str]


def customer_fields(get: Get, prefix: str = "") -> dict[str, Any]:
    p = prefix
    name_key = f"{p}name" if p else "full_name"
    zone = timezone(get(f"{p}timezone"), f"{p}timezone")
    return {
        "full_name": text(get(name_key), name_key),
        "birth_date": date(get(f"{p}birth_date"), f"{p}birth_date"),
        "gender": choice(get(f"{p}gender"), f"{p}gender", GENDERS) or None,
        "phone": phone(get(f"{p}phone"), f"{p}phone", timezone=zone),
        "email": email(get(f"{p}email"), f"{p}email"),
        "timezone": zone,
        "locale": locale(get(f"{p}locale"), f"{p}locale"),
        "contract_ends_on": date(get(f"{p}contract_ends_on"), f"{p}contract_ends_on"),
    }


def booking_fields(get: Get) -> dict[str, Any]:
    return {
        "reference": reference(get("reference")),
        "clinic": text(get("clinic"), "clinic", required=True),
        "kind": choice(get("kind"), "kind", KINDS),
        "service_at": when_jst(get("service_at"), "service_at", required=True),
        "fee_total_jpy": yen(get("fee_total_jpy"), "fee_total_jpy"),
        "requested_at": when_jst(get("requested_at"), "requested_at"),
        "confirmed_at": when_jst(get("confirmed_at"), "confirmed_at"),
        "status": choice(get("status"), "status", STATUSES, "confirmed"),
        "paid_at": when_jst(get("paid_at"), "paid_at"),
        "notes": text(get("notes"), "notes", limit=4000),
    }
