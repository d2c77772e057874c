"""LINE webhook bodies -> InboundEvents: signature check on the raw bytes, then a tolerant parse.

The parse is our own over plain dicts rather than the SDK's pydantic models: LINE adds event and
message types without notice, and one event we cannot read must not fail the rest of its batch.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlencode

from bot.events import (
    AttachmentIn,
    Body,
    ChoiceIn,
    ConversationKey,
    DateIn,
    FollowIn,
    InboundEvent,
    TextIn,
    UnfollowIn,
    UnsupportedIn,
)
from storage import jsoncodec

log = logging.getLogger(__name__)

CHANNEL = "line"
MAX_TEXT = 5000  # LINE's own limit for a text message

# Events that are not the customer talking to us: kept in the transcript (silent), never answered.
SILENT_TYPES = frozenset(
    {
        "unsend", "videoPlayComplete", "beacon", "accountLink", "membership", "module", "activated",
        "deactivated", "botSuspended", "botResumed", "delivery", "join", "leave", "memberJoined",
        "memberLeft",
    }
)  # fmt: skip


class BadPayload(ValueError):
    """The body is not a LINE webhook (bad UTF-8, bad JSON, no events list): 400."""


def signature_of(secret: str, body: bytes) -> str:
    """X-Line-Signature for `body`: base64 of HMAC-SHA256 keyed with the channel secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_signature(secret: str, body: bytes, signature: str | None) -> bool:
    """Constant-time check of the header against the raw body (before anything is parsed)."""
    if not signature:
        return False
    expected = signature_of(secret, body)
    # Both sides as bytes: compare_digest rejects non-ASCII str, and a forged header may hold anything.
    return hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace"))


