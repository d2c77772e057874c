"""A rendered card -> a LINE Flex message: one bubble, the title in the header, a row per fact.

LINE's limits (Messaging API reference, "Flex Message"): altText at most 1500 characters (shown in
notifications and the chat list, so it is the card's own prose, clipped); a bubble's JSON at most
30 KB — a card is a dozen short rows, far below; text components never empty.
"""

from __future__ import annotations

from typing import Any

from linebot.v3.messaging import FlexMessage

from bot.replies import Rendered

MAX_ALT_TEXT = 1500
ACCENT = "#0E639C"
MUTED = "#6B7785"


def flex(r: Rendered) -> FlexMessage:
    card = r.extra.get("card") or {}
    rows = [_row(str(label), str(value)) for label, value in card.get("rows", ())]
    bubble: dict[str, Any] = {
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {
                    "type": "text",
                    "text": _nonempty(card.get("title")),
                    "weight": "bold",
                    "color": ACCENT,
                    "size": "lg",
                    "wrap": True,
                }
            ],
        },
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": rows or [_text(r.text)]},
    }
    return FlexMessage.from_dict({"type": "flex", "altText": alt_text(r.text), "contents": bubble})


def alt_text(text: str) -> str:
    text = text.strip() or "…"
    return text if len(text) <= MAX_ALT_TEXT else text[: MAX_ALT_TEXT - 1].rstrip() + "…"


def _row(label: str, value: str) -> dict[str, Any]:
    return {
        "type": "box",
        "layout": "horizontal",
        "spacing": "md",
        "contents": [
            {"type": "text", "text": _nonempty(label), "size": "sm", "color": MUTED, "flex": 2, "wrap": True},
            {
                "type": "text",
                "text": _nonempty(value),
                "size": "sm",
                "flex": 4,
                "wrap": True,
                "weight": "bold",
            },
        ],
    }


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": _nonempty(text), "wrap": True}


def _nonempty(value: Any) -> str:
    """LINE refuses an empty text component."""
    text = "" if value is None else str(value).strip()
    return text or "…"
