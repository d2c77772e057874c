"""bot/limits.py: token buckets, stream gauges and warnings that cannot flood the log; and a flood of
rejected Telegram webhooks logging one warning with a count."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.limits import Gauge, QuietWarnings, RateLimit, retry_after
from tests.fakes.telegram_api import TelegramHarness, telegram_app


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_rate_then_says_when_to_come_back() -> None:
    clock = Clock()
    limit = RateLimit(6, 60.0, clock)
    assert [limit.take("v") for _ in range(6)] == [None] * 6
    wait = limit.take("v")
    assert wait is not None and 9.9 < wait <= 10.0  # one token every 10 s
    assert retry_after(wait) == "10" and retry_after(0.01) == "1"
    assert limit.take("another") is None  # each key has its own bucket
    clock.now += 10.0
    assert limit.take("v") is None and limit.take("v") is not None
    clock.now += 3600.0
    assert [limit.take("v") for _ in range(7)].count(None) == 6  # refilled to the burst, no more


def test_a_gauge_caps_what_each_key_holds() -> None:
    gauge = Gauge(2)
    assert gauge.acquire("a") and gauge.acquire("a") and not gauge.acquire("a")
    assert gauge.acquire("b")
    gauge.release("a")
    assert gauge.held("a") == 1 and gauge.acquire("a")
    gauge.release("a")
    gauge.release("a")
    assert gauge.held("a") == 0


def test_quiet_warnings_log_once_a_minute_per_reason_with_a_count(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    quiet = QuietWarnings(logging.getLogger("test.quiet"), 60.0, clock)
    with caplog.at_level(logging.WARNING, logger="test.quiet"):
        logged = [quiet.warning("bad signature") for _ in range(50)] + [quiet.warning("not a body")]
        clock.now += 61
        logged.append(quiet.warning("bad signature"))
    assert logged.count(True) == 3
    records = [(r.getMessage(), getattr(r, "suppressed", None)) for r in caplog.records]
    assert records == [("bad signature", 0), ("not a body", 0), ("bad signature", 49)]


@pytest.fixture
async def tg(settings: Settings) -> AsyncIterator[TelegramHarness]:
    async with telegram_app(settings) as harness:
        yield harness


async def test_a_flood_of_rejected_webhooks_logs_one_warning_per_reason(
    tg: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        forged = [(await tg.post({"update_id": 1}, secret="wrong")).status_code for _ in range(200)]
        garbled = [(await tg.post(b"{not json")).status_code for _ in range(200)]
    assert set(forged) == {403} and set(garbled) == {400}
    rejected = [r.getMessage() for r in caplog.records if "webhook rejected" in r.getMessage()]
    assert sorted(rejected) == [
        "telegram: webhook rejected: missing or wrong secret token",
        "telegram: webhook rejected: not an update",
    ]
