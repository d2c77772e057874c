"""Catalog maintenance and checks: `python -m bot.catalogs update | fill FILE.json | check`.

`update` extracts every msg()/msg_plural() source string from bot/ and merges it into each locale's
counselbot.po (new entries empty, vanished ones removed; English filled with the source). `fill`
writes translations from a JSON file {locale: {source: translation or [plural forms]}}. `check`
lists every problem — missing, fuzzy, empty, obsolete, placeholder mismatch, wrong plural count —
and the test suite fails on any of them (pybabel's own --check trips over contexts, so it is ours).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

from bot.i18n import DOMAIN, LOCALES_DIR, SUPPORTED, placeholders
from bot.po import PoFiles

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


def _files() -> PoFiles:
    return PoFiles(DOMAIN, LOCALES_DIR, "counselbot", placeholders)


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


def problems(locale: str, template: Catalog | None = None) -> list[str]:
    return _files().problems(locale, template or extract())


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
