"""The whole-conversation corpus (tests/conversations/): its schema, loaded and checked from TOML.

One file per locale per set (heldout/, main/); each holds [[conversation]] tables. The schema is
documented in tests/conversations/README.md. Loading is strict: an unknown key or a malformed turn
is an error naming the conversation, so a typo never silently weakens an expectation.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.i18n import JST

CORPUS = Path(__file__).resolve().parent.parent / "conversations"
SETS = ("heldout", "main", "heldout2", "heldout3", "heldout4", "heldout5")
LOCALES = ("ja", "en", "zh_Hans", "zh_Hant", "ko", "th", "vi")
MODES = ("typed", "buttons")
KINDS = ("online_consultation", "consultation", "treatment", "surgery")
# The runner's "now": a Wednesday morning in Japan, the same instant the dialog tests use.
NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=JST)
BIRTH = dt.date(1990, 4, 1)

_CONVERSATION_KEYS = {
    "id",
    "about",
    "locale",
    "mode",
    "tz",
    "linked",
    "no_shows",
    "bookings",
    "turns",
    "expect",
}
_BOOKING_KEYS = {"ref", "kind", "days", "hour", "minute", "fee", "confirmed", "requested", "paid", "clinic"}
_EXPECT_KEYS = {"requests", "tickets", "reply_contains"}
_REQUEST_KEYS = {"kind", "fee", "booking", "details"}
_TICKET_KEYS = {"reason", "priority"}


class CorpusError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class BookingSpec:
    ref: str
    kind: str
    days: int
    hour: int
    minute: int = 0
    fee: int | None = None
    # JST days from "now" on which the booking was requested / confirmed by the clinic (negative: past).
    requested: int = -20
    confirmed: int = -19
    paid: bool = False
    clinic: str = "Shibuya Skin Clinic"

    def service_at(self) -> dt.datetime:
        return at_days(self.days, self.hour, self.minute)


@dataclass(frozen=True, slots=True)
class Turn:
    """What the customer did: typed `text`, pressed the button `press` (label part or number), or
    picked `pick` (an ISO date) in a date picker."""

    text: str | None = None
    press: str | None = None
    pick: dt.date | None = None

    @property
    def is_button(self) -> bool:
        return self.text is None


@dataclass(frozen=True, slots=True)
class RequestSpec:
    kind: str
    fee: int | None = None
    booking: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TicketSpec:
    # Any of these reasons (one name, or alternatives where the rules do not fix the name).
    reasons: tuple[str, ...] = ()
    priority: str | None = None


@dataclass(frozen=True, slots=True)
class Expect:
    requests: tuple[RequestSpec, ...]
    # None: the tickets are not checked.
    tickets: tuple[TicketSpec, ...] | None = None
    reply_contains: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    about: str
    locale: str
    set: str
    source: str
    mode: str
    tz: str | None
    linked: bool
    no_shows: int
    bookings: tuple[BookingSpec, ...]
    turns: tuple[Turn, ...]
    expect: Expect


def at_days(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """`days` JST calendar days after NOW's JST date, at hour:minute JST."""
    day = NOW.astimezone(JST).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), JST)


def load_corpus(root: Path = CORPUS) -> list[Conversation]:
    """Every conversation of every set, in file order; ids and booking references unique."""
    found: list[Conversation] = []
    for set_name in SETS:
        for path in sorted((root / set_name).glob("*.toml")):
            found.extend(load_file(path, set_name))
    _check_unique(found)
    return found