def parse_body(body: bytes) -> list[Any]:
    """The `events` array of a webhook body, each item still raw."""
    try:
        data = jsoncodec.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadPayload("body is not UTF-8 JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise BadPayload("no events array")
    return list(data["events"])


# Postback data: a short query string. Choices carry the option id and the prompt token; the date
# picker carries a marker and the token (the date itself comes back in `params`).
def choice_data(option: str, token: str) -> str:
    # urlencode's result, built without its generic machinery: one per button of every answer
    if token:
        return f"o={_quoted(option)}&t={_quoted(token)}"
    return f"o={_quoted(option)}"


_UNQUOTED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


def _quoted(value: str) -> str:
    return value if _UNQUOTED.issuperset(value) else quote_plus(value)


def date_data(token: str) -> str:
    return urlencode({"d": "1", "t": token} if token else {"d": "1"})


@dataclass(frozen=True, slots=True)
class Parsed:
    """One webhook event read: `event` to hand to the engine, or `skip` saying why not (no personal data)."""

    event: InboundEvent | None = None
    skip: str = ""
    event_type: str = ""


def parse_event(raw: Any) -> Parsed:
    if not isinstance(raw, dict):
        return Parsed(skip="not an object")
    etype = raw.get("type")
    etype = etype if isinstance(etype, str) else ""
    event_id = raw.get("webhookEventId")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 128:
        return Parsed(skip="no webhookEventId", event_type=etype)
    source = raw.get("source")
    if not isinstance(source, dict) or source.get("type") != "user":
        # Group and room chats: counseling is personal, so the bot neither answers nor records there.
        return Parsed(skip="not a one-to-one chat", event_type=etype)
    user_id = source.get("userId")
    if not isinstance(user_id, str) or not user_id or len(user_id) > 128:
        return Parsed(skip="no userId", event_type=etype)
    ts = raw.get("timestamp")
    if not isinstance(ts, int) or isinstance(ts, bool) or ts <= 0:
        return Parsed(skip="bad timestamp", event_type=etype)
    try:
        received_at = dt.datetime.fromtimestamp(ts / 1000, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return Parsed(skip="bad timestamp", event_type=etype)

    standby = raw.get("mode") == "standby"
    silent = standby or etype in SILENT_TYPES
    body = _body(etype, raw)
    if body is None:
        return Parsed(skip="unreadable event", event_type=etype)
    token = raw.get("replyToken")
    reply_token = token if isinstance(token, str) and token and not silent and len(token) <= 256 else None
    event = InboundEvent(
        key=ConversationKey(CHANNEL, user_id),
        event_id=event_id,
        received_at=received_at,
        body=body,
        reply_token=reply_token,
        silent=silent,
        read_token=None if silent else _read_token(raw),
    )
    return Parsed(event=event, event_type=etype)


def _read_token(raw: dict[str, Any]) -> str | None:
    """The message's markAsReadToken (message events only; an opaque token, never logged)."""
    message = raw.get("message")
    token = message.get("markAsReadToken") if isinstance(message, dict) else None
    return token if isinstance(token, str) and 0 < len(token) <= 256 else None


def _body(etype: str, raw: dict[str, Any]) -> Body | None:
    if etype == "message":
        message = raw.get("message")
        if not isinstance(message, dict):
            return None
        mtype = message.get("type")
        if mtype == "text":
            text = message.get("text")
            return TextIn.typed(text, MAX_TEXT) if isinstance(text, str) else None
        if mtype in ("image", "video", "audio", "file", "location"):
            return _attachment(str(mtype), message)
        return UnsupportedIn(_kind(mtype))
    if etype == "postback":
        postback = raw.get("postback")
        return _postback(postback) if isinstance(postback, dict) else None
    if etype == "follow":
        return FollowIn()
    if etype == "unfollow":
        return UnfollowIn()
    return UnsupportedIn(_kind(etype))


def _attachment(mtype: str, message: dict[str, Any]) -> Body | None:
    """An image, video, audio, file or location message. Content is fetched later (bot.attachments):
    from LINE's content API by message id, or from the sender's own https URL (`external` provider)."""
    if mtype == "location":
        lat, lon = message.get("latitude"), message.get("longitude")
        if not (_number(lat) and _number(lon)):
            return None
        assert isinstance(lat, int | float) and isinstance(lon, int | float)
        parts = [p for p in (message.get("title"), message.get("address")) if isinstance(p, str) and p]
        return AttachmentIn(
            "location", latitude=float(lat), longitude=float(lon), place=" · ".join(parts) or None
        )
    message_id = message.get("id")
    if not isinstance(message_id, str) or not message_id.isdigit() or len(message_id) > 64:
        return None
    source = f"line:{message_id}"
    provider = message.get("contentProvider")
    if isinstance(provider, dict) and provider.get("type") == "external":
        url = provider.get("originalContentUrl")
        if not isinstance(url, str) or not url.startswith("https://") or len(url) > 990:
            return None
        source = f"url:{url}"
    name = message.get("fileName")
    size = message.get("fileSize")
    return AttachmentIn(
        mtype,
        source,
        name=name[:255] if isinstance(name, str) and name else None,
        size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    # The kind ends up in the transcript: keep it a short identifier whatever LINE sends.
    if not isinstance(value, str) or not value:
        return "unknown"
    return "".join(c for c in value if c.isalnum() or c in "_-")[:24] or "unknown"


def _postback(postback: dict[str, Any]) -> Body | None:
    data = postback.get("data")
    data = data if isinstance(data, str) else ""
    fields = parse_qs(data, keep_blank_values=True) if "=" in data else {}
    token = fields.get("t", [""])[0]
    params = postback.get("params")
    if isinstance(params, dict) and ("date" in params or "datetime" in params):
        return _picked_date(params, token)
    if "o" in fields and fields["o"][0]:
        # g=1: a rich menu button, always on screen, valid whatever the conversation is doing.
        anywhere = fields.get("g", [""])[0] == "1"
        return ChoiceIn(fields["o"][0][:64], token[:64], anywhere=anywhere)
    if "d" in fields or isinstance(params, dict):
        # A picker postback without a date (time-only picker, or a date we could not read).
        return UnsupportedIn("postback")
    if data:
        # Not ours (e.g. a rich menu button set up in the LINE console): its data is the option id.
        return ChoiceIn(data[:64])
    return UnsupportedIn("postback")


def _picked_date(params: dict[str, Any], token: str) -> Body:
    try:
        if isinstance(params.get("date"), str):
            return DateIn(dt.date.fromisoformat(params["date"]), None, token[:64])
        if isinstance(params.get("datetime"), str):
            # LINE sends "2025-05-01T10:00" (local to the customer's picker, no zone).
            at = dt.datetime.fromisoformat(params["datetime"])
            return DateIn(at.date(), at.time().replace(tzinfo=None), token[:64])
    except ValueError:
        pass
    return UnsupportedIn("postback")
