"""One event vocabulary for every channel: what a customer did, already parsed and verified."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from storage import jsoncodec


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Who is writing, as the channel knows them: one conversation per (channel, user)."""

    channel: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class TextIn:
    text: str

    @classmethod
    def typed(cls, text: str, limit: int) -> TextIn:
        """What a channel received, made safe to keep: at most `limit` characters (the platform's own
        cap, so only a body the platform did not send is clipped) and no unpaired surrogate, which no
        database or log can encode."""
        return cls(jsoncodec.without_lone_surrogates(text[:limit]))


@dataclass(frozen=True, slots=True)
class ChoiceIn:
    """A pressed button. `token` is the prompt token the button was rendered with (stale detection).

    `anywhere`: a button that is always there (LINE rich menu, Telegram bot command), so never stale:
    it leaves whatever is open and starts its flow, as the main menu's button of that id does.
    """

    option: str
    token: str = ""
    anywhere: bool = False


@dataclass(frozen=True, slots=True)
class DateIn:
    date: dt.date
    time: dt.time | None = None
    token: str = ""


@dataclass(frozen=True, slots=True)
class FollowIn:
    """The customer added the bot / pressed start / opened the chat; `payload` is a deep-link payload."""

    payload: str | None = None


@dataclass(frozen=True, slots=True)
class UnfollowIn:
    """The customer blocked or removed the bot: no more sends to this identity."""


@dataclass(frozen=True, slots=True)
class UnsupportedIn:
    """Something the bot can't read: a sticker, image, location, file, edited message, unknown type."""

    kind: str


@dataclass(frozen=True, slots=True)
class AttachmentIn:
    """A photo, video, voice message, document or location the customer sent (bot.attachments).

    `source` says where the content is fetched from after the event is stored ("line:<message id>",
    "url:<https url>", "telegram:<file id>"); a location has none, its coordinates are here.
    """

    kind: str  # image | video | audio | file | location
    source: str | None = None
    name: str | None = None
    size: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    place: str | None = None
    # Telegram lets a photo or document carry a caption: kept in the transcript.
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class SystemIn:
    """Raised inside the engine, never by a customer: an effect's result or a scheduled trigger."""

    name: str
    data: dict[str, str] = field(default_factory=dict)


Body = TextIn | ChoiceIn | DateIn | FollowIn | UnfollowIn | UnsupportedIn | AttachmentIn | SystemIn


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """One thing that happened, as a channel handler hands it to the engine.

    `event_id` is the platform's unique id (LINE webhookEventId, Telegram update_id, the web chat's
    client message id): the inbox stores each (channel, event_id) once. `received_at` is the platform's
    timestamp, timezone-aware; every rule counts from it.
    """

    key: ConversationKey
    event_id: str
    received_at: dt.datetime
    body: Body
    locale_hint: str | None = None
    reply_token: str | None = None
    display_name: str | None = None
    # Store, never answer (LINE standby mode).
    silent: bool = False
    # The web chat client's address: the source identity checks are counted against (bot.link_limits).
    address: str | None = None
    # LINE's markAsReadToken: stored with the event; an agent's reading marks the message read with it.
    read_token: str | None = None

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware")