def load_file(path: Path, set_name: str) -> list[Conversation]:
    locale = path.stem
    if locale not in LOCALES:
        raise CorpusError(f"{path}: the file name must be a locale ({', '.join(LOCALES)})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CorpusError(f"{path}: {exc}") from None
    rest = set(data) - {"conversation"}
    if rest:
        raise CorpusError(f"{path}: unknown top-level keys {sorted(rest)}")
    source = f"{set_name}/{path.name}"
    return [_conversation(raw, locale, set_name, source) for raw in data.get("conversation", [])]


def _conversation(raw: dict[str, Any], locale: str, set_name: str, source: str) -> Conversation:
    cid = str(raw.get("id", "?"))
    where = f"{source} {cid}"
    _keys(raw, _CONVERSATION_KEYS, where, required={"id", "about", "turns", "expect"})
    if raw.get("locale", locale) != locale:
        raise CorpusError(f"{where}: locale {raw['locale']!r} in the {locale} file")
    mode = str(raw.get("mode", "typed"))
    if mode not in MODES:
        raise CorpusError(f"{where}: mode must be one of {MODES}")
    turns = tuple(_turn(t, where) for t in raw["turns"])
    if not turns:
        raise CorpusError(f"{where}: no turns")
    presses = any(t.is_button for t in turns)
    if mode == "typed" and presses:
        raise CorpusError(f"{where}: a typed conversation presses no button")
    if mode == "buttons" and not presses:
        raise CorpusError(f"{where}: a buttons conversation presses at least one button")
    return Conversation(
        id=cid,
        about=str(raw["about"]),
        locale=locale,
        set=set_name,
        source=source,
        mode=mode,
        tz=raw.get("tz"),
        linked=bool(raw.get("linked", False)),
        no_shows=int(raw.get("no_shows", 0)),
        bookings=tuple(_booking(b, where) for b in raw.get("bookings", [])),
        turns=turns,
        expect=_expect(raw["expect"], where),
    )


def _turn(raw: Any, where: str) -> Turn:
    if isinstance(raw, str):
        if not raw.strip():
            raise CorpusError(f"{where}: an empty turn")
        return Turn(text=raw)
    if isinstance(raw, dict) and set(raw) == {"press"}:
        return Turn(press=str(raw["press"]))
    if isinstance(raw, dict) and set(raw) == {"pick"}:
        try:
            return Turn(pick=dt.date.fromisoformat(str(raw["pick"])))
        except ValueError:
            raise CorpusError(f"{where}: pick must be an ISO date") from None
    raise CorpusError(f"{where}: a turn is a string, {{ press = ... }} or {{ pick = ... }}: {raw!r}")


def _booking(raw: dict[str, Any], where: str) -> BookingSpec:
    _keys(raw, _BOOKING_KEYS, f"{where} booking", required={"ref", "kind", "days", "hour"})
    if raw["kind"] not in KINDS:
        raise CorpusError(f"{where}: booking kind must be one of {KINDS}")
    return BookingSpec(**raw)


def _expect(raw: dict[str, Any], where: str) -> Expect:
    _keys(raw, _EXPECT_KEYS, f"{where} expect", required={"requests"})
    requests = []
    for r in raw["requests"]:
        _keys(r, _REQUEST_KEYS, f"{where} request", required={"kind"})
        requests.append(RequestSpec(r["kind"], r.get("fee"), r.get("booking"), dict(r.get("details", {}))))
    tickets: tuple[TicketSpec, ...] | None = None
    if "tickets" in raw:
        specs = []
        for t in raw["tickets"]:
            _keys(t, _TICKET_KEYS, f"{where} ticket", required=set())
            reason = t.get("reason", ())
            reasons = (reason,) if isinstance(reason, str) else tuple(reason)
            specs.append(TicketSpec(reasons, t.get("priority")))
        tickets = tuple(specs)
    return Expect(tuple(requests), tickets, tuple(raw.get("reply_contains", ())))


def _keys(raw: Any, allowed: set[str], where: str, *, required: set[str]) -> None:
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: expected a table, got {raw!r}")
    unknown, missing = set(raw) - allowed, required - set(raw)
    if unknown:
        raise CorpusError(f"{where}: unknown keys {sorted(unknown)}")
    if missing:
        raise CorpusError(f"{where}: missing keys {sorted(missing)}")


def _check_unique(conversations: list[Conversation]) -> None:
    ids: dict[str, str] = {}
    refs: dict[str, str] = {}
    for c in conversations:
        if c.id in ids:
            raise CorpusError(f"{c.source}: id {c.id} also in {ids[c.id]}")
        ids[c.id] = c.source
        for b in c.bookings:
            # One database serves the whole corpus: a reference names one booking in it.
            key = b.ref.upper()
            if key in refs:
                raise CorpusError(f"{c.source} {c.id}: booking {b.ref} also in {refs[key]}")
            refs[key] = c.id


def known_failures(path: Path = CORPUS / "known_failures.txt") -> set[str]:
    """Ids expected to fail on today's code: one a line, # comments and blank lines ignored."""
    if not path.exists():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {line for line in lines if line}
