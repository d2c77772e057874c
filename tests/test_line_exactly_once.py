"""A LINE reply whose answer was lost is delivered once: after a client timeout, after a worker that
died between LINE's 200 and the commit of "sent", and after a `counselbot serve` killed with SIGKILL
mid-send (whose conversation is then free again within seconds, not after a minute's lease)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.bus import Bus
from bot.channels import Delivery, SendResult
from bot.config import Settings
from bot.delivery import LEASE, DeliveryWorker
from bot.engine import Engine
from bot.handlers.line.sender import LineApi, LineSender
from storage.db import Database
from storage.models import OutboxMessage
from tests.fakes.line_api import ACCESS_TOKEN, CHANNEL_SECRET, FakeLine, run_fake_line
from tests.support.collecting import event

USER = "U0f1e2d3c4b5a69788796a5b4c3d2e1f0"


@pytest.fixture
async def fake() -> AsyncIterator[FakeLine]:
    async with run_fake_line() as f:
        yield f


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


@pytest.fixture
def line_settings(db_url: str, fake: FakeLine, settings_for: Callable[..., Settings]) -> Settings:
    return settings_for(
        db_url,
        line_channel_secret=CHANNEL_SECRET,
        line_channel_access_token=ACCESS_TOKEN,
        line_api_base=fake.base_url,
    )


@contextlib.asynccontextmanager
async def line_worker(
    db: Database, settings: Settings, wrap: Callable[[LineSender], Any] = lambda s: s
) -> AsyncIterator[DeliveryWorker]:
    api = LineApi(settings, timeout=0.5)
    try:
        yield DeliveryWorker(db, settings, Bus(), {"line": wrap(LineSender(api))})
    finally:
        await api.close()


async def says_hello(db: Database, settings: Settings, fake: FakeLine, text: str = "hello") -> str:
    token = fake.issue_reply_token(USER)
    await Engine(db, settings, Bus()).handle(event(USER, text, channel="line", reply_token=token))
    return token


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.read() as s:
        return list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def settle(worker: DeliveryWorker, db: Database, within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while any(r.status in ("pending", "sending") for r in await rows(db)):
            if not await worker.run_once():
                await asyncio.sleep(0.05)


def copies(fake: FakeLine, token: str) -> tuple[int, int]:
    """(messages LINE delivered by this reply token, messages it delivered by push)."""
    by_reply = [d for d in fake.delivered if d.reply_token == token]
    return len(by_reply), len([d for d in fake.delivered if d.via == "push"])


async def test_a_reply_accepted_but_answered_after_the_timeout_is_not_pushed_again(
    db: Database, line_settings: Settings, fake: FakeLine
) -> None:
    token = await says_hello(db, line_settings, fake)
    [row] = await rows(db)
    parts = len(row.payload["messages"])
    fake.answer_late("reply", 2.0)  # LINE takes the token and delivers; our client gives up at 0.5 s
    async with line_worker(db, line_settings) as worker:
        assert await worker.run_once()
        [row] = await rows(db)
        assert row.status == "pending" and row.reply_attempted_at is not None
        assert "Timeout" in (row.last_error or "")
        await settle(worker, db)
    [row] = await rows(db)
    assert row.status == "sent"
    # The retry asked with the same token, LINE said it was used: delivered, and nothing pushed.
    assert [(r.endpoint, r.status) for r in fake.requests] == [("reply", 200), ("reply", 400)]
    assert copies(fake, token) == (parts, 0)
    assert len(fake.texts(USER)) == parts


async def test_a_reply_that_never_arrived_is_sent_by_the_retry_with_the_same_token(
    db: Database, line_settings: Settings, fake: FakeLine
) -> None:
    token = await says_hello(db, line_settings, fake)
    parts = len((await rows(db))[0].payload["messages"])
    fake.fail("reply", 503)
    async with line_worker(db, line_settings) as worker:
        await settle(worker, db)
    assert [(r.endpoint, r.status) for r in fake.requests] == [("reply", 503), ("reply", 200)]
    assert copies(fake, token) == (parts, 0)


class DiesAfterSending:
    """The real sender, then the worker freezes before it can commit "sent" (and is cancelled)."""

    channel = "line"

    def __init__(self, real: LineSender) -> None:
        self.real = real
        self.sent = asyncio.Event()

    async def send(self, delivery: Delivery) -> SendResult:
        await self.real.send(delivery)
        self.sent.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_worker_dying_between_lines_200_and_the_commit_delivers_once_and_soon(
    db: Database, line_settings: Settings, fake: FakeLine
) -> None:
    first = await says_hello(db, line_settings, fake)
    parts = len((await rows(db))[0].payload["messages"])
    dying: list[DiesAfterSending] = []

    def wrap(real: LineSender) -> DiesAfterSending:
        dying.append(DiesAfterSending(real))
        return dying[0]

    async with line_worker(db, line_settings, wrap) as worker:
        task = asyncio.create_task(worker.run())
        await asyncio.wait_for(dying[0].sent.wait(), 10)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert [r.status for r in await rows(db)] == ["sending"]
    second = await says_hello(db, line_settings, fake, "menu")
    started = time.monotonic()
    async with line_worker(db, line_settings) as worker:
        await settle(worker, db, within=LEASE.total_seconds() + 5)
    waited = time.monotonic() - started
    assert [r.status for r in await rows(db)] == ["sent", "sent"]
    assert copies(fake, first) == (parts, 0)
    assert copies(fake, second)[0] >= 1
    assert waited < LEASE.total_seconds() + 3, waited


async def test_an_unknown_reply_with_a_token_too_old_to_ask_is_not_pushed(fake: FakeLine) -> None:
    import datetime as dt
    import uuid
    from pathlib import Path

    from bot.events import ConversationKey
    from bot.replies import Rendered

    token = fake.issue_reply_token(USER)
    now = dt.datetime.now(dt.UTC)
    d = Delivery(
        outbox_id=1,
        key=ConversationKey("line", USER),
        messages=(Rendered("text", "Your booking is confirmed"),),
        parts_sent=0,
        idempotency_key=str(uuid.uuid4()),
        attempts=2,
        source="bot",
        created_at=now - dt.timedelta(minutes=2),
        reply_token=token,
        reply_token_expires_at=now - dt.timedelta(seconds=70),
        reply_attempted=True,
    )
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{Path('/nonexistent')}/unused.db",
        line_channel_access_token=ACCESS_TOKEN,
        line_api_base=fake.base_url,
    )
    api = LineApi(settings, timeout=0.5)
    try:
        result = await LineSender(api).send(d)
        # Never attempted before, the same old token means: push.
        fresh = await LineSender(api).send(dataclasses.replace(d, reply_attempted=False))
    finally:
        await api.close()
    assert type(result).__name__ == "Sent" and type(fresh).__name__ == "Sent"
    assert [r.endpoint for r in fake.requests] == ["push"]
    assert fake.texts(USER) == ["Your booking is confirmed"]


async def test_no_connection_means_no_reply_left_and_the_attempt_is_withdrawn(
    db: Database, line_settings: Settings
) -> None:
    async with run_fake_line() as gone:
        base = gone.base_url
    settings = line_settings.model_copy(update={"line_api_base": base})
    await Engine(db, settings, Bus()).handle(
        event(USER, "hello", channel="line", reply_token="a-token-never-used")
    )
    async with line_worker(db, settings) as worker:
        assert await worker.run_once()
    [row] = await rows(db)
    assert row.status == "pending" and row.reply_attempted_at is None


async def test_a_reply_line_refused_with_429_is_not_an_unknown_outcome(
    db: Database, line_settings: Settings, fake: FakeLine
) -> None:
    """A long Retry-After can outlive the token: the retry must then push, not assume delivered."""
    token = await says_hello(db, line_settings, fake)
    fake.fail("reply", 429, retry_after=1)
    async with line_worker(db, line_settings) as worker:
        assert await worker.run_once()
    [row] = await rows(db)
    assert row.status == "pending" and row.reply_attempted_at is None
    fake.expire_reply_token(token)
    async with line_worker(db, line_settings) as worker:
        await settle(worker, db)
    assert [(r.endpoint, r.status) for r in fake.requests] == [("reply", 429), ("reply", 400), ("push", 200)]
    assert len(fake.texts(USER)) == len(row.payload["messages"])
