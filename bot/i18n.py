"""Per-conversation translation over Babel catalogs. There is no process-wide locale.

Source strings are English and marked with `msg(...)` / `msg_plural(...)`, which build `Msg` values;
`Translator.render(m)` looks the string up in the locale's catalog and formats the parameters for
that locale (yen through Babel, times in JST with the customer's zone beside them).
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, get_timezone_location
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_currency

JST = ZoneInfo("Asia/Tokyo")
# Inside the package, so the wheel carries them (the .po files are read directly: no compile step).
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "counselbot"
SUPPORTED = ("ja", "en", "zh_Hans", "zh_Hant", "ko", "th", "vi")
DEFAULT_LOCALE = "en"


@dataclass(frozen=True, slots=True)
class Yen:
    amount: int


@dataclass(frozen=True, slots=True)
class When:
    """An instant shown as JST date and time, with the customer's zone beside it when known."""

    at: dt.datetime
    date_only: bool = False


@dataclass(frozen=True, slots=True)
class Opening:
    """When the team opens: weekday, date and time in Japan, and the customer's own time beside it."""

    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Msg:
    """A translatable message: a source string (with optional plural and context) and its parameters."""

    text: str
    params: tuple[tuple[str, Any], ...] = ()
    plural: str | None = None
    n: int | None = None
    context: str | None = None

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.params)


def msg(text: str, /, **params: Any) -> Msg:
    return Msg(text, tuple(sorted(params.items())))


def msg_plural(singular: str, plural: str, n: int, /, **params: Any) -> Msg:
    return Msg(singular, tuple(sorted({"n": n, **params}.items())), plural=plural, n=n)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@functools.cache
def load_catalog(locale: str) -> Catalog | None:
    path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return None
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN)


def babel_locale(locale: str) -> Locale:
    return Locale.parse(locale.replace("-", "_"))


def normalize_locale(tag: str | None) -> str | None:
    """A platform language tag (en-US, zh-TW, zh-Hant, ja) -> one of SUPPORTED, or None if unsupported."""
    if not tag:
        return None
    t = tag.replace("_", "-").strip().lower()
    if t.startswith("zh"):
        if any(p in t for p in ("hant", "-tw", "-hk", "-mo")):
            return "zh_Hant"
        return "zh_Hans"
    base = t.split("-")[0]
    return base if base in SUPPORTED else None


@dataclass
class Translator:
    locale: str = DEFAULT_LOCALE
    customer_tz: str | None = None
    _catalog: Catalog | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        if self.locale not in SUPPORTED:
            self.locale = DEFAULT_LOCALE
        self._catalog = load_catalog(self.locale)

    def gettext(self, m: Msg) -> str:
        source = m.plural if (m.plural and m.n != 1) else m.text
        if self._catalog is None:
            return source
        entry = self._catalog.get(m.text, context=m.context)
        if entry is None or entry.fuzzy or not entry.string:
            return source
        if isinstance(entry.string, tuple):
            idx = _plural_index(self._catalog.plural_expr, m.n or 0)
            forms = entry.string
            translated = forms[idx] if idx < len(forms) else forms[-1]
            return translated or source
        return str(entry.string)

    def render(self, m: Msg) -> str:
        template = self.gettext(m)
        values = {k: self.format_value(v) for k, v in m.params}
        try:
            return template.format_map(_Strict(values))
        except (KeyError, IndexError, ValueError):
            # A broken translation must never break a reply: fall back to the source string.
            return (m.plural if (m.plural and m.n != 1) else m.text).format_map(_Strict(values))

    def format_value(self, value: Any) -> str:
        if isinstance(value, Msg):
            return self.render(value)
        if isinstance(value, Yen):
            return self.yen(value.amount)
        if isinstance(value, When):
            return self.when(value.at, date_only=value.date_only)
        if isinstance(value, Opening):
            return self.opening(value.at)
        if isinstance(value, dt.datetime):
            return self.when(value)
        if isinstance(value, dt.date):
            return self.date(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return self.number(value)
        return str(value)

    @property
    def babel(self) -> Locale:
        return babel_locale(self.locale)

    def number(self, n: int) -> str:
        from babel.numbers import format_decimal

        return format_decimal(n, locale=self.babel)

    def yen(self, amount: int) -> str:
        return format_currency(amount, "JPY", locale=self.babel)

    def date(self, d: dt.date) -> str:
        return format_date(d, format="medium", locale=self.babel)

    def when(self, at: dt.datetime, *, date_only: bool = False) -> str:
        """JST first; the customer's own zone beside it when known and different."""
        jst = at.astimezone(JST)
        if date_only:
            return self.date(jst.date())
        # Appointments are minute-precise: the locale's medium date and short time, no seconds.
        text = (
            f"{self.date(jst.date())} {format_time(jst, format='short', locale=self.babel, tzinfo=JST)} (JST)"
        )
        if self.customer_tz and self.customer_tz != "Asia/Tokyo":
            try:
                zone = ZoneInfo(self.customer_tz)
            except (KeyError, ValueError):
                return text
            local = at.astimezone(zone)
            text += f" / {format_time(local, format='short', locale=self.babel, tzinfo=zone)}"
            if local.date() != jst.date():
                text += f" {format_date(local.date(), format='short', locale=self.babel)}"
            # The zone's city in the customer's language ("Taipei", "台北", "ไทเป"), never "Asia/Taipei".
            text += f" ({get_timezone_location(zone, locale=self.babel, return_city=True)})"
        return text

    def opening(self, at: dt.datetime) -> str:
        """ "Monday, Dec 7, 9:00 AM Japan time (8:00 AM in Taipei)", in the customer's language."""
        jst = at.astimezone(JST)
        day = format_skeleton("MMMEEEEd", jst, locale=self.babel, tzinfo=JST)
        time = format_time(jst, format="short", locale=self.babel, tzinfo=JST)
        zone = _zone(self.customer_tz)
        if zone is None:
            return self.render(msg("{day}, {time} Japan time", day=day, time=time))
        local = at.astimezone(zone)
        local_time = format_time(local, format="short", locale=self.babel, tzinfo=zone)
        if local.date() != jst.date():
            local_time = f"{format_skeleton('MMMEd', local, locale=self.babel, tzinfo=zone)} {local_time}"
        city = get_timezone_location(zone, locale=self.babel, return_city=True)
        return self.render(
            msg(
                "{day}, {time} Japan time ({local} in {city})",
                day=day,
                time=time,
                local=local_time,
                city=city,
            )
        )


def _zone(name: str | None) -> ZoneInfo | None:
    """The customer's zone when known and not Japan's own."""
    if not name or name == "Asia/Tokyo":
        return None
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return None


@functools.cache
def _plural_rule(expr: str) -> Callable[[int], int]:
    return gettext.c2py(expr)


def _plural_index(expr: str, n: int) -> int:
    return int(_plural_rule(expr)(n))


class _Strict(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


def translator(locale: str | None, customer_tz: str | None = None) -> Translator:
    return Translator(locale or DEFAULT_LOCALE, customer_tz)


def available_locales() -> list[str]:
    return [loc for loc in SUPPORTED if (LOCALES_DIR / loc / "LC_MESSAGES" / f"{DOMAIN}.po").exists()]


def language_names() -> Mapping[str, str]:
    """Each supported language named in itself, for the language menu."""
    return {
        "ja": "日本語",
        "en": "English",
        "zh_Hans": "简体中文",
        "zh_Hant": "繁體中文",
        "ko": "한국어",
        "th": "ภาษาไทย",
        "vi": "Tiếng Việt",
    }
