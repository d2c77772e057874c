"""What a channel plugs into: a Sender for the delivery worker, and a Component for the app.

A channel module (bot/handlers/<name>) exposes `setup(app: AppContext) -> Component | None`
(None when it is not configured); `bot.app` loads every module listed in CHANNEL_MODULES.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from starlette.routing import BaseRoute

from bot.events import ConversationKey
from bot.replies import Rendered

if TYPE_CHECKING:
    from bot.bus import Bus
    from bot.config import Settings
    from bot.delivery import DeliveryWorker
    from bot.engine import Engine
    from storage.db import Database


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row as the sender sees it: the messages of one answer, sent in order."""

    outbox_id: int
    key: ConversationKey
    messages: tuple[Rendered, ...]
    parts_sent: int
    idempotency_key: str
    attempts: int
    source: str
    created_at: dt.datetime
    reply_token: str | None = None
    reply_token_expires_at: dt.datetime | None = None
    # Record that `n` messages of this delivery are out (durably, at once). A sender that sends
    # messages one by one calls it after each, so a crash mid-row never re-sends what went out.
    progress: Callable[[int], Awaitable[None]] | None = field(default=None, compare=False, repr=False)
    # True when an earlier attempt may have sent a reply with reply_token (its outcome is unknown).
    reply_attempted: bool = False
    # Record, durably, that a reply with reply_token is about to leave (False: it certainly did not).
    reply_attempt: Callable[[bool], Awaitable[None]] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Sent:
    parts_sent: int


@dataclass(frozen=True, slots=True)
class Retry:
    """A transient failure (429, 5xx, timeout). `after` in seconds when the platform said so."""

    error: str
    parts_sent: int
    after: float | None = None
    status: int | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    """A permanent failure (other 4xx): not retried, shown to the agents. No personal data in `error`."""

    error: str
    parts_sent: int
    status: int | None = None


@dataclass(frozen=True, slots=True)
class Unreachable:
    """The customer blocked the bot: the identity is marked, nothing more is sent."""

    error: str
    parts_sent: int = 0


SendResult = Sent | Retry | Failed | Unreachable


class Sender(Protocol):
    channel: str

    async def send(self, delivery: Delivery) -> SendResult: ...


@dataclass
class Component:
    name: str
    routes: Sequence[BaseRoute] = ()
    senders: Sequence[Sender] = ()
    # Long-running tasks started with the app and cancelled at shutdown (e.g. Telegram polling).
    background: Sequence[Callable[[], Awaitable[None]]] = ()
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = ()
    # One line for `counselbot serve` ("LINE: on, webhook /webhooks/line").
    describe: str = ""
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class AppContext:
    settings: Settings
    db: Database
    engine: Engine
    bus: Bus
    # Set once every component is loaded (it needs their senders); read it at request time.
    delivery: DeliveryWorker | None = None
