"""Nothing lost, nothing doubled: a crash between commit and send, and two processes on one database."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.bus import Bus
from bot.config import Settings
from bot.delivery import DeliveryWorker
from storage.db import Database
from storage.models import Conversation, InboxEvent, OutboxMessage, TranscriptMessage
from tests.support.collecting import CollectingSender
from tests.support.processes import ROOT, serve_process

CRASH_AFTER_COMMIT = textwrap.dedent(
    """
    import asyncio, datetime as dt, os, signal
    from bot.bus import Bus
    from bot.config import Settings
    from bot.engine import Engine
    from bot.events import ConversationKey, InboundEvent, TextIn
    from storage.db import Database

    async def main():
        settings = Settings(database_url=os.environ["URL"], secret_key="x")
        db = Database(settings.database_url)
        engine = Engine(db, settings, Bus())
        event = InboundEvent(ConversationKey("webchat", "crash"), "crash-1", dt.datetime.now(dt.UTC), TextIn("hello"))
        result = await engine.handle(event)
        assert result.status == "handled"
        # Committed, not sent: the process dies the hard way before any delivery could happen.
        os.kill(os.getpid(), signal.SIGKILL)

    asyncio.run(main())
    """
)


async def test_a_crash_after_commit_and_before_sending_sends_after_restart_once(
    settings: Settings, tmp_path: Path
) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CRASH_AFTER_COMMIT, cwd=ROOT, env={**os.environ, "URL": settings.database_url}
    )
    assert await proc.wait() == -signal.SIGKILL
    db = Database(settings.database_url)
    try:
        sender = CollectingSender()
        worker = DeliveryWorker(db, settings, Bus(), {"webchat": sender})
        while await worker.run_once():
            pass
        while await worker.run_once():
            pass
        assert len(sender.sent) == 1
        assert sender.sent[0].key.user_id == "crash"
    finally:
        await db.dispose()


async def test_a_crash_mid_send_is_resent_after_the_lease_once(settings: Settings) -> None:
    import datetime as dt

    from bot.engine import Engine
    from tests.support.collecting import event

    db = Database(settings.database_url)
    try:
        await Engine(db, settings, Bus()).handle(event("lease", "hello"))
        async with db.write() as s:
            from storage.repositories.outbox import claim_due

            claimed = await claim_due(s, ["webchat"], dt.datetime.now(dt.UTC), 10, dt.timedelta(seconds=60))
            assert len(claimed) == 1
        # The claiming process died mid-send. Nobody else may take the row while the lease runs...
        sender = CollectingSender()
        worker = DeliveryWorker(db, settings, Bus(), {"webchat": sender})
        assert not await worker.run_once()
        # ...and once it has expired, exactly one more send happens.
        async with db.write() as s:
            row = (await s.execute(select(OutboxMessage))).scalar_one()
            row.locked_until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        assert await worker.run_once()
        assert not await worker.run_once()
        assert len(sender.sent) == 1
    finally:
        await db.dispose()


@pytest.mark.postgres
def test_two_processes_on_one_postgres_lose_no_update_and_answer_once(pg_url: str, tmp_path: Path) -> None:
    with serve_process(pg_url, tmp_path) as (a, _), serve_process(pg_url, tmp_path) as (b, _):
        first = httpx.post(f"{a}/api/chat/messages", json={"id": "start-000", "start": True})
        cookies = first.cookies

        async def fire() -> list[str]:
            async with httpx.AsyncClient(cookies=cookies, timeout=30) as client:
                posts = [
                    client.post(
                        f"{(a, b)[i % 2]}/api/chat/messages", json={"id": f"evt-{i:04d}", "text": f"m{i}"}
                    )
                    for i in range(20)
                ]
                # Every event also redelivered to the other process.
                posts += [
                    client.post(
                        f"{(b, a)[i % 2]}/api/chat/messages", json={"id": f"evt-{i:04d}", "text": f"m{i}"}
                    )
                    for i in range(20)
                ]
                return [r.json()["status"] for r in await asyncio.gather(*posts)]

        statuses = asyncio.run(fire())
        assert statuses.count("handled") == 20 and statuses.count("duplicate") == 20

    async def check() -> tuple[int, int, int, int]:
        db = Database(pg_url)
        try:
            async with db.read() as s:
                version = (await s.execute(select(Conversation.version))).scalar_one()
                inbox = (await s.execute(select(func.count()).select_from(InboxEvent))).scalar_one()
                said = (
                    await s.execute(
                        select(func.count())
                        .select_from(TranscriptMessage)
                        .where(TranscriptMessage.author == "customer")
                    )
                ).scalar_one()
                out = (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
            return version, inbox, said, out
        finally:
            await db.dispose()

    version, inbox, said, out = asyncio.run(check())
    assert (version, inbox, said, out) == (21, 21, 21, 21)
