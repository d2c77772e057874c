"""Outbox rows -> sendMessage, one Telegram message at a time, within the flood limits.

sendMessage has no idempotency key. `parts_sent` counts Telegram messages (after splitting) that
Telegram confirmed, so a retry resumes after the last confirmed one; what a timeout can duplicate is
the single message in flight (docs/telegram.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable

from telegram import Bot, InputFile
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.attachments.outbound import Loaded
from bot.channels import Delivery, Failed, Retry, SendResult, Sent, Unreachable
from bot.handlers.telegram import render
from bot.handlers.telegram.ratelimit import FloodLimiter
from bot.handlers.telegram.render import Part
from bot.logs import hashed

log = logging.getLogger(__name__)

# Seconds one send() may go on starting new messages (the delivery lease is 60 s, a request <= ~20 s).
SEND_BUDGET = 30.0
# Telegram's descriptions for chats we can never write to again (a 400, not a 403).
_GONE = ("chat not found", "user is deactivated", "peer_id_invalid")


class TelegramSender:
    channel = "telegram"

    def __init__(
        self,
        bot: Bot,
        limiter: FloodLimiter | None = None,
        budget: float = SEND_BUDGET,
        files: Callable[[str], Awaitable[Loaded | None]] | None = None,
    ) -> None:
        self.bot = bot
        # An agent's file's bytes by its token (bot.attachments.outbound.content_loader).
        self.files = files
        self.limiter = limiter or FloodLimiter()
        self.budget = budget
        self._ready = asyncio.Lock()
        self._initialized = False

    async def start(self) -> None:
        """Initialise the client once (getMe checks the token); safe to call from concurrent sends."""
        if self._initialized:
            return
        async with self._ready:
            if not self._initialized:
                await self.bot.initialize()
                self._initialized = True

    async def close(self) -> None:
        if self._initialized:
            await self.bot.shutdown()
            self._initialized = False

    async def send(self, delivery: Delivery) -> SendResult:
        today = dt.datetime.now(dt.UTC).date()
        parts = render.flatten(delivery.messages, today)
        done = min(delivery.parts_sent, len(parts))
        chat_id = delivery.key.user_id
        try:
            await self.start()
        except TelegramError as exc:
            return _classify(exc, done)
        started = time.monotonic()
        for part in parts[done:]:
            if time.monotonic() - started > self.budget:
                # Stay well inside the worker's lease on the row (bot.delivery.LEASE): go on next attempt.
                return Retry("send budget used up; continuing", done)
            await self.limiter.wait(chat_id)
            try:
                if part.file:
                    await self._send_file(chat_id, part)
                else:
                    await self.bot.send_message(chat_id, part.text, reply_markup=part.markup)
            except TelegramError as exc:
                result = _classify(exc, done)
                log.info(
                    "telegram: send %s",
                    type(result).__name__.lower(),
                    extra={
                        "outbox_id": delivery.outbox_id,
                        "customer": hashed(delivery.key),
                        "part": done,
                        "error": type(exc).__name__,
                    },
                )
                return result
            done += 1
            if delivery.progress is not None and done < len(parts):
                # Durable before the next part: a crash now re-sends nothing that already went out.
                await delivery.progress(done)
        return Sent(done)

    async def _send_file(self, chat_id: str, part: Part) -> None:
        """sendPhoto for a photo, sendDocument for anything else: a multipart upload of the bytes."""
        loaded = await self.files(str(part.file.get("attachment", ""))) if self.files is not None else None
        if loaded is None:
            # Erased meanwhile (or no store): nothing to upload, and retrying will not bring it back.
            raise BadRequest("file not available")
        data, _mime, name = loaded
        upload = InputFile(data, filename=name)
        if part.file.get("kind") == "image":
            await self.bot.send_photo(chat_id, upload)
        else:
            await self.bot.send_document(chat_id, upload)


def _classify(exc: TelegramError, done: int) -> SendResult:
    """Telegram's answer -> what the delivery worker does next. Errors carry Telegram's description,
    which names the problem and never the customer or the token."""
    error = f"{type(exc).__name__}: {exc.message}"[:300]
    match exc:
        case RetryAfter():
            return Retry(error, done, after=_seconds(exc), status=429)
        case Forbidden():
            # Blocked, kicked, deactivated: nothing we send will arrive; retrying only annoys Telegram.
            return Unreachable(error, done)
        case BadRequest() if any(g in exc.message.lower() for g in _GONE):
            return Unreachable(error, done)
        case BadRequest():
            return Failed(error, done, status=400)
        case InvalidToken():
            return Failed(
                "the bot token was refused (401/404): check COUNSELBOT_TELEGRAM_BOT_TOKEN", done, 401
            )
        case ChatMigrated() | Conflict():
            return Failed(error, done)
        case TimedOut():
            # The request may have reached Telegram: this part may arrive twice (docs/telegram.md).
            return Retry(error, done)
        case NetworkError():
            return Retry(error, done)
    return Retry(error, done)


def _seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
