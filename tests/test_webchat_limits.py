"""The web chat against cheap abuse: floods answered 429, capped streams with a lifetime, malformed input
a 400 (never a 500), and the small things (no-store history, a Secure cookie behind https)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable

import httpx
from sqlalchemy import func, select

from bot.config import Settings
from bot.limits import StreamSlots
from storage.db import Database
from storage.models import Ticket
from tests.support.server import serve_app
from tests.support.wait import eventually

HUMAN = "I want to talk to a person"


async def post(client: httpx.AsyncClient, payload: dict[str, object]) -> httpx.Response:
    return await client.post("/api/chat/messages", json=payload)


async def tickets(settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        async with db.read() as s:
            return int((await s.execute(select(func.count()).select_from(Ticket))).scalar_one())
    finally:
        await db.dispose()


async def test_a_flood_of_talk_to_a_person_is_cut_by_429_and_makes_one_ticket(
    settings_for: Callable[..., Settings], db_url: str
) -> None:
    settings = settings_for(db_url, webchat_messages_per_minute=10)
    async with serve_app(settings) as base, httpx.AsyncClient(base_url=base, timeout=20) as client:
        await client.get("/")
        started = time.monotonic()
        answers = [await post(client, {"id": f"flood-{i:05d}", "text": HUMAN}) for i in range(100)]
        assert time.monotonic() - started < 5
        statuses = [a.status_code for a in answers]
        assert statuses[:10] == [200] * 10 and statuses.count(429) == 90
        refused = answers[-1]
        assert int(refused.headers["retry-after"]) >= 1 and "error" in refused.json()
        await eventually(lambda: _tickets_are(settings, 1))
        # The same flood without a rate limit still opens one ticket: one open ticket per conversation.
    unlimited = settings_for(db_url, webchat_messages_per_minute=1000)
    async with serve_app(unlimited) as base, httpx.AsyncClient(base_url=base, timeout=20) as client:
        await client.get("/")
        answers = [await post(client, {"id": f"again-{i:05d}", "text": HUMAN}) for i in range(100)]
        assert {a.status_code for a in answers} == {200}
        await eventually(lambda: _tickets_are(settings, 2))
        await asyncio.sleep(0.5)
        assert await tickets(settings) == 2


async def _tickets_are(settings: Settings, n: int) -> bool:
    return await tickets(settings) == n


async def test_new_visitors_and_addresses_are_limited(
    settings_for: Callable[..., Settings], db_url: str
) -> None:
    settings = settings_for(db_url, webchat_new_visitors_per_hour=3, webchat_address_messages_per_minute=5)
    async with serve_app(settings) as base:
        pages = []
        for _ in range(4):
            async with httpx.AsyncClient(base_url=base) as fresh:
                pages.append(await fresh.get("/"))
        assert [p.status_code for p in pages] == [200, 200, 200, 429]
        assert int(pages[-1].headers["retry-after"]) > 60  # a new visitor a hour: minutes away
        assert "cb_visitor" not in pages[-1].cookies
        async with httpx.AsyncClient(base_url=base) as cookieless:
            r = await post(cookieless, {"id": "nocookie-01", "start": True})
            assert r.status_code == 429
        # Visitors who already have their cookie share their address's allowance of messages.
        statuses = []
        for visitor in range(2):
            async with httpx.AsyncClient(base_url=base, cookies=pages[visitor].cookies) as client:
                for i in range(4):
                    statuses.append(
                        (await post(client, {"id": f"addr-{visitor}-{i:04d}", "start": True})).status_code
                    )
        # The cookieless attempt above took one of the address's 5 messages.
        assert statuses.count(200) == 4 and statuses.count(429) == 4


async def test_streams_are_capped_per_visitor_and_end_after_their_lifetime(
    settings_for: Callable[..., Settings], db_url: str
) -> None:
    settings = settings_for(db_url, webchat_streams_per_visitor=2, webchat_stream_lifetime=1.5)
    async with serve_app(settings) as base, httpx.AsyncClient(base_url=base, timeout=10) as client:
        await post(client, {"id": "start-00001", "start": True})
        async with (
            client.stream("GET", "/api/chat/stream") as one,
            client.stream("GET", "/api/chat/stream") as two,
        ):
            assert one.status_code == two.status_code == 200
            third = await client.get("/api/chat/stream")
            assert third.status_code == 429 and int(third.headers["retry-after"]) >= 1
            started = time.monotonic()
            lines = [line async for line in one.aiter_lines()]  # ends by itself at its lifetime
            assert 1.0 < time.monotonic() - started < 5
            ids = [int(line.removeprefix("id: ")) for line in lines if line.startswith("id: ")]
            assert ids and "retry: 2000" in lines
        # Both closed: the slots are free again; resuming after the last id sends nothing twice.
        async with client.stream("GET", "/api/chat/stream", headers={"Last-Event-ID": str(ids[-1])}) as again:
            assert again.status_code == 200
            resumed = [line async for line in again.aiter_lines()]
            assert not [line for line in resumed if line.startswith("id: ")]


async def test_a_stream_wakes_on_the_bus_without_polling(
    settings_for: Callable[..., Settings], db_url: str
) -> None:
    # A fallback poll far beyond the test: a reply that arrives quickly came by the bus.
    settings = settings_for(db_url, webchat_stream_poll_interval=300)
    async with serve_app(settings) as base, httpx.AsyncClient(base_url=base, timeout=10) as client:
        await post(client, {"id": "start-00002", "start": True})
        async with client.stream("GET", "/api/chat/stream") as stream:
            lines = stream.aiter_lines()
            seen = 0
            async for line in lines:
                if line.startswith("data: "):
                    seen += 1
                    break
            started = time.monotonic()
            await post(client, {"id": "hello-00002", "text": "hello"})
            async for line in lines:
                if line.startswith("data: "):
                    data = json.loads(line.removeprefix("data: "))
                    break
            assert time.monotonic() - started < 3 and data["messages"]


async def test_malformed_json_is_a_400_never_a_500(settings: Settings) -> None:
    async with serve_app(settings) as base, httpx.AsyncClient(base_url=base) as client:
        await client.get("/")
        cases = [
            b'{"id": "surrogate-1", "text": "\\ud800"}',
            b'{"id": "surrogate-2", "choice": "human", "token": "\\udfff"}',
            b"[" * 100_000 + b"]" * 100_000,
            b'{"a":' * 40_000 + b"1" + b"}" * 40_000,
        ]
        for body in cases:
            r = await client.post(
                "/api/chat/messages", content=body, headers={"content-type": "application/json"}
            )
            assert r.status_code == 400, body[:40]
            assert r.json() == {"error": "malformed JSON"}


async def test_history_is_not_cached_and_the_cookie_is_secure_behind_https(
    settings_for: Callable[..., Settings], db_url: str
) -> None:
    settings = settings_for(db_url, public_url="https://chat.example.jp")
    async with serve_app(settings) as base, httpx.AsyncClient(base_url=base) as client:
        page = await client.get("/")
        assert "secure" in page.headers["set-cookie"].lower()  # the hop is plain http
        # httpx keeps a Secure cookie to https: sent by hand, as a browser behind https would.
        cookie = {"cookie": f"cb_visitor={page.cookies['cb_visitor']}"}
        client.cookies.clear()
        empty = await client.get("/api/chat/history", headers=cookie)
        assert empty.headers["cache-control"] == "no-store"
        await client.post("/api/chat/messages", json={"id": "start-00003", "start": True}, headers=cookie)
        await eventually(lambda: _history_shows(client, cookie))
        full = await client.get("/api/chat/history", headers=cookie)
        assert full.json()["messages"] and full.headers["cache-control"] == "no-store"
    plain = settings_for(db_url)
    async with serve_app(plain) as base, httpx.AsyncClient(base_url=base) as client:
        assert "secure" not in (await client.get("/")).headers["set-cookie"].lower()


async def _history_shows(client: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    return bool((await client.get("/api/chat/history", headers=headers)).json()["messages"])


def test_stream_slots_displace_the_busiest_address_and_never_the_newcomers_own() -> None:
    slots = StreamSlots(3)
    flood = [slots.acquire("203.0.113.9") for _ in range(3)]
    assert all(e is not None for e in flood) and slots.open == 3
    # The flooder at the cap: it already holds the most, so it is refused, not given its own slot.
    assert slots.acquire("203.0.113.9") is None
    office = slots.acquire("198.51.100.7")
    assert office is not None and slots.open == 3
    assert [e.is_set() for e in flood if e is not None] == [True, False, False]  # the oldest ended
    # A displaced stream's own release later changes nothing; the others' free their slot.
    slots.release("203.0.113.9", flood[0])  # type: ignore[arg-type]
    assert slots.open == 3
    slots.release("203.0.113.9", flood[1])  # type: ignore[arg-type]
    assert slots.open == 2
    # Two addresses with one stream each at the cap: neither holds more than a newcomer would.
    even = StreamSlots(2)
    assert even.acquire("a") and even.acquire("b")
    assert even.acquire("c") is None


def _from(base: str, address: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=base, timeout=10, transport=transport)


async def test_idle_streams_from_a_few_addresses_do_not_keep_another_customers_stream_out(
    settings_for: Callable[..., Settings], db_url: str
) -> None:
    # Per-address caps alone let ~130 addresses hold all 4,000 connections with idle streams.
    settings = settings_for(db_url, webchat_max_streams=3, webchat_streams_per_visitor=3)
    async with (
        serve_app(settings) as base,
        _from(base, "127.0.0.2") as flood,
        _from(base, "127.0.0.3") as customer,
    ):
        await post(flood, {"id": "flood-00001", "start": True})
        await post(customer, {"id": "customer-01", "start": True})
        async with contextlib.AsyncExitStack() as held:
            streams = [
                await held.enter_async_context(flood.stream("GET", "/api/chat/stream")) for _ in range(3)
            ]
            assert [s.status_code for s in streams] == [200, 200, 200]
            assert (await flood.get("/api/chat/stream")).status_code == 429
            async with customer.stream("GET", "/api/chat/stream") as mine:
                assert mine.status_code == 200
                # The flood's oldest stream was told to end, and does, well before its lifetime.
                ended = [line async for line in streams[0].aiter_lines()]
                assert "retry: 2000" in ended
