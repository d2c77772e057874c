"""The console's catalogs: `python -m bot.console.catalogs update | fill FILE.json | check`.

`update` extracts every console string — ``_()``/``ngettext()`` in bot/console/templates/*.html (Jinja's
Babel extractor), ``N_()``/``N_plural()`` in bot/console/**.py, ``T()`` in static/console.js — and merges
it into each locale's console.po (new entries empty, vanished ones removed; English filled with the
source). `fill` writes translations from a JSON file {locale: {source: translation or [plural forms]}}
(a plural's key is its singular). `check` lists every problem — missing, fuzzy, empty, obsolete,
placeholder mismatch, wrong plural count — and the test suite fails on any of them. `todo` prints the
entries still to translate as the JSON `fill` takes, so a new string costs one edit of that file.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.console.i18n import DOMAIN, HERE, JS_KEYWORD, LOCALES_DIR, SUPPORTED, placeholders

KEYWORDS: dict[str, Any] = {
    "N_": None,
    "N_plural": (1, 2),
    "_": None,
    "ngettext": (1, 2),
    JS_KEYWORD: None,
}
METHODS = [
    ("templates/**.html", "jinja2.ext:babel_extract"),
    ("static/**.js", "javascript"),
    ("locales/**", "ignore"),
    ("**.py", "python"),
]
OPTIONS = {"templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}}


def extract() -> Catalog:
    template = Catalog(domain=DOMAIN, project="counselbot console", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        HERE,
        method_map=METHODS,
        options_map=OPTIONS,
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        flags = ("python-format",) if _has_values(message) else ()
        template.add(
            message,
            locations=[(f"bot/console/{filename}", lineno)],
            auto_comments=comments,
            context=context,
            flags=flags,
        )
    return template


def _has_values(message: str | tuple[str, ...]) -> bool:
    texts = (message,) if isinstance(message, str) else message
    return any(placeholders(t) for t in texts if t)


def po_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, domain=DOMAIN, project="counselbot console", fuzzy=False)
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN)


def write(locale: str, catalog: Catalog) -> None:
    path = po_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.fuzzy = False
    with path.open("wb") as f:
        write_po(f, catalog, width=0, omit_header=False, sort_output=True, include_previous=False)


def update(locales: Iterable[str]) -> None:
    template = extract()
    for locale in locales:
        catalog = read(locale)
        # update() adopts the template's Message objects: give each catalog its own copies.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True, update_header_comment=False)
        catalog.obsolete.clear()
        if locale == "en":
            for m in catalog:
                if m.id and not _filled(m.string):
                    m.string = m.id if isinstance(m.id, str) else (m.id[0], m.id[1])
        write(locale, catalog)


def fill(path: Path) -> int:
    data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    unknown = 0
    for locale, entries in data.items():
        catalog = read(locale)
        for source, translation in entries.items():
            entry = catalog.get(source)
            if entry is None:
                unknown += 1
                print(f"{locale}: not in the catalog (run update first): {source[:60]!r}", file=sys.stderr)
                continue
            if isinstance(entry.id, tuple) and not isinstance(translation, list):
                translation = [translation] * catalog.num_plurals
            entry.string = tuple(translation) if isinstance(translation, list) else translation
            entry.flags.discard("fuzzy")
        write(locale, catalog)
    return 1 if unknown else 0


def todo(locales: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Entries still empty or fuzzy, as `fill`'s JSON (plural entries as lists of the right length)."""
    out: dict[str, dict[str, Any]] = {}
    for locale in locales:
        catalog = read(locale)
        for m in catalog:
            if not m.id or (_filled(m.string) and not m.fuzzy):
                continue
            key = m.id if isinstance(m.id, str) else m.id[0]
            out.setdefault(locale, {})[key] = "" if isinstance(m.id, str) else [""] * catalog.num_plurals
    return out


def problems(locale: str, template: Catalog | None = None) -> list[str]:
    template = template or extract()
    if not po_path(locale).exists():
        return [f"{locale}: no catalog at {po_path(locale)}"]
    catalog = read(locale)
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
        if not _filled(entry.string):
            found.append(f"{label} empty")
            continue
        found += _placeholder_problems(label, m.id, entry.string, catalog.num_plurals, locale)
    for entry in catalog:
        key = entry.id if isinstance(entry.id, str) else (entry.id[0] if entry.id else "")
        if key and key not in wanted:
            found.append(f"{locale}: {key[:70]!r} obsolete (no longer in the code)")
    return found


def _placeholder_problems(label: str, msgid: Any, string: Any, nplurals: int, locale: str) -> list[str]:
    plural = isinstance(msgid, tuple)
    expected = placeholders(msgid[0]) | placeholders(msgid[1]) if plural else placeholders(msgid)
    forms = string if isinstance(string, tuple) else (string,)
    found = []
    if plural and len(forms) != nplurals:
        found.append(f"{label} has {len(forms)} plural forms, {locale} needs {nplurals}")
    for form in forms:
        names = placeholders(str(form))
        # A plural form may leave the count out ("one" in words); every other value must be used.
        missing = expected - names - ({"n", "num"} if plural else set())
        if names - expected or missing:
            found.append(f"{label} placeholders {sorted(names)} differ from the source's {sorted(expected)}")
        if expected and not _formats(str(form), expected):
            found.append(f"{label} does not format (a lone % must be written %%)")
    return found


def _formats(text: str, names: set[str]) -> bool:
    try:
        text % dict.fromkeys(names, 1)
    except (KeyError, ValueError, TypeError):
        return False
    return True


def _filled(value: object) -> bool:
    if isinstance(value, tuple | list):
        return bool(value) and all(bool(v) for v in value)
    return bool(value)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("update", "fill", "check", "todo"):
        print(__doc__)
        return 2
    locales = list(argv[1:] or SUPPORTED)
    if argv[0] == "update":
        update(locales)
    elif argv[0] == "fill":
        return fill(Path(argv[1]))
    elif argv[0] == "todo":
        print(json.dumps(todo(locales), ensure_ascii=False, indent=2))
    else:
        template = extract()
        issues = [p for loc in locales for p in problems(loc, template)]
        print("\n".join(issues) or "console catalogs complete")
        return 1 if issues else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
