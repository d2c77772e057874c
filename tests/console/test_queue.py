"""The queue: what it shows, live updates over SSE (across processes on PostgreSQL), atomic claim."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot import modes
from bot.config import Settings
from bot.engine import Engine
from bot.events import ChoiceIn, FollowIn
from storage.db import Database
from storage.models import Conversation, OutboxMessage, Ticket, TranscriptMessage
from storage.repositories import tickets as ticket_repo
from tests.console.support import add_agent, count, running
from tests.support.collecting import event


async def ask_for_person(engine: Engine, user: str, locale: str = "en") -> int:
    await engine.handle(event(user, FollowIn(), locale_hint=locale))
    result = await engine.handle(event(user, ChoiceIn("human")))
    assert result.conversation_id is not None
    return result.conversation_id


async def open_ticket_id(db: Database, conversation_id: int) -> int:
    async with db.read() as s:
        ticket = await ticket_repo.active_ticket(s, conversation_id)
    assert ticket is not None
    return ticket.id


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


async def test_a_customer_asking_for_a_person_is_in_the_queue_without_personal_data(
    console_settings: Settings,
) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        s = await app.login("ann@agency.example")
        conv_id = await ask_for_person(app.engine, "visitor-1", "ko")
        tickets = (await s.client.get("/console/api/queue")).json()["tickets"]
        assert len(tickets) == 1
        t = tickets[0]
        assert (t["conversation_id"], t["reason"], t["status"], t["channel"]) == (
            conv_id,
            "human",
            "open",
            "webchat",
        )
        assert t["language"] == "한국어" and t["reason_label"] == "担当者との会話を希望"
        assert "hello" not in json.dumps(t)  # no message text in the queue


async def test_the_queue_orders_urgent_first_then_longest_waiting(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        s = await app.login("ann@agency.example")
        first = await ask_for_person(app.engine, "early")
        second = await ask_for_person(app.engine, "later")
        third = await ask_for_person(app.engine, "urgent-one")
        async with app.db.write() as db:
            ticket = await ticket_repo.active_ticket(db, third)
            assert ticket is not None
            ticket.priority = "urgent"
        order = [t["conversation_id"] for t in (await s.client.get("/console/api/queue")).json()["tickets"]]
        assert order == [third, first, second]


async def test_the_queue_stream_brings_a_new_ticket_without_reloading(console_settings: Settings) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        s = await app.login("ann@agency.example")
        async with s.client.stream("GET", "/console/api/queue/stream") as stream:
            events = sse_events(stream)
            name, first = await anext(events)
            assert name == "queue" and first["tickets"] == []
            conv_id = await ask_for_person(app.engine, "visitor-2")
            name, update = await asyncio.wait_for(anext(events), 30)
            assert name == "queue"
            assert [t["conversation_id"] for t in update["tickets"]] == [conv_id]


@pytest.mark.postgres
async def test_the_queue_stream_hears_another_server_process(pg_url: str, settings_for: object) -> None:
    """Two apps on one PostgreSQL database: a ticket opened through one reaches the other's stream."""
    settings = settings_for(pg_url)  # type: ignore[operator]
    async with running(settings) as one, running(settings) as two:
        await add_agent(one.db, "ann@agency.example", "Ann")
        s = await one.login("ann@agency.example")
        async with s.client.stream("GET", "/console/api/queue/stream") as stream:
            events = sse_events(stream)
            assert (await anext(events))[1]["tickets"] == []
            conv_id = await ask_for_person(two.engine, "visitor-3")
            _, update = await asyncio.wait_for(anext(events), 30)
            assert [t["conversation_id"] for t in update["tickets"]] == [conv_id]


