"""The open questions the answer cases are read against: real button labels, rendered by the real catalogs.

A case names its expectation as `yes_no`, `option:<set>`, `date`, `birth_date`, `reference`,
`minutes@HH:MM` (the appointment that day, JST), `minutes` or `free_text`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.dialogs.base import BookingFact
from bot.dialogs.common import booking_label, menu_option
from bot.i18n import Msg, msg, translator
from bot.understanding.answers import Expect, Option

JST = ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2025, 12, 18, 10, 0, tzinfo=JST)  # Thursday


def _booking(id_: int, kind: str, day: int, reference: str) -> BookingFact:
    return BookingFact(
        id=id_,
        reference=reference,
        kind=kind,
        clinic="Clinic",
        service_at=dt.datetime(2025, 12, day, 14, 0, tzinfo=JST),
        fee_total_jpy=None,
        requested_at=None,
        confirmed_at=None,
        status="confirmed",
        paid=False,
    )


BOOKINGS = (
    _booking(1, "surgery", 20, "BK-1001"),
    _booking(2, "treatment", 28, "DEMO-TREATMENT"),
    _booking(3, "online_consultation", 19, "DEMO-ONLINE"),
)

# id, label, means
SETS: dict[str, tuple[tuple[str, Msg, str | None], ...]] = {
    "cancel": (
        ("confirm", msg("Yes, cancel it"), "yes"),
        ("keep", msg("No, keep my booking"), "no"),
        ("menu", menu_option().label, None),
    ),
    "consent": (
        ("consent_yes", msg("I agree"), "yes"),
        ("consent_no", msg("No, thanks"), "no"),
        ("menu", menu_option().label, None),
    ),
    "called_off": (
        ("called_off", msg("Yes, the surgery is called off"), "yes"),
        ("this_only", msg("No, only this appointment"), "no"),
        ("menu", menu_option().label, None),
    ),
    "bookings": (
        *((f"b{b.id}", booking_label(b), None) for b in BOOKINGS),
        ("menu", menu_option().label, None),
    ),
}


def options(name: str, locale: str) -> tuple[Option, ...]:
    local, source = translator(locale), translator("en")
    return tuple(
        Option(id_, tuple(dict.fromkeys((local.render(label), source.render(label)))), means)
        for id_, label, means in SETS[name]
    )


def expect(spec: str, locale: str) -> Expect:
    if spec.startswith("minutes@"):
        h, m = spec.removeprefix("minutes@").split(":")
        return Expect("minutes", appointment_at=NOW.replace(hour=int(h), minute=int(m)))
    kind, _, arg = spec.partition(":")
    if kind == "option":
        return Expect("option", options(arg, locale))
    if kind.startswith("yes_no+"):
        return Expect("yes_no", options(kind.removeprefix("yes_no+"), locale))
    return Expect(kind)


def matches(reading: object, want: str) -> bool:
    """Whether a reading is what a case wants (the `want` column of the answer cases)."""
    from bot.understanding import answers as a

    kind, _, arg = want.partition(":")
    match kind:
        case "yes":
            return isinstance(reading, a.Yes)
        case "no":
            return isinstance(reading, a.No)
        case "pick":
            return isinstance(reading, a.Picked) and reading.option_id == arg
        case "date":
            return isinstance(reading, a.DateAnswer) and reading.date == dt.date.fromisoformat(arg)
        case "ambiguous":
            wanted = tuple(dt.date.fromisoformat(d) for d in arg.split(","))
            return isinstance(reading, a.AmbiguousDate) and reading.candidates == wanted
        case "ref":
            return isinstance(reading, a.Reference) and reading.text == arg
        case "minutes":
            return isinstance(reading, a.Minutes) and reading.minutes == int(arg)
        case "free":
            return isinstance(reading, a.FreeText)
        case "nofit":
            return isinstance(reading, a.NoFit)
        case "question":
            return isinstance(reading, a.NoFit) and reading.reason == "question"
    raise ValueError(f"unknown want {want!r}")


def load(path: str) -> list[tuple[int, str, str, str, str]]:
    """(line, expect, locale, text, want) for each case of a tab-separated answer-case file."""
    out = []
    with open(path, encoding="utf-8") as f:
        for no, raw in enumerate(f, start=1):
            if not raw.strip() or raw.startswith("#"):
                continue
            expect_, locale, text, want = raw.rstrip("\n").split("\t")
            out.append((no, expect_, locale, text, want))
    return out
