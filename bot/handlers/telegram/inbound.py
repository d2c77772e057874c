"""Telegram updates -> what counselbot does with them. Pure: no I/O, the clock passed in.

message with text        -> TextIn (a command "/menu" becomes the word "menu")
"/start [payload]"       -> FollowIn(payload)  (deep links: t.me/<bot>?start=<payload>)
message with a photo (largest size), document, voice, audio, video or location
                         -> AttachmentIn: stored pending, fetched by a job (bot.attachments)
message with a sticker, contact, poll, ...
                         -> UnsupportedIn(kind): a friendly answer from the dialogs
edited_message           -> UnsupportedIn("edited_message")
callback_query           -> ChoiceIn / DateIn (a calendar page turn is handled here, no event)
my_chat_member "kicked"  -> UnfollowIn (the customer blocked the bot)
anything else, and anything from a group or channel -> ignored (acknowledged, nothing stored)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from telegram import CallbackQuery, Message, Update, User

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
from bot.handlers.telegram import callbacks
from bot.handlers.telegram.commands import MENU_COMMANDS

CHANNEL = "telegram"
MAX_TEXT = 4096  # Telegram's own limit for a text message
# Checked in this order: a venue also carries a location, an animation also a document.
ATTACHMENTS = (
    "sticker",
    "photo",
    "voice",
    "video_note",
    "video",
    "animation",
    "audio",
    "document",
    "venue",
    "location",
    "contact",
    "poll",
    "dice",
    "story",
    "game",
)


@dataclass(frozen=True, slots=True)
class ToEngine:
    event: InboundEvent
    # Set for a button press: answered (spinner off) and its keyboard marked after the event is stored.
    query: CallbackQuery | None = None
    chosen_label: str | None = None


@dataclass(frozen=True, slots=True)
class TurnPage:
    query: CallbackQuery
    turn: callbacks.PageTurn


@dataclass(frozen=True, slots=True)
class AnswerOnly:
    query: CallbackQuery


@dataclass(frozen=True, slots=True)
class Ignore:
    reason: str


Action = ToEngine | TurnPage | AnswerOnly | Ignore


def interpret(update: Update, now: dt.datetime) -> Action:
    """What to do with `update`. PTB's de_json fills a missing required field with None (a message
    without its chat, a press without its sender): such an update is ignored, as Telegram never
    sends one, rather than failing with a 500 that Telegram would redeliver for a day."""
    try:
        return _interpret(update, now)
    except (AttributeError, TypeError, ValueError, OverflowError):
        return Ignore("malformed update")


def _interpret(update: Update, now: dt.datetime) -> Action:
    event_id = str(update.update_id)
    if update.message is not None:
        return _message(update.message, event_id)
    if update.edited_message is not None:
        m = update.edited_message
        if m.chat.type != "private":
            return Ignore("not a private chat")
        at = m.edit_date or m.date
        return ToEngine(_event(m.chat.id, event_id, _utc(at), UnsupportedIn("edited_message"), m.from_user))
    if update.callback_query is not None:
        return _callback(update.callback_query, event_id, now)
    if update.my_chat_member is not None:
        cm = update.my_chat_member
        if cm.chat.type != "private":
            return Ignore("not a private chat")
        if cm.new_chat_member.status == "kicked":
            return ToEngine(_event(cm.chat.id, event_id, _utc(cm.date), UnfollowIn(), cm.from_user))
        # Unblocking shows as "member"; the customer's next /start or message follows again.
        return Ignore("chat member update")
    return Ignore("update type not used")


def _message(m: Message, event_id: str) -> Action:
    if m.chat.type != "private":
        # Groups (the agents' chat included) are not customer conversations.
        return Ignore("not a private chat")
    body: Body
    if m.text is not None:
        body = _text(m.text)
    else:
        kind = next((k for k in ATTACHMENTS if getattr(m, k, None)), None)
        if kind is None:
            return Ignore("service message")
        body = _attachment(m, kind) or UnsupportedIn(kind)
    return ToEngine(_event(m.chat.id, event_id, _utc(m.date), body, m.from_user))


# What becomes an attachment (the rest stay UnsupportedIn: a sticker gets a friendly answer).
_FILES = {
    "photo": "image",
    "document": "file",
    "voice": "audio",
    "audio": "audio",
    "video": "video",
    "video_note": "video",
}


def _attachment(m: Message, kind: str) -> AttachmentIn | None:
    """The largest photo size, a document, voice, audio, video or location; fetched later by file id."""
    caption = m.caption[:1000] if m.caption else None
    if kind in ("location", "venue") and m.location is not None:
        venue = m.venue
        place = " · ".join(p for p in (venue.title, venue.address) if p) if venue is not None else None
        return AttachmentIn(
            "location", latitude=m.location.latitude, longitude=m.location.longitude, place=place
        )
    if kind not in _FILES:
        return None
    if kind == "photo":
        largest = max(m.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return AttachmentIn("image", f"telegram:{largest.file_id}", size=largest.file_size, caption=caption)
    media = getattr(m, kind)
    name = getattr(media, "file_name", None)
    return AttachmentIn(
        _FILES[kind],
        f"telegram:{media.file_id}",
        name=name[:255] if name else None,
        size=media.file_size,
        caption=caption,
    )


def _text(text: str) -> Body:
    if text.startswith("/"):
        command, _, arg = text[1:].partition(" ")
        command = command.split("@", 1)[0].lower()
        if command == "start":
            return FollowIn(arg.strip() or None)
        if command in MENU_COMMANDS and not arg.strip():
            # The bot's command menu (telegram set-commands): always there, so valid in every state.
            return ChoiceIn(command, anywhere=True)
        if command and not arg.strip():
            # Bot menu commands (/menu, /help) read as the words the dialogs already understand.
            return TextIn(command)
    return TextIn.typed(text, MAX_TEXT)


def _callback(q: CallbackQuery, event_id: str, now: dt.datetime) -> Action:
    message = q.message
    chat_id = message.chat.id if message is not None else q.from_user.id
    if message is not None and message.chat.type != "private":
        return AnswerOnly(q)
    press = callbacks.parse(q.data)
    match press:
        case callbacks.ChoicePress(token=token, option=option):
            label = _label(q) or option
            body: Body = ChoiceIn(option, token)
        case callbacks.DayPress(token=token, day=day):
            label = day.isoformat()
            body = DateIn(day, None, token)
        case callbacks.PageTurn():
            return TurnPage(q, press)
        case _:
            return AnswerOnly(q)
    # A press has no timestamp of its own: it happened just now.
    return ToEngine(_event(chat_id, event_id, now, body, q.from_user), q, label)


def _label(q: CallbackQuery) -> str | None:
    message = q.message
    markup = getattr(message, "reply_markup", None)
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == q.data:
                return str(button.text)
    return None


def _event(chat_id: int, event_id: str, at: dt.datetime, body: Body, user: User | None) -> InboundEvent:
    return InboundEvent(
        key=ConversationKey(CHANNEL, str(chat_id)),
        event_id=event_id,
        received_at=at,
        body=body,
        locale_hint=user.language_code if user else None,
        display_name=user.full_name[:200] if user else None,
    )


def _utc(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC) if at.tzinfo else at.replace(tzinfo=dt.UTC)
