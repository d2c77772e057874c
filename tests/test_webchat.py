from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from bot.config import Settings
from storage.db import Database
from storage.models import InboxEvent, TranscriptMessage
from tests.support.server import serve_app
from tests.support.wait import eventually


async def history(client: httpx.AsyncClient) -> list[dict[str, object]]:
    return list((await client.get("/api/chat/history")).json()["messages"])


async def bot_texts(client: httpx.AsyncClient) -> list[str]:
    return [str(m["text"]) for m in await history(client) if m["author"] != "customer"]


async def test_hello_shows_the_menu_and_a_person_can_be_asked_for(settings: Settings) -> None:
    async with serve_app(settings) as base, httpx.AsyncClient(base_url=base) as client:
        page = await client.get("/")
        assert page.status_code == 200 and "counseling chat" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        r = await client.post("/api/chat/messages", json={"id": "hello-0001", "text": "hello"})
        assert r.json() == {"status": "handled"}
        await eventually(lambda: _has(client, "How can I help you?"))
        menu = [m for m in await history(client) if m.get("message", {}).get("kind") == "choices"][-1]  # type: ignore[union-attr]
        token = menu["message"]["token"]  # type: ignore[index]
        r = await client.post(
            "/api/chat/messages", json={"id": "human-0001", "choice": "human", "token": token}
        )
        assert r.json() == {"status": "handled"}
        await eventually(lambda: _has(client, "Thank you. I have asked a person from our team to take over"))


async def _has(client: httpx.AsyncClient, text: str) -> bool:
    return any(text in t for t in await bot_texts(client))


async def test_replies_stream_over_sse(settings: Settings) -> None:
    async with serve_app(settings) as base, httpx.AsyncClient(base_url=base, timeout=10) as client:
        await client.post("/api/chat/messages", json={"id": "start-0001", "start": True})
        async with client.stream("GET", "/api/chat/stream?after=0") as stream:
            lines = []
            async for line in stream.aiter_lines():
                lines.append(line)
                if line.startswith("data: "):
                    break
        data = json.loads(lines[-1].removeprefix("data: "))
        assert data["messages"][-1]["text"] == "How can I help you?"


async def test_bad_input_gets_a_clear_answer_and_changes_nothing(settings: Settings) -> None:
    async with serve_app(settings) as base, httpx.AsyncClient(base_url=base) as client:
        await client.get("/")
        cases = [
            (b"{not json", 400),
            (b"[1, 2]", 400),
            (json.dumps({"text": "no id"}).encode(), 400),
            (json.dumps({"id": "short"}).encode(), 400),
            (json.dumps({"id": "toolong-0001", "text": "x" * 4001}).encode(), 413),
            (json.dumps({"id": "badchoice-1", "choice": "<script>"}).encode(), 400),
            (json.dumps({"id": "baddate-001", "date": "2026-13-45"}).encode(), 400),
            (b"\xff\xfe\xfa", 400),
            (b"x" * (settings.max_body_bytes + 1), 413),
        ]
        for body, status in cases:
            r = await client.post(
                "/api/chat/messages", content=body, headers={"content-type": "application/json"}
            )
            assert r.status_code == status, body[:40]
            assert "error" in r.json()
    db = Database(settings.database_url)
    try:
        async with db.read() as s:
            assert (await s.execute(select(func.count()).select_from(InboxEvent))).scalar_one() == 0
            assert (await s.execute(select(func.count()).select_from(TranscriptMessage))).scalar_one() == 0
    finally:
        await db.dispose()


async def test_a_retried_post_is_answered_once(settings: Settings) -> None:
    async with serve_app(settings) as base, httpx.AsyncClient(base_url=base) as client:
        statuses = [
            (await client.post("/api/chat/messages", json={"id": "same-00001", "text": "hello"})).json()[
                "status"
            ]
            for _ in range(3)
        ]
        assert statuses == ["handled", "duplicate", "duplicate"]
        await eventually(lambda: _has(client, "How can I help you?"))
        assert sum(t.startswith("How can I help you?") for t in await bot_texts(client)) == 1


async def test_an_unknown_button_is_re_asked(settings: Settings) -> None:
    async with serve_app(settings) as base, httpx.AsyncClient(base_url=base) as client:
        await client.post("/api/chat/messages", json={"id": "start-0002", "start": True})
        await client.post(
            "/api/chat/messages", json={"id": "press-0002", "choice": "nonexistent", "token": "1"}
        )
        await eventually(lambda: _has(client, "Please choose one of the options below, or type its number."))


@pytest.mark.parametrize("forged", ["", "garbage", "InZpc2l0b3Ii.forged"])
async def test_a_forged_visitor_cookie_is_a_new_visitor(settings: Settings, forged: str) -> None:
    async with serve_app(settings) as base, httpx.AsyncClient(base_url=base) as client:
        await client.post("/api/chat/messages", json={"id": "mine-00001", "text": "my booking"})
        other = httpx.AsyncClient(base_url=base, cookies={"cb_visitor": forged})
        async with other:
            assert (await other.get("/api/chat/history")).json()["messages"] == []


async def test_the_page_speaks_the_visitors_language(settings: Settings) -> None:
    from bot.handlers.webchat.routes import PAGE_TEXT
    from bot.i18n import Translator

    async with serve_app(settings) as base, httpx.AsyncClient(base_url=base) as client:
        ja = await client.get("/", headers={"accept-language": "ja-JP,ja;q=0.9,en;q=0.5"})
        ko = await client.get("/?lang=ko")
    assert '<html lang="ja">' in ja.text and Translator("ja").render(PAGE_TEXT["send"]) in ja.text
    assert ja.text.count("公式カウンセリングチャット") == 1
    assert '<html lang="ko">' in ko.text and Translator("ko").render(PAGE_TEXT["placeholder"]) in ko.text
