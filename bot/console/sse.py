"""Server-sent events for the console: wake on bus topics, re-read the database, send what changed.

The bus only says "something happened"; each wake-up reads the truth from the database, so a lost
notification (or another process's) costs at most `refresh` seconds. A stream ends after `lifetime`
and the browser's EventSource reconnects by itself: no connection outlives a deploy for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

from bot.bus import Bus, Subscription

Produce = Callable[[], Awaitable[Sequence[tuple[str, Any]]]]


def response(
    request: Request,
    bus: Bus,
    topics: Sequence[str],
    produce: Produce,
    refresh: float = 5.0,
    lifetime: float = 300.0,
) -> StreamingResponse:
    return StreamingResponse(
        _events(request, bus, topics, produce, refresh, lifetime),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def encode(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


async def _forward(sub: Subscription, wake: asyncio.Event) -> None:
    async for _ in sub:
        wake.set()


async def _events(
    request: Request, bus: Bus, topics: Sequence[str], produce: Produce, refresh: float, lifetime: float
) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    wake = asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        subs = [await stack.enter_async_context(bus.subscribe(t)) for t in topics]
        forwarders = [asyncio.create_task(_forward(sub, wake)) for sub in subs]
        try:
            deadline = time.monotonic() + lifetime
            while time.monotonic() < deadline and not await request.is_disconnected():
                wake.clear()
                events = await produce()
                for name, data in events:
                    yield encode(name, data)
                if not events:
                    yield ": ping\n\n"
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(refresh):  # not wait_for: it can swallow a cancel on 3.11
                        await wake.wait()
        finally:
            for task in forwarders:
                task.cancel()
            for task in forwarders:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
