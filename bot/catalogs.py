"""Catalog maintenance and checks: `python -m bot.catalogs update | fill FILE.json | check`.

`update` extracts every msg()/msg_plural() source string from bot/ and merges it into each locale's
counselbot.po (new entries empty, vanished ones removed; English filled with the source). `fill`
writes translations from a JSON file {locale: {source: translation or [plural forms]}}. `check`
lists every problem — missing, fuzzy, empty, obsolete, placeholder mismatch, wrong plural count —
and the test suite fails on any of them (pybabel's own --check trips over contexts, so it is ours).
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

from bot.i18n import DOMAIN, LOCALES_DIR, SUPPORTED, placeholders

ROOT = Path(__file__).resolve().parent
KEYWORDS: dict[str, Any] = {"msg": None, "msg_plural": (1, 2)}


def extract() -> Catalog:
    template = Catalog(domain=DOMAIN, project="counselbot", fuzzy=False)
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT,
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        template.add(message, locations=[(f"bot/{filename}", lineno)])
    return template


def po_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, domain=DOMAIN, project="counselbot", fuzzy=False)
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
                    m.string = m.id if isinstance(m.id, str) else tuple(m.id)[: catalog.num_plurals]
                    if isinstance(m.id, tuple) and catalog.num_plurals == 2:
                        m.string = (m.id[0], m.id[1])
        write(locale, catalog)


def fill(path: Path) -> None:
    data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    for locale, entries in data.items():
        catalog = read(locale)
        for source, translation in entries.items():
            entry = catalog.get(source)
            if entry is None:
                print(f"{locale}: not in the catalog (run update first): {source[:60]!r}", file=sys.stderr)
                continue
            entry.string = tuple(translation) if isinstance(translation, list) else translation
            entry.flags.discard("fuzzy")
        write(locale, catalog)


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
        source_names = placeholders(key) | (placeholders(m.id[1]) if isinstance(m.id, tuple) else set())
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if isinstance(m.id, tuple) and len(forms) != catalog.num_plurals:
            found.append(f"{label} has {len(forms)} plural forms, {locale} needs {catalog.num_plurals}")
        for form in forms:
            names = placeholders(str(form))
            expected = source_names
            missing_names = expected - names - ({"n"} if isinstance(m.id, tuple) else set())
            if names - expected or missing_names:
                found.append(
                    f"{label} placeholders {sorted(names)} differ from the source's {sorted(expected)}"
                )
    for entry in catalog:
        key = entry.id if isinstance(entry.id, str) else (entry.id[0] if entry.id else "")
        if key and key not in wanted:
            found.append(f"{locale}: {key[:70]!r} obsolete (no longer in the code)")
    return found


def _filled(value: object) -> bool:
    if isinstance(value, tuple | list):
        return bool(value) and all(bool(v) for v in value)
    return bool(value)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("update", "fill", "check"):
        print(__doc__)
        return 2
    locales = [loc for loc in SUPPORTED if po_path(loc).exists()] or ["en", "ja"]
    if argv[0] == "update":
        update(argv[1:] or locales)
    elif argv[0] == "fill":
        fill(Path(argv[1]))
    else:
        template = extract()
        issues = [p for loc in (argv[1:] or locales) for p in problems(loc, template)]
        print("\n".join(issues) or "catalogs complete")
        return 1 if issues else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
