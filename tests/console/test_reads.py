"""An agent's reading: opening a conversation records it, and so does having it open (its live stream)
while the customer writes; the mark only moves forward; on both SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.config import Settings
from storage.repositories import reads
from tests.console.support import add_agent, running
from tests.console.test_conversation import filed
from tests.console.test_queue import sse_events
from tests.support.collecting import event
from tests.support.wait import eventually


async def _seen(app: object, conv_id: int) -> int | None:
    async with app.db.read() as s:  # type: ignore[attr-defined]
        return await reads.seen_up_to(s, conv_id)


async def test_opening_and_having_open_mark_the_customers_messages_read(console_settings: Settings) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        conv_id, _, _, _ = await filed(app, "gina")
        assert await _seen(app, conv_id) is None
        assert (await ann.client.get(f"/console/conversations/{conv_id}")).status_code == 200
        first = await _seen(app, conv_id)
        assert first is not None

        async with ann.client.stream("GET", f"/console/api/conversations/{conv_id}/stream") as stream:
            events = sse_events(stream)

            async def transcript_loaded() -> None:
                async for name, _ in events:
                    if name == "transcript":
                        return

            await asyncio.wait_for(transcript_loaded(), 20)
            await app.engine.handle(event("gina", "one more thing about my booking"))
            # Written while the agent has the conversation open: read as it arrives.
            await eventually(lambda: _moved(app, conv_id, first))

        later = await _seen(app, conv_id)
        async with app.db.write() as s:
            # An older read (another agent's page from before) never moves the mark back.
            await reads.record_read(s, conv_id, None, dt.datetime.now(dt.UTC))
        assert await _seen(app, conv_id) == later


async def _moved(app: object, conv_id: int, before: int) -> bool:
    now = await _seen(app, conv_id)
    return now is not None and now > before
