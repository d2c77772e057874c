"""Flex message checks for the fake LINE API and the tests: LINE's documented limits plus the SDK's schema.

From the Messaging API reference ("Flex Message", "Flex Message elements"): altText 1..1500
characters; the container a bubble or a carousel of at most 12 bubbles; a bubble's JSON at most 30 KB
(a carousel's 50 KB); every box has a layout (horizontal, vertical, baseline) and contents; a text
component has a non-empty text; a button has an action. The schema part is line-bot-sdk's own models:
`FlexMessage.from_dict` must accept the message and give back the same dict.
"""

from __future__ import annotations

import json
from typing import Any

from linebot.v3.messaging import FlexMessage

LAYOUTS = ("horizontal", "vertical", "baseline")
COMPONENTS = ("box", "text", "button", "separator", "image", "icon", "span", "filler", "video")


def check_flex(message: dict[str, Any]) -> str:
    alt = message.get("altText")
    if not isinstance(alt, str) or not 1 <= len(alt) <= 1500:
        return "altText: 1 to 1500 characters"
    contents = message.get("contents")
    if not isinstance(contents, dict):
        return "contents: a bubble or a carousel"
    size = len(json.dumps(contents, ensure_ascii=False, separators=(",", ":")).encode())
    if contents.get("type") == "carousel":
        bubbles = contents.get("contents")
        if not isinstance(bubbles, list) or not 1 <= len(bubbles) <= 12:
            return "carousel: 1 to 12 bubbles"
        if size > 50_000:
            return "carousel: at most 50 KB"
        for bubble in bubbles:
            problem = _bubble(bubble)
            if problem:
                return problem
    elif contents.get("type") == "bubble":
        if size > 30_000:
            return "bubble: at most 30 KB"
        problem = _bubble(contents)
        if problem:
            return problem
    else:
        return "contents.type: bubble or carousel"
    try:
        again = FlexMessage.from_dict(message).to_dict()
    except Exception as exc:  # the SDK's schema refused it
        return f"flex schema: {exc}"
    if again != message:
        return "flex schema: the SDK's round trip changed the message"
    return ""


def _bubble(bubble: Any) -> str:
    if not isinstance(bubble, dict) or bubble.get("type") != "bubble":
        return "bubble expected"
    for block in ("header", "hero", "body", "footer"):
        if block in bubble:
            problem = _component(bubble[block])
            if problem:
                return f"{block}: {problem}"
    return ""


def _component(c: Any) -> str:
    if not isinstance(c, dict) or c.get("type") not in COMPONENTS:
        return "unknown component"
    if c["type"] == "box":
        if c.get("layout") not in LAYOUTS:
            return "box.layout: horizontal, vertical or baseline"
        if not isinstance(c.get("contents"), list):
            return "box.contents: required"
        for child in c["contents"]:
            problem = _component(child)
            if problem:
                return problem
    if c["type"] == "text" and not (isinstance(c.get("text"), str) and c["text"]) and not c.get("contents"):
        return "text.text: required, not empty"
    if c["type"] == "button" and not isinstance(c.get("action"), dict):
        return "button.action: required"
    return ""
