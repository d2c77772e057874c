"""Cards: the fee explanation and the change summary as LINE Flex bubbles, checked against the Flex
schema (line-bot-sdk's models, round trip) and LINE's documented limits, in every language; the same
content as text on the channels without cards."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot import policy
from bot.dialogs.booking_change import time_label
from bot.dialogs.cancellation import explanation
from bot.dialogs.cards import change_card, fee_card
from bot.handlers.line.render import render as line_render
from bot.handlers.telegram.render import parts
from bot.i18n import SUPPORTED, Translator, msg
from bot.rendering import render as engine_render
from bot.replies import Rendered
from tests.dialogs.support import NOW, bk
from tests.fakes.line_flex import check_flex
from tests.test_line_cancellation import card_texts


def _fee_rendered(locale: str, days: int = 2, fee: int | None = 120_000) -> Rendered:
    b = bk("surgery", days, fee=fee, id=7, reference="BK-0007")
    cost = policy.cancellation_fee(b.service_at, NOW, b.fee_total_jpy or 0)
    return engine_render(fee_card(b, cost, explanation(b, cost)), Translator(locale, "Asia/Bangkok"), "")


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("days", [0, 2, 10])
def test_the_fee_card_is_a_valid_flex_bubble_with_the_same_content_as_the_text(
    locale: str, days: int
) -> None:
    r = _fee_rendered(locale, days)
    [message] = line_render(r)
    payload: dict[str, Any] = message.to_dict()
    assert payload["type"] == "flex" and check_flex(payload) == ""
    assert payload["altText"] == r.text
    shown = card_texts(payload)
    tr = Translator(locale, "Asia/Bangkok")
    when = tr.when(bk("surgery", days, id=7).service_at)
    assert when in shown and "(JST)" in when and when in r.text, "JST and the customer's zone, both places"
    assert "BK-0007" in " ".join(shown) and "BK-0007" in r.text
    amount = shown[-1]
    assert amount in r.text, "the amount on the card is the amount in the text"
    # Telegram, the web chat and the terminal show the text itself.
    assert [p.text for p in parts(r)] == [r.text]


@pytest.mark.parametrize("locale", SUPPORTED)
def test_the_change_summary_card_is_valid_in_every_language(locale: str) -> None:
    b = bk("treatment", 12, id=3, reference="BK-0003")
    day = dt.date(2026, 4, 2)
    text = msg("Your change request: {booking}, new date {dates}, {time}.", booking="x", dates=day, time="y")
    r = engine_render(change_card(b, day, time_label("morning"), text), Translator(locale), "")
    [message] = line_render(r)
    payload = message.to_dict()
    assert check_flex(payload) == ""
    assert Translator(locale).date(day) in card_texts(payload)


def test_an_unknown_fee_total_still_renders_a_valid_card() -> None:
    r = _fee_rendered("ja", 2, fee=None)
    payload = line_render(r)[0].to_dict()
    assert check_flex(payload) == "" and "担当者が確認します" in card_texts(payload)


def test_the_checker_refuses_what_line_refuses() -> None:
    good: dict[str, Any] = line_render(_fee_rendered("en"))[0].to_dict()
    assert check_flex(good) == ""
    long_alt = {**good, "altText": "x" * 1501}
    assert "altText" in check_flex(long_alt)
    empty_text = {
        **good,
        "contents": {
            **good["contents"],
            "header": {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": ""}]},
        },
    }
    assert "text" in check_flex(empty_text)
    no_layout = {**good, "contents": {**good["contents"], "body": {"type": "box", "contents": []}}}
    assert "layout" in check_flex(no_layout)
    carousel = {**good, "contents": {"type": "carousel", "contents": [good["contents"]] * 13}}
    assert "12" in check_flex(carousel)
    huge = {
        **good,
        "contents": {
            **good["contents"],
            "body": {
                "type": "box",
                "layout": "vertical",
                "contents": [{"type": "text", "text": "y" * 31_000}],
            },
        },
    }
    assert "30 KB" in check_flex(huge)
