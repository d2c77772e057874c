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

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

from bot.console.i18n import DOMAIN, HERE, JS_KEYWORD, LOCALES_DIR, SUPPORTED, placeholders
from bot.po import PoFiles

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


def _files() -> PoFiles:
    # LOCALES_DIR read at each call: a test points it at a directory of its own.
    return PoFiles(DOMAIN, LOCALES_DIR, "counselbot console", placeholders, frozenset({"n", "num"}), _formats)


def po_path(locale: str) -> Path:
    return _files().po_path(locale)


def read(locale: str) -> Catalog:
    return _files().read(locale)


def write(locale: str, catalog: Catalog) -> None:
    _files().write(locale, catalog)


def update(locales: Iterable[str]) -> None:
    _files().update(extract(), locales)


def fill(path: Path) -> int:
    return _files().fill(path)


def todo(locales: Iterable[str]) -> dict[str, dict[str, Any]]:
    return _files().todo(locales)


def problems(locale: str, template: Catalog | None = None) -> list[str]:
    return _files().problems(locale, template or extract())


def _placeholder_problems(label: str, msgid: Any, string: Any, nplurals: int, locale: str) -> list[str]:
    return _files().placeholder_problems(label, msgid, string, nplurals, locale)


def _formats(text: str, names: set[str]) -> bool:
    try:
        text % dict.fromkeys(names, 1)
    except (KeyError, ValueError, TypeError):
        return False
    return True


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
