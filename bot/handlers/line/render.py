"""Rendered replies -> LINE message objects (SDK models), packed into requests of at most 5.

LINE's limits: 5 messages per reply/push, 5000 characters per text message, 13 quick-reply buttons,
20 characters per button label, 300 characters of postback data. Quick replies only show on the
last message the customer received, so they go on the last message of each rendered part.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from linebot.v3.messaging import (
    DatetimePickerAction,
    ImageMessage,
    Message,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from bot.handlers.line.flex import flex
from bot.handlers.line.webhook import choice_data, date_data
from bot.handlers.line.wire import as_wire
from bot.i18n import JST
from bot.replies import Rendered, RenderedOption

MAX_MESSAGES = 5
MAX_TEXT = 5000
MAX_QUICK_REPLIES = 13
MAX_LABEL = 20
MAX_DISPLAY_TEXT = 300
# Language-neutral: the sender has no locale, and the prompt above the button says what it is for.
DATE_PICKER_LABEL = "📅"

M = TypeVar("M")


_Plan = tuple[tuple[str, bool, Any], ...]
_PLANS: dict[type, _Plan | None] = {}
_IMMUTABLE = (str, int, float, bool, type(None))


def _built(cls: type[M], **fields: Any) -> M:
    """An SDK model without pydantic's validation: every value here is ours and already of its type,
    and validating the 18 models of a menu cost more than sending it (tests/test_line_render.py
    checks each kind against the validated model).

    What pydantic's `construct` does, with each class's defaults read once: `construct` deep-copies
    every default of every model it builds, and a menu builds 18 (all their defaults are constants).
    """
    plan = _PLANS.get(cls, ())
    if plan == ():
        plan = _PLANS[cls] = _plan(cls)
    if plan is None:
        return cls.construct(**fields)  # type: ignore[attr-defined,no-any-return]
    values: dict[str, Any] = {}
    for name, has_default, default in plan:
        if name in fields:
            values[name] = fields[name]
        elif has_default:
            values[name] = default
    values.update(fields)
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__fields_set__", set(fields))
    return model


def _plan(cls: type) -> _Plan | None:
    """Each field with its default, or None when `construct` must build it (a mutable default,
    private attributes)."""
    if getattr(cls, "__private_attributes__", None):
        return None
    plan: list[tuple[str, bool, Any]] = []
    for name, field in cls.__fields__.items():  # type: ignore[attr-defined]
        if field.required:  # (fields are given by name here, never by alias)
            plan.append((name, False, None))
        elif isinstance(field.default, _IMMUTABLE) and field.default_factory is None:
            plan.append((name, True, field.default))
        else:
            return None
    return tuple(plan)


@dataclass(frozen=True, slots=True)
class Batch:
    """One API request: `messages` (as LINE's JSON) cover rendered parts [first_part, parts_after)
    (or a slice of one)."""

    first_part: int
    sub: int
    parts_after: int
    messages: tuple[dict[str, Any], ...]

    def retry_key(self, idempotency_key: str) -> str:
        """X-Line-Retry-Key: the outbox row's own key for its first request, derived ones after it.

        Deterministic, so a retried request carries the same key and LINE answers 409 if it had
        already accepted it. Batches start on part boundaries, so a resume packs them identically.
        """
        try:
            base = uuid.UUID(idempotency_key)
        except ValueError:
            base = uuid.uuid5(uuid.NAMESPACE_URL, "counselbot:" + idempotency_key)
        if self.first_part == 0 and self.sub == 0:
            return str(base)
        return str(uuid.uuid5(base, f"line:{self.first_part}:{self.sub}"))


def batches(parts: Sequence[Rendered], start: int = 0) -> list[Batch]:
    """Requests for parts[start:], whole parts packed greedily, an oversized part split across requests."""
    out: list[Batch] = []
    pending: list[dict[str, Any]] = []
    pending_first = start
    for index in range(start, len(parts)):
        rendered = render_wire(parts[index])
        if len(rendered) > MAX_MESSAGES:
            if pending:
                out.append(Batch(pending_first, 0, index, tuple(pending)))
                pending = []
            chunks = [rendered[i : i + MAX_MESSAGES] for i in range(0, len(rendered), MAX_MESSAGES)]
            for sub, chunk in enumerate(chunks):
                done = index + 1 if sub == len(chunks) - 1 else index
                out.append(Batch(index, sub, done, tuple(chunk)))
            pending_first = index + 1
            continue
        if len(pending) + len(rendered) > MAX_MESSAGES:
            out.append(Batch(pending_first, 0, index, tuple(pending)))
            pending, pending_first = [], index
        pending.extend(rendered)
    if pending:
        out.append(Batch(pending_first, 0, len(parts), tuple(pending)))
    return out


def render(r: Rendered) -> list[Message]:
    """One rendered reply as LINE messages (several when its text is longer than LINE allows)."""
    if r.kind == "card" and r.extra.get("card"):
        return [flex(r)]
    items: list[QuickReplyItem] = []
    text = r.text
    if r.kind == "file":
        return _file(r)
    if r.kind == "choices" and r.options:
        if len(r.options) > MAX_QUICK_REPLIES:
            # Too many for buttons: the customer answers with the number (or the words).
            text = r.as_numbered_text()
        else:
            text, items = _choice_buttons(r, list(r.options))
    elif r.kind == "date_picker":
        picker = _built(
            DatetimePickerAction,
            label=DATE_PICKER_LABEL,
            data=date_data(r.token),
            mode="date",
            initial=_initial(r.min_date, r.max_date),
            min=r.min_date,
            max=r.max_date,
        )
        items = [_built(QuickReplyItem, action=picker)]
        if r.options:
            extra = list(r.options)[: MAX_QUICK_REPLIES - 1]
            text, more = _choice_buttons(r, extra)
            items.extend(more)
    chunks = split_text(text or "…")
    messages: list[Message] = [_built(TextMessage, text=chunk) for chunk in chunks[:-1]]
    last = _built(
        TextMessage, text=chunks[-1], quick_reply=_built(QuickReply, items=items) if items else None
    )
    messages.append(last)
    return messages


def _file(r: Rendered) -> list[Message]:
    """An agent's file: a photo as an image message, anything else (LINE bots cannot send documents)
    as its name and a link. The URLs are signed and expiring (LineSender adds them before rendering)."""
    url, preview = r.extra.get("url"), r.extra.get("preview")
    if r.extra.get("kind") == "image" and isinstance(url, str) and isinstance(preview, str):
        return [ImageMessage(original_content_url=url, preview_image_url=preview)]
    return [TextMessage(text=_clip(f"📄 {r.text}\n{url or ''}".strip(), MAX_TEXT))]


def _initial(low: str | None, high: str | None) -> str:
    """Where the picker opens: today in Japan, moved into [low, high] (LINE refuses it outside)."""
    day = dt.datetime.now(JST).date().isoformat()
    if low and day < low:
        return low
    if high and day > high:
        return high
    return day


def _choice_buttons(r: Rendered, options: list[RenderedOption]) -> tuple[str, list[QuickReplyItem]]:
    text, buttons = _buttons(r, options)
    items = [
        _built(
            QuickReplyItem,
            action=_built(PostbackAction, label=label, data=data, display_text=display_text),
        )
        for label, data, display_text in buttons
    ]
    return text, items


def _buttons(r: Rendered, options: list[RenderedOption]) -> tuple[str, list[tuple[str, str, str]]]:
    """The text above the buttons, and each button's label, postback data and display text."""
    text = r.text
    long_labels = any(len(o.label) > MAX_LABEL for o in options)
    if long_labels:
        # Labels LINE would cut: list them in full in the text and number the buttons.
        lines = [r.text, *(f"{i}. {o.label}" for i, o in enumerate(options, 1))]
        text = "\n".join(line for line in lines if line)
    buttons = [
        (
            _clip(f"{i}. {option.label}" if long_labels else option.label, MAX_LABEL),
            choice_data(option.id, r.token)[:300],
            # Shown in the chat as the customer's own message, so the transcript reads naturally.
            _clip(option.label, MAX_DISPLAY_TEXT),
        )
        for i, option in enumerate(options, 1)
    ]
    return text, buttons


def render_wire(r: Rendered) -> list[dict[str, Any]]:
    """`render` as the JSON LINE receives (`as_wire` of its messages). Texts and buttons, nearly
    every answer, are built as dicts directly: building the SDK's models of a menu and converting
    them back cost more than sending it (tests/test_line_render.py checks both ways agree)."""
    if (r.kind == "card" and r.extra.get("card")) or r.kind in ("file", "date_picker"):
        return [as_wire(m) for m in render(r)]
    text = r.text
    items: list[dict[str, Any]] = []
    if r.kind == "choices" and r.options:
        if len(r.options) > MAX_QUICK_REPLIES:
            text = r.as_numbered_text()
        else:
            text, buttons = _buttons(r, list(r.options))
            items = [
                {
                    "type": "action",
                    "action": {"type": "postback", "label": label, "data": data, "displayText": shown},
                }
                for label, data, shown in buttons
            ]
    messages: list[dict[str, Any]] = [{"type": "text", "text": chunk} for chunk in split_text(text or "…")]
    if items:
        messages[-1]["quickReply"] = {"items": items}
    return messages


def _clip(text: str, limit: int) -> str:
    text = text.strip() or "…"
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` UTF-16 units (LINE counts like JavaScript), cut at a line or space."""
    pieces: list[str] = []
    rest = text
    while _utf16_len(rest) > limit:
        # Longest prefix within the limit, in code points (never splitting a surrogate pair).
        cut, units = 0, 0
        for ch in rest:
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > limit:
                break
            cut += 1
        window = rest[:cut]
        for sep in ("\n", " ", "。", "、"):
            pos = window.rfind(sep)
            if pos > cut // 2:
                cut = pos + 1
                break
        pieces.append(rest[:cut].rstrip("\n") or rest[:cut])
        rest = rest[cut:]
    if rest.strip() or not pieces:
        pieces.append(rest)
    return pieces
