"""Telegram's "typing…" while an agent writes a reply in the console.

The console publishes a hint on the bus each time the agent holding a conversation types (throttled
there to one every 2-3 s); for Telegram chats this sends the "typing" chat action at most once every
INTERVAL seconds per chat — Telegram shows it for about 5 s, so it stays on while the agent keeps
writing and goes away soon after they stop. Best effort: a failure only logs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot.bus import Bus
from bot.handlers.telegram.inbound import CHANNEL
from bot.reads import TYPING_TOPIC
from storage.db import Database
from storage.models import Conversation

log = logging.getLogger(__name__)

INTERVAL = 4.0
MAX_TRACKED = 10_000


class TypingRelay:
    def __init__(self, bot: Bot, bus: Bus, db: Database, interval: float = INTERVAL) -> None:
        self.bot, self.bus, self.db, self.interval = bot, bus, db, interval
        self._last: dict[int, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def due(self, conversation_id: int) -> bool:
        """Whether a chat action may go to this conversation's chat now (and note that it does)."""
        now = time.monotonic()
        if now - self._last.get(conversation_id, -self.interval) < self.interval:
            return False
        if len(self._last) >= MAX_TRACKED:
            self._last.clear()
        self._last[conversation_id] = now
        return True

    async def run(self) -> None:
        async with self.bus.subscribe(TYPING_TOPIC) as sub:
            async for payload in sub:
                self.signal(payload)

    def signal(self, payload: dict[str, Any]) -> None:
        conversation_id = payload.get("conversation_id")
        if payload.get("channel") != CHANNEL or not isinstance(conversation_id, int):
            return
        if not self.due(conversation_id):
            return
        task = asyncio.ensure_future(self._send(conversation_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, conversation_id: int) -> None:
        async with self.db.read() as s:
            conv = await s.get(Conversation, conversation_id)
        if conv is None or conv.channel != CHANNEL:
            return
        chat_id = conv.user_id
        try:
            await self.bot.send_chat_action(chat_id, ChatAction.TYPING, read_timeout=5, write_timeout=5)
        except (TelegramError, TimeoutError, OSError) as exc:
            log.info("telegram: chat action failed", extra={"error": type(exc).__name__})
