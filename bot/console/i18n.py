"""The console's own language: Babel catalogs of the domain "console" (ja, en), separate from the
customers' "counselbot" texts.

Every page is rendered with the signed-in agent's `Translations` (their `console_locale`; before
sign-in the browser's Accept-Language, falling back to Japanese) — there is never a process-wide
locale. Templates call ``_("Text")`` / ``_("Hello %(name)s", name=x)`` and
``ngettext("%(num)d item", "%(num)d items", n, num=n)``; Python code marks a string with ``N_("Text",
**values)`` (or ``N_plural``) where it is made — a `Text` that reads as the English source and is
translated where it is shown: by ``_()``, by any ``{{ value }}`` of a template (the environment's
finalize), by `json_error`. console.js calls ``T("Text", {name: x})`` over the page's
``data-strings`` (the translations of the strings console.js uses, rendered into the page: the CSP
forbids inline script). Placeholders are ``%(name)s``; a literal percent sign in a string with values
is ``%%``. `python -m bot.console.catalogs update | fill FILE.json | check` maintains the catalogs.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import JST

HERE = Path(__file__).resolve().parent
LOCALES_DIR = HERE / "locales"
JS_FILE = HERE / "static" / "console.js"
DOMAIN = "console"
SUPPORTED = ("ja", "en")
DEFAULT_LOCALE = "ja"
# Each console language named in itself, for the account page's menu.
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}
JS_KEYWORD = "T"
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")

Translate = Callable[..., str]


class Text(str):
    """A console string marked for translation with its values; as a str it is the English source."""

    msgid: str
    plural: str | None
    n: int | None
    values: dict[str, Any]

    def __new__(
        cls, msgid: str, values: Mapping[str, Any], plural: str | None = None, n: int | None = None
    ) -> Text:
        source = plural if plural is not None and n != 1 else msgid
        self = super().__new__(cls, _format(source, dict(values)))
        self.msgid, self.plural, self.n, self.values = msgid, plural, n, dict(values)
        return self


def N_(message: str, /, **values: Any) -> Text:
    """Marks a console string for extraction; it is translated when shown, in the viewer's language."""
    return Text(message, values)


def N_plural(singular: str, plural: str, n: int, /, **values: Any) -> Text:
    """A console string with plural forms; ``%(n)d`` is the count unless values name it otherwise."""
    return Text(singular, {"n": n, **values}, plural, n)


def placeholders(text: str) -> set[str]:
    """The named placeholders of a %-format string (``%%`` is a literal percent sign, not one)."""
    return {m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1)}


def _format(text: str, values: dict[str, Any]) -> str:
    if not values:
        return text
    try:
        return text % values
    except (KeyError, ValueError, TypeError):
        return text


def normalize(tag: str | None) -> str | None:
    """ "ja-JP", "en_US", "EN" -> a console language, or None."""
    if not tag:
        return None
    base = tag.replace("_", "-").strip().lower().split("-")[0]
    return base if base in SUPPORTED else None


def negotiate(accept_language: str | None) -> str:
    """The console language for a browser's Accept-Language (before anyone is signed in); else ja."""
    weighted: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        found = normalize(tag)
        if found and q > 0:
            weighted.append((-q, i, found))
    return sorted(weighted)[0][2] if weighted else DEFAULT_LOCALE


@functools.cache
def load_catalog(locale: str) -> Catalog | None:
    path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return None
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN)


@functools.cache
def js_messages() -> tuple[str, ...]:
    """The msgids console.js uses (read from console.js itself, so a new T("…") needs nothing else)."""
    from babel.messages.extract import extract_javascript

    with JS_FILE.open("rb") as f:
        found = extract_javascript(f, {JS_KEYWORD: None}, [], {})
        first = (m if isinstance(m, str) else (m[0] if m else None) for _, _, m, _ in found)
        return tuple(sorted({m for m in first if isinstance(m, str)}))


@functools.cache
def _plural_rule(expr: str) -> Callable[[int], int]:
    return gettext.c2py(expr)


class Translations:
    """One agent's console language: ``_`` for a page, plurals, JST dates and times in its format."""

    def __init__(self, locale: str | None) -> None:
        self.locale = normalize(locale) or DEFAULT_LOCALE
        self.babel = Locale.parse(self.locale)
        self._catalog = load_catalog(self.locale)

    def lookup(self, msgid: str, plural: str | None = None, n: int | None = None) -> str:
        source = plural if plural is not None and n != 1 else msgid
        entry = self._catalog.get(msgid) if self._catalog is not None else None
        if entry is None or entry.fuzzy or not entry.string:
            return source
        if isinstance(entry.string, tuple | list):
            assert self._catalog is not None
            idx = int(_plural_rule(self._catalog.plural_expr)(n or 0)) if plural is not None else 0
            forms = entry.string
            return str(forms[min(idx, len(forms) - 1)] or source)
        return str(entry.string)

    def __call__(self, message: object, /, **values: Any) -> str:
        """``_``: a literal, a `Text` (its own values first) or anything else shown as it is."""
        if isinstance(message, Text):
            merged = {**message.values, **values}
            template = self.lookup(message.msgid, message.plural, message.n)
            source = message.plural if message.plural is not None and message.n != 1 else message.msgid
        elif isinstance(message, str):
            merged, template, source = dict(values), self.lookup(message), message
        else:
            return "" if message is None else str(message)
        return self._fill(template, source, merged)

    def ngettext(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        merged = {"n": n, "num": n, **values}
        return self._fill(self.lookup(singular, plural, n), plural if n != 1 else singular, merged)

    def _fill(self, template: str, source: str, values: dict[str, Any]) -> str:
        if not values:
            return template
        shown = {k: self(v) if isinstance(v, Text) else v for k, v in values.items()}
        try:
            return template % shown
        except (KeyError, ValueError, TypeError):
            # A broken translation must never break a page: the English source instead.
            return _format(source, shown)

    @functools.cached_property
    def _js_json(self) -> str:
        return json.dumps({m: self.lookup(m) for m in js_messages()}, ensure_ascii=False, sort_keys=True)

    def js_strings(self) -> str:
        """The JSON for the page's data-strings: what console.js shows, in this language (made once)."""
        return self._js_json

    def datetime(self, value: dt.datetime | None, precision: str = "minute") -> str:
        """An instant in JST in this language's format: minute (with the weekday), second, or time."""
        if value is None:
            return ""
        at = value.astimezone(JST)
        time = format_skeleton("Hms" if precision == "second" else "Hm", at, tzinfo=JST, locale=self.babel)
        if precision == "time":
            return f"{time} JST"
        day = format_skeleton(
            "yMMMd" if precision == "second" else "yMMMEd", at, tzinfo=JST, locale=self.babel
        )
        # The locale's own way of joining a date and a time ("{1} {0}" in Japanese, "{1}, {0}" in English).
        joined = str(self.babel.datetime_formats["medium"]).replace("{1}", day).replace("{0}", time)
        return f"{joined} JST"

    def date(self, value: dt.date | None) -> str:
        return "" if value is None else format_date(value, format="medium", locale=self.babel)


@functools.cache
def translations(locale: str | None) -> Translations:
    """The (immutable, shared) translations of one console language."""
    return Translations(locale)


def translator(locale: str | None) -> Translations:
    """``_(message, **values)`` for one agent's language (kept for the templates' first callers)."""
    return translations(normalize(locale) or DEFAULT_LOCALE)
