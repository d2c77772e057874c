from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.bus import Bus
from bot.config import Settings
from bot.delivery import DeliveryWorker, backoff
from bot.engine import Engine
from storage.db import Database
from storage.models import ChannelIdentity, OutboxMessage, Ticket
from tests.support.collecting import CollectingSender, event
from tests.support.wait import eventually


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url)
    yield database
    await database.dispose()


async def drain(worker: DeliveryWorker, rounds: int = 200) -> None:
    """Run passes until nothing is due, waiting out short backoffs."""
    import asyncio

    for _ in range(rounds):
        if not await worker.run_once():
            async with worker.db.read() as s:
                pending = (
                    (
                        await s.execute(
                            select(OutboxMessage).where(OutboxMessage.status.in_(("pending", "sending")))
                        )
                    )
                    .scalars()
                    .all()
                )
            if not pending:
                return
            await asyncio.sleep(0.05)


async def test_a_channel_failing_three_times_then_succeeding_delivers_once_with_backoff(
    db: Database, settings: Settings
) -> None:
    engine = Engine(db, settings, Bus())
    sender = CollectingSender(fail_times=3)
    worker = DeliveryWorker(db, settings, Bus(), {"webchat": sender})
    await engine.handle(event("ivy", "hello"))
    await drain(worker)
    assert len(sender.sent) == 1
    assert len(sender.attempts) == 4
    async with db.read() as s:
        row = (await s.execute(select(OutboxMessage))).scalar_one()
    assert (row.status, row.attempts) == ("sent", 4)


async def test_a_channel_that_always_fails_dead_letters_and_blocks_nothing_else(
    db: Database, settings_for: object, db_url: str
) -> None:
    settings = settings_for(db_url, delivery_max_attempts=3)  # type: ignore[operator]
    engine = Engine(db, settings, Bus())
    sender = CollectingSender(always_fail={"jack"})
    worker = DeliveryWorker(db, settings, Bus(), {"webchat": sender})
    await engine.handle(event("jack", "hello"))
    await engine.handle(event("kate", "hello"))
    await drain(worker)
    assert sender.texts_for("kate"), "another customer's reply went out"
    async with db.read() as s:
        rows = {r.user_id: r for r in (await s.execute(select(OutboxMessage))).scalars()}
        tickets = (await s.execute(select(Ticket))).scalars().all()
    assert rows["jack"].status == "dead" and rows["jack"].attempts == 3
    assert rows["kate"].status == "sent"
    assert [t.reason for t in tickets] == ["delivery_failed"]


async def test_a_permanent_failure_is_not_retried(db: Database, settings: Settings) -> None:
    engine = Engine(db, settings, Bus())
    sender = CollectingSender(always_fail={"leo"}, permanent=True)
    worker = DeliveryWorker(db, settings, Bus(), {"webchat": sender})
    await engine.handle(event("leo", "hello"))
    await drain(worker)
    assert len(sender.attempts) == 1
    async with db.read() as s:
        row = (await s.execute(select(OutboxMessage))).scalar_one()
    assert row.status == "dead"


async def test_replies_of_one_conversation_go_out_in_order_even_after_a_retry(
    db: Database, settings: Settings
) -> None:
    engine = Engine(db, settings, Bus())
    sender = CollectingSender(fail_times=1)
    worker = DeliveryWorker(db, settings, Bus(), {"webchat": sender})
    for i in range(3):
        await engine.handle(event("mia", f"text {i}", event_id=f"mia-{i}"))
    await drain(worker)
    ids = [d.outbox_id for d in sender.sent]
    assert ids == sorted(ids) and len(ids) == 3


async def test_an_unreachable_customer_is_marked_and_never_sent_again(
    db: Database, settings: Settings
) -> None:
    from bot.channels import Delivery, SendResult, Unreachable

    class Blocked:
        channel = "webchat"
        calls = 0

        async def send(self, delivery: Delivery) -> SendResult:
            Blocked.calls += 1
            return Unreachable("403 blocked")

    engine = Engine(db, settings, Bus())
    worker = DeliveryWorker(db, settings, Bus(), {"webchat": Blocked()})
    await engine.handle(event("nina", "hello"))
    await drain(worker)
    await engine.handle(event("nina", "anyone there?"))
    await drain(worker)
    assert Blocked.calls == 1
    async with db.read() as s:
        identity = (await s.execute(select(ChannelIdentity))).scalar_one()
    assert identity.unreachable_at is not None


