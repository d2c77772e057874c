"""Backpressure on the webhooks: over capacity some webhooks are refused at once with 503 (counted in
/metrics), the rest are served, and after the platform's redelivery every event is stored and answered
exactly once. Real app over HTTP, real line-bot-sdk against the fake LINE API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from bot.ops import backpressure
from bot.ops.metrics import parse
from storage.models import InboxEvent
from tests import test_line_e2e
from tests.fakes.line_api import event_from, sign, webhook_body
from tests.support.wait import eventually
from tests.test_line_e2e import LineBot

line_bot = test_line_e2e.line_bot  # the fixture: the real app with the LINE channel on

USERS = [f"U{i:032x}" for i in range(12)]


async def _post(bot: LineBot, body: bytes) -> httpx.Response:
    return await bot.http.post(
        "/webhooks/line",
        content=body,
        headers={"content-type": "application/json", "x-line-signature": sign(body)},
    )


async def test_overload_refuses_some_fast_serves_the_rest_and_redelivery_answers_each_once(
    db_url: str, line_bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One slot, one waiting place, a short wait: a webhook held by a slow profile lookup fills them.
    monkeypatch.setattr(backpressure, "LIMIT", 1)
    monkeypatch.setattr(backpressure, "QUEUE", 1)
    monkeypatch.setattr(backpressure, "MAX_WAIT", 0.05)
    async with line_bot(db_url) as bot:
        bot.fake.answer_late("profile", 1.0)
        follow = asyncio.create_task(_post(bot, webhook_body(event_from("follow", user_id="U" + "f" * 32))))
        await bot.fake.wait_for(lambda: bool(bot.fake.of("profile")))
        bodies = [
            webhook_body(
                event_from("text", user_id=u, reply_token=bot.fake.issue_reply_token(u), message__text="menu")
            )
            for u in USERS
        ]
        first = await asyncio.gather(*(_post(bot, b) for b in bodies))
        refused = [b for b, r in zip(bodies, first, strict=True) if r.status_code == 503]
        assert refused, [r.status_code for r in first]
        assert all(r.headers["retry-after"] == "1" for r in first if r.status_code == 503)
        assert {r.status_code for r in first} <= {200, 503}
        assert (await follow).status_code == 200

        # The platform redelivers what was refused; everything now fits.
        for body in refused:
            assert (await _post(bot, body)).status_code == 200
        # And a redelivery of what was already served changes nothing.
        for body in bodies:
            assert (await _post(bot, body)).status_code == 200

        await bot.fake.wait_for(lambda: all(len(bot.fake.messages(u)) >= 1 for u in USERS))
        assert await bot.count(InboxEvent) == len(USERS) + 1
        # A reply reaches the platform before its "sent" mark is committed (marks go in batches).
        assert await eventually(bot.outbox_settled, timeout=10)
        for u in USERS:
            assert len(bot.fake.messages(u)) == 1, u

        figures = parse((await bot.http.get("/metrics")).text)
        counted = sum(v for (name, _), v in figures.items() if name == "counselbot_webhook_refused_total")
        assert counted == len(refused)


async def test_pages_other_than_the_webhooks_are_never_refused(
    db_url: str, line_bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backpressure, "LIMIT", 1)
    monkeypatch.setattr(backpressure, "QUEUE", 0)
    async with line_bot(db_url) as bot:
        bot.fake.answer_late("profile", 1.0)
        follow = asyncio.create_task(_post(bot, webhook_body(event_from("follow", user_id="U" + "e" * 32))))
        await bot.fake.wait_for(lambda: bool(bot.fake.of("profile")))
        health = await asyncio.gather(*(bot.http.get("/healthz") for _ in range(5)))
        assert [r.status_code for r in health] == [200] * 5
        body = webhook_body(event_from("text", user_id=USERS[0], message__text="menu"))
        assert (await _post(bot, body)).status_code == 503
        assert (await follow).status_code == 200
