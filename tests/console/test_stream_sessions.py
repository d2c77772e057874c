"""Console streams end with their session: on sign-out, when the agent is disabled or their role changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.config import Settings
from bot.console import sse
from tests.console.support import Session, add_agent, running
from tests.console.test_queue import ask_for_person


async def opened(stream: httpx.Response, first: str) -> AsyncIterator[str]:
    """The stream's lines, once its first event (`first`) came."""
    assert stream.status_code == 200
    lines = stream.aiter_lines()
    while (await anext(lines)) != f"event: {first}":
        pass
    return lines


async def until_closed(lines: AsyncIterator[str], seconds: float) -> None:
    """Reads until the server ends the stream; a stream left open fails the test."""

    async def drain() -> None:
        async for _ in lines:
            pass

    await asyncio.wait_for(drain(), seconds)


async def test_a_queue_stream_ends_soon_after_sign_out(
    console_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sse, "RECHECK", 0.5)
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        s = await app.login("ann@agency.example")
        async with s.client.stream("GET", "/console/api/queue/stream") as stream:
            lines = await opened(stream, "queue")
            assert (await s.post("/console/logout")).status_code == 303
            await until_closed(lines, 20)
        again = await s.client.get("/console/api/queue/stream", headers={"Accept": "application/json"})
        assert again.status_code == 401


async def change(admin: Session, agent_id: int, **form: str) -> None:
    answer = await admin.post(f"/console/admin/agents/{agent_id}", form)
    assert answer.status_code == 303, answer.text


@pytest.mark.parametrize("form", [{"action": "disable"}, {"action": "role", "role": "admin"}])
async def test_a_conversation_stream_ends_when_an_admin_disables_the_agent_or_changes_the_role(
    console_settings: Settings, form: dict[str, str]
) -> None:
    # No shortened recheck: the admin's change reaches the stream over the bus at once.
    async with running(console_settings) as app:
        ann = await add_agent(app.db, "ann@agency.example", "Ann")
        await add_agent(app.db, "root@agency.example", "Root", role="admin")
        s = await app.login("ann@agency.example")
        admin = await app.login("root@agency.example")
        conv_id = await ask_for_person(app.engine, "visitor-9")
        async with s.client.stream("GET", f"/console/api/conversations/{conv_id}/stream") as stream:
            lines = await opened(stream, "transcript")
            await change(admin, ann, **form)
            await until_closed(lines, 5)  # well before the 10 s recheck: the bus said so


async def test_an_agents_bidi_controls_are_visible_codes_in_the_queues_json(
    console_settings: Settings,
) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "mallory@agency.example", "Mallory\u202egnp.exe")
        s = await app.login("mallory@agency.example")
        conv_id = await ask_for_person(app.engine, "visitor-rlo")
        [ticket] = (await s.client.get("/console/api/queue")).json()["tickets"]
        assert (await s.post_json(f"/console/tickets/{ticket['id']}/claim")).status_code == 200
        raw = (await s.client.get("/console/api/queue")).text
        assert "\u202e" not in raw and "\\u202e" not in raw.lower()
        [claimed] = (await s.client.get("/console/api/queue")).json()["tickets"]
        assert claimed["claimed_by"] == "Mallory[U+202E]gnp.exe"
        async with s.client.stream("GET", f"/console/api/conversations/{conv_id}/stream") as stream:
            lines = stream.aiter_lines()
            while not (line := await anext(lines)).startswith("data: {") or '"claimed_by"' not in line:
                pass
            assert "\u202e" not in line and "Mallory[U+202E]gnp.exe" in line