async def test_the_running_worker_is_woken_by_new_rows(db: Database, settings: Settings) -> None:
    import asyncio

    bus = Bus()
    engine = Engine(db, settings.model_copy(update={"delivery_poll_interval": 30.0}), bus)
    sender = CollectingSender()
    worker = DeliveryWorker(
        db, settings.model_copy(update={"delivery_poll_interval": 30.0}), bus, {"webchat": sender}
    )
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.1)
        await engine.handle(event("olga", "hello"))
        await eventually(lambda: sender.sent, timeout=5)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_backoff_grows_and_honours_retry_after() -> None:
    assert all(0 <= backoff(1, 1.0, 300) <= 1.0 for _ in range(50))
    assert all(0 <= backoff(5, 1.0, 300) <= 16.0 for _ in range(50))
    assert all(backoff(9, 1.0, 10) <= 10 for _ in range(50))
    assert backoff(1, 1.0, 300, after=7.5) >= 7.5


async def test_progress_is_recorded_so_a_crash_mid_row_resends_nothing_already_out(
    db: Database, settings: Settings
) -> None:
    """Regression (Telegram has no idempotency key): a failure after some messages of a row were sent
    re-sent them too, because progress was only recorded when send() returned."""
    from bot.channels import Delivery, SendResult, Sent

    out: list[str] = []

    class Fragile:
        channel = "webchat"
        crashed = False

        async def send(self, delivery: Delivery) -> SendResult:
            for i, m in enumerate(delivery.messages[delivery.parts_sent :], start=delivery.parts_sent):
                out.append(m.text)
                assert delivery.progress is not None
                await delivery.progress(i + 1)
                if not Fragile.crashed:
                    Fragile.crashed = True
                    raise ConnectionError("the process died here")
            return Sent(len(delivery.messages))

    engine = Engine(db, settings, Bus())
    worker = DeliveryWorker(db, settings, Bus(), {"webchat": Fragile()})
    await engine.handle(event("pia", "hello"))  # greeting + menu: two messages in one row
    await drain(worker)
    assert out == [
        "Hello! This is the official counseling chat of Beta Me Agent. I can help with your bookings, "
        "and a person from our team is always one tap away.",
        "How can I help you?",
    ]


async def test_a_slow_send_does_not_hold_back_the_next_due_row_of_another_conversation(
    db: Database, settings: Settings
) -> None:
    # Regression: a pass waited for every send it had claimed before claiming again, so an answer
    # that became due meanwhile (e.g. queued behind a row another process had just marked sent)
    # waited for the slowest send of the pass.
    import asyncio

    from bot.channels import Delivery, SendResult

    release = asyncio.Event()
    started: list[str] = []

    class SlowForOne(CollectingSender):
        async def send(self, delivery: Delivery) -> SendResult:
            started.append(delivery.key.user_id)
            if delivery.key.user_id == "slow":
                await release.wait()
            return await super().send(delivery)

    bus = Bus()
    quiet = settings.model_copy(update={"delivery_poll_interval": 30.0})
    engine = Engine(db, quiet, bus)  # no worker attached: its rows are claimed by the running pass
    sender = SlowForOne()
    worker = DeliveryWorker(db, quiet, bus, {"webchat": sender})
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.1)
        await engine.handle(event("slow", "hello"))
        await eventually(lambda: "slow" in started, timeout=5)
        await engine.handle(event("fast", "hello"))
        await eventually(lambda: sender.texts_for("fast"), timeout=5)
        assert not sender.texts_for("slow")  # still out
        release.set()
        await eventually(lambda: sender.texts_for("slow"), timeout=5)
    finally:
        release.set()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