async def test_concurrent_claims_have_exactly_one_winner(console_settings: Settings) -> None:
    """Five agents' claims at once through five connection pools: one UPDATE wins, on either database."""
    async with running(console_settings) as app:
        agents = [await add_agent(app.db, f"a{i}@agency.example", f"Agent {i}") for i in range(5)]
        conv_id = await ask_for_person(app.engine, "visitor-4")
        ticket_id = await open_ticket_id(app.db, conv_id)
        pools = [Database(console_settings.database_url) for _ in agents]

        async def claim(db: Database, agent: int) -> bool:
            async with db.write() as s:
                return await modes.claim(s, ticket_id, agent, dt.datetime.now(dt.UTC))

        try:
            results = await asyncio.gather(*(claim(db, a) for db, a in zip(pools, agents, strict=True)))
        finally:
            for db in pools:
                await db.dispose()
        assert sorted(results) == [False, False, False, False, True]
        winner = agents[results.index(True)]
        async with app.db.read() as s:
            ticket = await s.get(Ticket, ticket_id)
            conv = await s.get(Conversation, conv_id)
        assert ticket is not None and conv is not None
        assert (ticket.status, ticket.claimed_by, conv.mode) == ("claimed", winner, "agent")


async def test_two_agents_claiming_over_http_one_wins_the_other_sees_who(console_settings: Settings) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        await add_agent(app.db, "ben@agency.example", "Ben")
        ann = await app.login("ann@agency.example")
        ben = await app.login("ben@agency.example")
        conv_id = await ask_for_person(app.engine, "visitor-5")
        ticket_id = await open_ticket_id(app.db, conv_id)
        path = f"/console/tickets/{ticket_id}/claim"
        a, b = await asyncio.gather(ann.post_json(path), ben.post_json(path))
        assert sorted([a.status_code, b.status_code]) == [200, 409]
        won, lost = (a, b) if a.status_code == 200 else (b, a)
        winner = "Ann" if won is a else "Ben"
        assert won.json()["url"] == f"/console/conversations/{conv_id}"
        assert lost.json()["by"] == winner and lost.json()["error"] == f"{winner}さんが既に担当しています。"


async def test_release_and_reassign(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ben_id = await add_agent(app.db, "ben@agency.example", "Ben")
        ann = await app.login("ann@agency.example")
        ben = await app.login("ben@agency.example")
        conv_id = await ask_for_person(app.engine, "visitor-6")
        ticket_id = await open_ticket_id(app.db, conv_id)
        assert (await ann.post_json(f"/console/tickets/{ticket_id}/claim")).status_code == 200
        assert (await ben.post_json(f"/console/tickets/{ticket_id}/release")).status_code == 409  # not Ben's
        assert (
            await ann.post(f"/console/tickets/{ticket_id}/reassign", {"agent_id": str(ben_id)})
        ).status_code == 303
        async with app.db.read() as s:
            ticket = await s.get(Ticket, ticket_id)
            assert ticket is not None and ticket.claimed_by == ben_id
        assert (await ben.post_json(f"/console/tickets/{ticket_id}/release")).status_code == 200
        async with app.db.read() as s:
            ticket = await s.get(Ticket, ticket_id, populate_existing=True)
            conv = await s.get(Conversation, conv_id)
        assert ticket is not None and conv is not None
        assert (ticket.status, ticket.claimed_by, conv.mode) == ("open", None, "queued")


async def test_while_an_agent_owns_it_the_bot_is_silent(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        conv_id = await ask_for_person(app.engine, "visitor-7")
        ticket_id = await open_ticket_id(app.db, conv_id)
        assert (await ann.post_json(f"/console/tickets/{ticket_id}/claim")).status_code == 200
        rows = await count(app.db, OutboxMessage)
        await app.engine.handle(event("visitor-7", "menu"))  # even "menu" does not take it from the agent
        await app.engine.handle(event("visitor-7", "are you there?"))
        assert await count(app.db, OutboxMessage) == rows
        async with app.db.read() as s:
            texts = (
                (
                    await s.execute(
                        select(TranscriptMessage.text).where(
                            TranscriptMessage.conversation_id == conv_id,
                            TranscriptMessage.author == "customer",
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert texts[-2:] == ["menu", "are you there?"]
