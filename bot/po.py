"""The .po files of one gettext domain: read, write, merge a template in, fill, list what is to do,
and check. The customers' catalogs (`bot.catalogs`, `{name}` placeholders) and the console's
(`bot.console.catalogs`, `%(name)s`) differ only in what this takes as parameters."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def _always(_text: str, _names: set[str]) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class PoFiles:
    domain: str
    locales_dir: Path
    project: str
    # The named placeholders of a message, in the domain's format style.
    placeholders: Callable[[str], set[str]]
    # Placeholders a plural form may leave out (the count, said in words: "one day").
    countless: frozenset[str] = frozenset({"n"})
    # Whether a translation formats with these names (e.g. a lone % in a %-format string does not).
    formats: Callable[[str, set[str]], bool] = _always

    def po_path(self, locale: str) -> Path:
        return self.locales_dir / locale / "LC_MESSAGES" / f"{self.domain}.po"

    def read(self, locale: str) -> Catalog:
        path = self.po_path(locale)
        if not path.exists():
            return Catalog(locale=locale, domain=self.domain, project=self.project, fuzzy=False)
        with path.open("rb") as f:
            return read_po(f, locale=locale, domain=self.domain)

    def write(self, locale: str, catalog: Catalog) -> None:
        path = self.po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog.fuzzy = False
        with path.open("wb") as f:
            write_po(f, catalog, width=0, omit_header=False, sort_output=True, include_previous=False)

    def update(self, template: Catalog, locales: Iterable[str]) -> None:
        """Merge `template` into each locale: new entries empty, vanished ones removed, English
        filled with the source."""
        for locale in locales:
            catalog = self.read(locale)
            # update() adopts the template's Message objects: give each catalog its own copies.
            catalog.update(copy.deepcopy(template), no_fuzzy_matching=True, update_header_comment=False)
            catalog.obsolete.clear()
            if locale == "en":
                for m in catalog:
                    if m.id and not filled(m.string):
                        m.string = m.id if isinstance(m.id, str) else (m.id[0], m.id[1])
            self.write(locale, catalog)

    def fill(self, path: Path) -> int:
        """Translations from JSON {locale: {source: translation or [plural forms]}} (a plural's key
        is its singular; one string for a plural fills every form). Returns how many sources were
        not in the catalog."""
        data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        unknown = 0
        for locale, entries in data.items():
            catalog = self.read(locale)
            for source, translation in entries.items():
                entry = catalog.get(source)
                if entry is None:
                    unknown += 1
                    print(
                        f"{locale}: not in the catalog (run update first): {source[:60]!r}", file=sys.stderr
                    )
                    continue
                if isinstance(entry.id, tuple) and not isinstance(translation, list):
                    translation = [translation] * catalog.num_plurals
                entry.string = tuple(translation) if isinstance(translation, list) else translation
                entry.flags.discard("fuzzy")
            self.write(locale, catalog)
        return unknown

    def todo(self, locales: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Entries still empty or fuzzy, as `fill`'s JSON (plural entries as lists of the right length)."""
        out: dict[str, dict[str, Any]] = {}
        for locale in locales:
            catalog = self.read(locale)
            for m in catalog:
                if not m.id or (filled(m.string) and not m.fuzzy):
                    continue
                key = m.id if isinstance(m.id, str) else m.id[0]
                out.setdefault(locale, {})[key] = "" if isinstance(m.id, str) else [""] * catalog.num_plurals
        return out

    def problems(self, locale: str, template: Catalog) -> list[str]:
        """Every entry missing, fuzzy, empty, obsolete, or whose placeholders or plural forms differ."""
        if not self.po_path(locale).exists():
            return [f"{locale}: no catalog at {self.po_path(locale)}"]
        catalog = self.read(locale)
        found: list[str] = []
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
        for m in template:
            if not m.id:
                continue
            key = m.id if isinstance(m.id, str) else m.id[0]
            entry = catalog.get(key)
            label = f"{locale}: {key[:70]!r}"
            if entry is None:
                found.append(f"{label} missing")
                continue
            if entry.fuzzy:
                found.append(f"{label} fuzzy")
            if not filled(entry.string):
                found.append(f"{label} empty")
                continue
            found += self.placeholder_problems(label, m.id, entry.string, catalog.num_plurals, locale)
        for entry in catalog:
            key = entry.id if isinstance(entry.id, str) else (entry.id[0] if entry.id else "")
            if key and key not in wanted:
                found.append(f"{locale}: {key[:70]!r} obsolete (no longer in the code)")
        return found

    def placeholder_problems(
        self, label: str, msgid: Any, string: Any, nplurals: int, locale: str
    ) -> list[str]:
        plural = isinstance(msgid, tuple)
        names_of = self.placeholders
        expected = names_of(msgid[0]) | names_of(msgid[1]) if plural else names_of(msgid)
        forms = string if isinstance(string, tuple) else (string,)
        found = []
        if plural and len(forms) != nplurals:
            found.append(f"{label} has {len(forms)} plural forms, {locale} needs {nplurals}")
        for form in forms:
            names = names_of(str(form))
            # A plural form may leave the count out ("one" in words); every other value must be used.
            missing = expected - names - (self.countless if plural else set())
            if names - expected or missing:
                found.append(
                    f"{label} placeholders {sorted(names)} differ from the source's {sorted(expected)}"
                )
            if expected and not self.formats(str(form), expected):
                found.append(f"{label} does not format (a lone % must be written %%)")
        return found


def filled(value: object) -> bool:
    if isinstance(value, tuple | list):
        return bool(value) and all(bool(v) for v in value)
    return bool(value)
