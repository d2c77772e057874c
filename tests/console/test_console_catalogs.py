"""The console's own catalogs (domain "console"): complete in ja and en, per agent, never process-wide."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.console import catalogs
from bot.console.i18n import (
    DOMAIN,
    N_,
    SUPPORTED,
    N_plural,
    js_messages,
    negotiate,
    placeholders,
    translator,
)


@pytest.mark.parametrize("locale", SUPPORTED)
def test_console_catalog_is_complete(locale: str) -> None:
    # Missing, empty, fuzzy, obsolete, placeholder or plural-count problems: each one listed.
    assert catalogs.problems(locale, catalogs.extract()) == []


def test_the_console_domain_is_not_the_customers() -> None:
    from bot import catalogs as customer_catalogs

    assert DOMAIN == "console" and catalogs.po_path("ja") != customer_catalogs.po_path("ja")
    console_ids = {m.id for m in catalogs.extract() if m.id}
    customer_ids = {m.id for m in customer_catalogs.extract() if m.id}
    assert "Claim" in console_ids and "Claim" not in customer_ids


def test_extraction_finds_templates_python_and_console_js() -> None:
    found = {
        (m.id if isinstance(m.id, str) else m.id[0]): {path for path, _ in m.locations}
        for m in catalogs.extract()
        if m.id
    }
    assert "bot/console/templates/queue.html" in found["No one is waiting."]
    assert "bot/console/auth.py" in found["Wrong e-mail or password."]
    assert "bot/console/static/console.js" in found["reconnecting…"]
    assert (
        "bot/console/account_lockout.py"
        in found["Too many failed sign-ins. Please wait %(n)d minute and try again."]
    )


def test_two_agents_read_the_same_page_each_in_their_language() -> None:
    ja, en = translator("ja"), translator("en")
    assert ja("Queue") == "キュー" and en("Queue") == "Queue"
    # A string marked in Python carries its values and is translated where it is shown.
    claimed = N_("Already claimed by %(name)s.", name="Ann")
    assert claimed == "Already claimed by Ann."  # as a str: the English source
    assert ja(claimed) == "Annさんが既に担当しています。" and en(claimed) == "Already claimed by Ann."
    # A value that is itself marked is translated too.
    nested = N_("Already claimed by %(name)s.", name=N_("another agent"))
    assert ja(nested) == "他の担当者さんが既に担当しています。"


def test_plurals_and_unknown_or_missing_languages() -> None:
    wait = N_plural(
        "Too many failed sign-ins. Please wait %(n)d minute and try again.",
        "Too many failed sign-ins. Please wait %(n)d minutes and try again.",
        3,
    )
    assert translator("en")(wait) == "Too many failed sign-ins. Please wait 3 minutes and try again."
    assert (
        translator("ja")(wait)
        == "サインインの失敗が続いています。3分ほど待ってから、もう一度お試しください。"
    )
    one = N_plural("none (%(n)d day before)", "none (%(n)d days before)", 1)
    assert translator("en")(one) == "none (1 day before)"
    assert translator(None)("Queue") == "キュー"  # the default is Japanese
    assert translator("xx")("Queue") == "キュー"
    assert translator("ja")("Not a console string") == "Not a console string"


def test_a_broken_value_falls_back_instead_of_breaking_the_page() -> None:
    assert translator("ja")("Ticket #%(id)s", wrong=1) == "Ticket #%(id)s"


def test_accept_language_picks_the_console_language_before_sign_in() -> None:
    assert negotiate(None) == "ja"
    assert negotiate("en-US,en;q=0.9") == "en"
    assert negotiate("ko-KR,ko;q=0.9,en;q=0.5,ja;q=0.8") == "ja"
    assert negotiate("zh-TW,zh;q=0.9,en;q=0.4") == "en"
    assert negotiate("th, vi;q=0.5") == "ja"
    assert negotiate("en;q=0, ja;q=0") == "ja"


def test_console_js_gets_its_strings_in_the_agents_language() -> None:
    assert "reconnecting…" in js_messages() and "Claim" in js_messages()
    strings = json.loads(translator("ja").js_strings())
    assert strings["reconnecting…"] == "再接続中…"
    assert strings["claimed by %(name)s"] == "%(name)sさんが対応中"
    assert set(strings) == set(js_messages())  # only what console.js uses, nothing else


def test_jst_in_the_agents_locale_format() -> None:
    at = dt.datetime(2026, 12, 1, 7, 30, 5, tzinfo=dt.UTC)  # 16:30:05 in Tokyo
    assert translator("ja").datetime(at) == "2026年12月1日(火) 16:30 JST"
    assert translator("en").datetime(at) == "Tue, Dec 1, 2026, 16:30 JST"
    assert translator("ja").datetime(at, "second") == "2026年12月1日 16:30:05 JST"
    assert translator("en").datetime(at, "time") == "16:30 JST"


def test_the_check_catches_what_a_translator_can_get_wrong() -> None:
    def check(msgid: object, string: object, nplurals: int = 1) -> list[str]:
        return catalogs._placeholder_problems("ja: x", msgid, string, nplurals, "ja")

    assert check("Ticket #%(id)s", "チケット #%(id)s") == []
    assert check("Ticket #%(id)s", "チケット") != []  # a value lost
    assert check("Ticket #%(id)s", "チケット #%(num)s") != []  # a value renamed
    assert check("%(fee)s (%(rate)s%%)", "%(fee)s（%(rate)s%）") != []  # a lone % does not format
    assert check(("%(n)d day", "%(n)d days"), ("%(n)d日", "%(n)d日")) != []  # ja has one form
    assert placeholders("50%% of %(total)s") == {"total"}


def test_fill_and_todo_round_trip(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    monkeypatch.setattr(catalogs, "LOCALES_DIR", root)
    catalogs.update(["ja", "en"])
    todo = catalogs.todo(["ja", "en"])
    assert "en" not in todo  # English is the source
    assert todo["ja"]["Queue"] == "" and todo["ja"]["none (%(n)d day before)"] == [""]
    answer = root / "ja.json"
    answer.write_text(json.dumps({"ja": {"Queue": "キュー", "Not in the code": "x"}}), encoding="utf-8")
    assert catalogs.fill(answer) == 1  # an unknown source string is reported
    after = catalogs.todo(["ja"])["ja"]
    assert "Queue" not in after and len(after) == len(todo["ja"]) - 1
