"""What makes the web chat feel live beside the replies: "typing…" and "seen", as stream events.

The stream waits on several bus topics at once (`Merged`): its conversation's replies, new outbox
rows, the agent's typing (bot/console/composing.py) and reads (bot.reads). Typing is only a hint and
carries nothing; "seen" is read from the database each time (conversation_reads), so a lost hint is
made good by the next one or by the stream's reconnection, which sends the current mark first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from bot.bus import Bus
from storage.db import Database
from storage.repositories import reads

TYPING_FRAME = "event: typing\ndata: {}\n\n"


async def seen_frame(db: Database, conversation_id: int) -> str | None:
    """`event: seen` with the client id of the last message an agent has read, if any."""
    async with db.read() as s:
        event_id = await reads.seen_event_id(s, conversation_id)
    if not event_id:
        return None
    return f"event: seen\ndata: {json.dumps({'id': event_id})}\n\n"


class Merged:
    """Several bus subscriptions read as one queue of (name, payload)."""

    def __init__(self, bus: Bus, topics: dict[str, str]) -> None:
        self.bus, self.topics = bus, topics
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(maxsize=1000)
        self._stack = contextlib.AsyncExitStack()
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Merged:
        for name, topic in self.topics.items():
            sub = await self._stack.enter_async_context(self.bus.subscribe(topic))
            self._tasks.append(asyncio.create_task(self._forward(name, sub)))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._stack.aclose()

    async def _forward(self, name: str, sub: Any) -> None:
        async for payload in sub:
            if self.queue.full():
                continue  # hints only: the stream catches up from the database
            self.queue.put_nowait((name, payload))

    async def get(self, timeout: float) -> tuple[str, dict[str, Any]] | None:
        try:
            async with asyncio.timeout(timeout):
                return await self.queue.get()
        except TimeoutError:
            return None
