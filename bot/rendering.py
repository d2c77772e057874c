"""The pure ends of a turn: a channel-neutral reply translated for the outbox, and the customer's
event as the transcript line an agent reads."""

from __future__ import annotations

from bot.attachments import inbound as attachments_inbound
from bot.events import (
    AttachmentIn,
    ChoiceIn,
    DateIn,
    FollowIn,
    InboundEvent,
    SystemIn,
    TextIn,
    UnfollowIn,
    UnsupportedIn,
)
from bot.i18n import Translator
from bot.replies import Card, Choices, DatePicker, HandoffNotice, Rendered, RenderedOption, Reply, Text


def render(reply: Reply, tr: Translator, token: str) -> Rendered:
    """A channel-neutral reply translated for this conversation (the outbox and transcript store this)."""
    match reply:
        case Text(text=m):
            return Rendered("text", tr.render(m))
        case HandoffNotice(text=m):
            return Rendered("handoff", tr.render(m))
        case Card(text=m, title=title, rows=rows):
            # The text is the card's whole content: every channel without cards shows just that.
            card = {"title": tr.render(title), "rows": [[tr.render(k), tr.format_value(v)] for k, v in rows]}
            return Rendered("card", tr.render(m), extra={"card": card})
        case Choices(prompt=p, options=opts):
            return Rendered(
                "choices", tr.render(p), tuple(RenderedOption(o.id, tr.render(o.label)) for o in opts), token
            )
        case DatePicker(prompt=p, min_date=lo, max_date=hi, options=opts):
            return Rendered(
                "date_picker",
                tr.render(p),
                tuple(RenderedOption(o.id, tr.render(o.label)) for o in opts),
                token,
                lo.isoformat() if lo else None,
                hi.isoformat() if hi else None,
                # Channels that draw their own calendar name the months in the customer's language.
                {"locale": tr.locale},
            )
    raise TypeError(f"unknown reply {reply!r}")


def describe_inbound(event: InboundEvent, labels: dict[str, str] | None = None) -> str:
    """The customer's side of the transcript, as an agent reads it."""
    body = event.body
    match body:
        case TextIn(text=t):
            return t
        case ChoiceIn(option=o):
            label = (labels or {}).get(o)
            return f"[button] {label}" if label else f"[button] {o}"
        case DateIn(date=d, time=t):
            return f"[date] {d.isoformat()}" + (f" {t.isoformat(timespec='minutes')}" if t else "")
        case FollowIn(payload=p):
            return "[started the chat]" + (f" ({p})" if p else "")
        case UnfollowIn():
            return "[blocked or left the chat]"
        case UnsupportedIn(kind=k):
            return f"[{k}]"
        case AttachmentIn():
            return attachments_inbound.describe(body)
        case SystemIn(name=n):
            return f"[system] {n}"
    return "[event]"
