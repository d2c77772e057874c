"""Two real `counselbot serve` processes on one PostgreSQL, LINE and Telegram webhooks hitting either:
every event stored once, answers in order per conversation, every reply delivered (LINE exactly once,
Telegram with duplicates counted), a redelivery to the other process changes nothing, and the console
on one process sees live what happens on the other (LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.bus import Bus, pg_dsn_from_url
from storage.db import Database
from storage.models import InboxEvent, OutboxMessage, TranscriptMessage
from tests.console.support import add_agent, signed_in
from tests.fakes.line_api import (
    ACCESS_TOKEN,
    CHANNEL_SECRET,
    FakeLine,
    event_from,
    run_fake_line,
    sign,
    webhook_body,
)
from tests.fakes.telegram_api import WEBHOOK_SECRET, FakeTelegram, now, run_fake_telegram, update_from
from tests.support.processes import serve_process
from tests.support.wait import eventually

pytestmark = pytest.mark.postgres

LINE_USERS = [f"U{i:032x}" for i in range(1, 7)]
TG_CHATS = [4_400_001 + i for i in range(4)]
PER_CUSTOMER = 5


def env(line: FakeLine, tg: FakeTelegram) -> dict[str, str]:
    return {
        "COUNSELBOT_LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "COUNSELBOT_LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "COUNSELBOT_LINE_API_BASE": line.base_url,
        "COUNSELBOT_TELEGRAM_BOT_TOKEN": tg.token,
        "COUNSELBOT_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "COUNSELBOT_TELEGRAM_API_BASE": tg.base_url,
        "COUNSELBOT_SCHEDULER_ENABLED": "false",
    }


@contextlib.asynccontextmanager
async def servers(url: str, workdir: Path, extra: dict[str, str], n: int = 2) -> AsyncIterator[list[str]]:
    """`n` server processes; started in a thread so the fakes in this loop keep answering meanwhile."""
    with contextlib.ExitStack() as stack:

        def start() -> str:
            base, _ = stack.enter_context(serve_process(url, workdir, extra))
            return base

        bases = [await asyncio.to_thread(start) for _ in range(n)]
        try:
            yield bases
        finally:
            await asyncio.to_thread(stack.close)


@dataclass
class Traffic:
    http: httpx.AsyncClient
    bases: list[str]
    line: FakeLine
    tg: FakeTelegram
    # Per LINE user, the reply tokens in the order the events were sent.
    tokens: dict[str, list[str]] = field(default_factory=dict)
    bodies: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)
    n: int = 0

    def base(self) -> str:
        self.n += 1
        return self.bases[self.n % len(self.bases)]

    async def post(self, base: str, path: str, body: bytes, headers: dict[str, str]) -> None:
        response = await self.http.post(f"{base}{path}", content=body, headers=headers)
        while response.status_code == 503:
            # Over capacity (bot.ops.backpressure): the platform redelivers after Retry-After.
            await asyncio.sleep(float(response.headers["retry-after"]))
            response = await self.http.post(f"{base}{path}", content=body, headers=headers)
        assert response.status_code == 200, response.text

    async def line_text(self, user: str, text: str) -> None:
        token = self.line.issue_reply_token(user)
        self.tokens.setdefault(user, []).append(token)
        body = webhook_body(event_from("text", user_id=user, reply_token=token, message__text=text))
        headers = {"x-line-signature": sign(body), "content-type": "application/json"}
        self.bodies.append(("/webhooks/line", body, headers))
        await self.post(self.base(), "/webhooks/line", body, headers)

    async def tg_text(self, chat: int, update_id: int, text: str) -> None:
        update = update_from("text_message", update_id=update_id, chat_id=chat, text=text, date=now())
        body = json.dumps(update).encode()
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET, "content-type": "application/json"}
        self.bodies.append(("/webhooks/telegram", body, headers))
        await self.post(self.base(), "/webhooks/telegram", body, headers)


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    name, data = "", ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
        elif line == "" and name:
            yield name, json.loads(data)
            name, data = "", ""


async def scalar(db: Database, stmt: Any) -> Any:
    async with db.read() as s:
        return (await s.execute(stmt)).scalar_one()


async def settled(db: Database) -> bool:
    async with db.read() as s:
        statuses = list((await s.execute(select(OutboxMessage.status))).scalars())
    return bool(statuses) and all(st == "sent" for st in statuses)


async def test_two_server_processes_share_the_work_without_losing_or_doubling(
    pg_url: str, tmp_path: Path
) -> None:
    db = Database(pg_url)
    listener = Bus(pg_dsn_from_url(pg_url))
    await listener.start()
    try:
        async with (
            run_fake_line() as line,
            run_fake_telegram() as tg,
            servers(pg_url, tmp_path, env(line, tg)) as bases,
            httpx.AsyncClient(timeout=30) as http,
        ):
            traffic = Traffic(http, bases, line, tg)

            async def line_customer(user: str) -> None:
                for i in range(PER_CUSTOMER):
                    await traffic.line_text(user, f"question {i}")

            async def tg_customer(k: int, chat: int) -> None:
                for i in range(PER_CUSTOMER):
                    await traffic.tg_text(chat, 1_000_000 + k * 100 + i, f"question {i}")

            await asyncio.gather(
                *(line_customer(u) for u in LINE_USERS), *(tg_customer(k, c) for k, c in enumerate(TG_CHATS))
            )
            await eventually(lambda: settled(db), timeout=60)
            events = (len(LINE_USERS) + len(TG_CHATS)) * PER_CUSTOMER
            assert await scalar(db, select(func.count()).select_from(InboxEvent)) == events

            # The redelivery storm: every webhook again to each process, all at once.
            await asyncio.gather(
                *(
                    traffic.post(base, path, body, headers)
                    for path, body, headers in traffic.bodies
                    for base in bases
                )
            )
            await eventually(lambda: settled(db), timeout=60)
            assert await scalar(db, select(func.count()).select_from(InboxEvent)) == events
            assert await scalar(db, select(func.count()).select_from(OutboxMessage)) == events

            # LINE: each event answered exactly once, with its own reply token, in the order sent.
            accepted = [r for r in line.of("reply") if r.status == 200]
            assert sorted(r.body["replyToken"] for r in accepted) == sorted(
                t for ts in traffic.tokens.values() for t in ts
            )
            assert line.of("push") == []
            for user, tokens in traffic.tokens.items():
                answered = [r.body["replyToken"] for r in accepted if r.body["replyToken"] in tokens]
                assert answered == tokens, f"answers to {user} out of order"

            # Telegram: every part sent; duplicates (allowed, counted) — none without faults.
            async with db.read() as s:
                parts = dict(
                    (
                        await s.execute(
                            select(OutboxMessage.user_id, func.sum(OutboxMessage.parts_sent))
                            .where(OutboxMessage.channel == "telegram")
                            .group_by(OutboxMessage.user_id)
                        )
                    ).all()
                )
            for chat in TG_CHATS:
                calls = [c for c in tg.calls_of("sendMessage") if str(c.params.get("chat_id")) == str(chat)]
                assert len(calls) == parts[str(chat)], (
                    f"duplicates to {chat}: {len(calls) - parts[str(chat)]}"
                )

            # The customers' messages are in each transcript once, in the order they were sent.
            async with db.read() as s:
                rows = (
                    await s.execute(
                        select(TranscriptMessage.conversation_id, TranscriptMessage.text)
                        .where(TranscriptMessage.author == "customer")
                        .order_by(TranscriptMessage.id)
                    )
                ).all()
            per_conv: dict[int, list[str]] = {}
            for conv, text in rows:
                per_conv.setdefault(conv, []).append(text)
            expected = [f"question {i}" for i in range(PER_CUSTOMER)]
            assert len(per_conv) == len(LINE_USERS) + len(TG_CHATS)
            assert all(texts == expected for texts in per_conv.values())

            # The console on process A sees live what a customer does on process B.
            await add_agent(db, "ann@agency.example", "Ann")
            async with (
                signed_in(bases[0], "ann@agency.example") as agent,
                listener.subscribe("tickets") as heard,
                agent.client.stream("GET", "/console/api/queue/stream") as stream,
            ):
                queue = sse_events(stream)
                name, first = await anext(queue)
                assert (name, first["tickets"]) == ("queue", [])
                token = line.issue_reply_token(LINE_USERS[0])
                body = webhook_body(
                    event_from(
                        "text", user_id=LINE_USERS[0], reply_token=token, message__text="talk to a person"
                    )
                )
                await traffic.post(bases[1], "/webhooks/line", body, {"x-line-signature": sign(body)})
                # Process B's NOTIFY reached this process...
                assert await heard.get(timeout=30) is not None
                # ...and process A's console stream shows the new ticket.
                async with asyncio.timeout(30):
                    name, update = await anext(queue)
                assert name == "queue" and len(update["tickets"]) == 1
    finally:
        await listener.stop()
        await db.dispose()
    assert_clean_logs(tmp_path)


def assert_clean_logs(workdir: Path) -> None:
    """A server log with a traceback or an error means something went wrong the counts may not show."""
    for log in workdir.glob("serve-*.log"):
        text = log.read_text()
        assert "Traceback" not in text and "ERROR" not in text, text[-2000:]
