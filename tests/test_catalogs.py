"""Every catalog complete: no missing, fuzzy, empty or obsolete entry; placeholders as in the source."""

from __future__ import annotations

import pytest

from bot.catalogs import extract, po_path, problems
from bot.i18n import SUPPORTED, Translator, msg, msg_plural

REQUIRED = ("en", "ja")
PRESENT = [loc for loc in SUPPORTED if po_path(loc).exists()]


@pytest.mark.parametrize("locale", sorted(set(REQUIRED) | set(PRESENT)))
def test_catalog_is_complete(locale: str) -> None:
    assert problems(locale, extract()) == []


def test_translator_is_per_conversation_not_process_wide() -> None:
    ja, en = Translator("ja"), Translator("en")
    assert ja.render(msg("Talk to a person")) == "担当者と話す"
    assert en.render(msg("Talk to a person")) == "Talk to a person"


def test_unknown_locale_falls_back_to_english() -> None:
    assert Translator("xx").render(msg("Talk to a person")) == "Talk to a person"


def test_placeholders_are_formatted_for_the_locale() -> None:
    from bot.i18n import Yen

    assert Translator("en").render(msg("{amount} due", amount=Yen(20000))) == "¥20,000 due"
    assert Translator("ja").render(msg("{amount} due", amount=Yen(20000))) == "￥20,000 due"
    assert Translator("en").render(msg_plural("{n} day", "{n} days", 3)) == "3 days"
