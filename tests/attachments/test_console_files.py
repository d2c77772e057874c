"""Attachments in the console: live in the conversation's stream (pending, then the thumbnail), the
content only for signed-in agents (401 otherwise), never cached, documents downloaded, every view
audited; "could not be fetched" when the platform never delivered it; a location with its map link."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import select

from bot.config import Settings
from storage.models import AuditEntry, Conversation
from tests.attachments.support import World, world
from tests.console.support import add_agent, count, ja, signed_in
from tests.console.test_queue import sse_events
from tests.fakes.content import Content, jpeg_with_gps, pdf


async def conversation_id(w: World) -> int:
    async with w.db.read() as s:
        return int((await s.execute(select(Conversation.id))).scalar_one())


async def until(events: Any, want: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    async def wait() -> dict[str, Any]:
        async for name, data in events:
            if name == "attachments":
                for a in data["attachments"]:
                    if want(a):
                        return dict(a)
        raise AssertionError("stream ended")

    return await asyncio.wait_for(wait(), 30)


async def test_an_agent_sees_the_photo_arrive_live_and_opens_it(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        await add_agent(w.db, "ann@agency.example", "Ann")
        w.line.contents["354718705033693859"] = Content(jpeg_with_gps(), "image/jpeg")
        await w.post_line(w.line_event("image"))
        conv_id = await conversation_id(w)
        async with signed_in(str(w.http.base_url), "ann@agency.example") as ann:
            async with ann.client.stream("GET", f"/console/api/conversations/{conv_id}/stream") as stream:
                events = sse_events(stream)
                pending = await until(events, lambda a: a["status"] == "pending")
                assert pending["kind"] == "image" and pending["entry"] and "url" not in pending
                await w.run_jobs()
                ready = await until(events, lambda a: a["status"] == "fetched")
            assert ready["thumb"].startswith("/console/api/files/") and ready["size"].endswith("KB")
            token = ready["url"].rsplit("/", 1)[-1]
            assert len(token) >= 43 and token != str(ready["id"]), "256 random bits, not the row id"
            thumb = await ann.client.get(ready["thumb"])
            assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
            assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320
            full = await ann.client.get(ready["url"])
            assert full.status_code == 200
            assert full.headers["cache-control"] == "no-store"
            assert full.headers["x-content-type-options"] == "nosniff"
            assert full.headers["content-disposition"].startswith("inline;")
            assert "sandbox" in full.headers["content-security-policy"]
            assert dict(Image.open(io.BytesIO(full.content)).getexif()) == {}
            assert (await ann.client.get("/console/api/files/not-a-real-token")).status_code == 404
        assert await count(w.db, AuditEntry, AuditEntry.action == "attachment.view") == 1
        assert await count(w.db, AuditEntry, AuditEntry.action == "attachment.thumbnail") == 1
        async with httpx.AsyncClient(base_url=str(w.http.base_url)) as stranger:
            for path in (ready["url"], ready["thumb"]):
                response = await stranger.get(path)
                assert response.status_code == 401 and response.content != full.content


async def test_a_document_is_listed_with_type_and_size_and_downloaded(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        await add_agent(w.db, "ann@agency.example", "Ann")
        w.line.contents["325708"] = Content(pdf(), "application/pdf")
        await w.post_line(w.line_event("file", message__fileName="紹介状.pdf"))
        await w.run_jobs()
        conv_id = await conversation_id(w)
        async with signed_in(str(w.http.base_url), "ann@agency.example") as ann:
            async with ann.client.stream("GET", f"/console/api/conversations/{conv_id}/stream") as stream:
                doc = await until(sse_events(stream), lambda a: a["status"] == "fetched")
            assert (doc["type_label"], doc["name"], doc["thumb"]) == (ja("PDF document"), "紹介状.pdf", None)
            response = await ann.client.get(doc["url"])
        assert response.headers["content-type"] == "application/pdf"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;") and "%E7%B4%B9%E4%BB%8B%E7%8A%B6.pdf" in disposition
        assert response.content == pdf()


async def test_a_file_never_fetched_shows_could_not_be_fetched(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url, attachment_fetch_attempts=2) as w:
        await add_agent(w.db, "ann@agency.example", "Ann")
        w.line.contents["354718705033693859"] = Content(b"", never=True)
        await w.post_line(w.line_event("image"))
        await w.run_until_settled()
        conv_id = await conversation_id(w)
        async with signed_in(str(w.http.base_url), "ann@agency.example") as ann:
            async with ann.client.stream("GET", f"/console/api/conversations/{conv_id}/stream") as stream:
                failed = await until(sse_events(stream), lambda a: a["status"] == "failed")
        assert failed["status_label"] == ja("Could not be fetched") and "url" not in failed


async def test_a_location_shows_coordinates_a_map_link_and_the_address(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        await add_agent(w.db, "ann@agency.example", "Ann")
        await w.post_line(w.line_event("location"))
        conv_id = await conversation_id(w)
        async with signed_in(str(w.http.base_url), "ann@agency.example") as ann:
            async with ann.client.stream("GET", f"/console/api/conversations/{conv_id}/stream") as stream:
                place = await until(sse_events(stream), lambda a: a["kind"] == "location")
        assert place["coordinates"] == "35.679660, 139.736690"
        assert place["map"] == (
            "https://www.openstreetmap.org/?mlat=35.679660&mlon=139.736690#map=17/35.679660/139.736690"
        )
        assert "Kioicho" in place["place"]
