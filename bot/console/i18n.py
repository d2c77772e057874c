"""The console's own language (a separate catalog domain from the customers' texts).

Templates call ``_("Text")`` (injected per render, bound to the signed-in agent's language, never a
process-wide locale); Python code marks console strings with ``N_("Text")`` where they are defined and
they are translated where they are shown. Until the console catalogs exist this is English as written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Translate = Callable[..., str]


def N_(message: str) -> str:
    """Marks a console string for extraction; it is translated when shown."""
    return message


def translator(locale: str | None) -> Translate:
    """``_(message, **values)`` for one agent's language: ``%(name)s`` placeholders filled from values."""

    def translate(message: str, **values: Any) -> str:
        return message % values if values else message

    return translate
