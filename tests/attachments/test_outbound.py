"""Agents send photos and PDFs from the console, through the outbox: Telegram sendPhoto/sendDocument
(multipart uploads), LINE image messages from a signed, expiring link under COUNSELBOT_PUBLIC_URL
(documents as a link), the web chat from a link only the visitor's cookie opens."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from urllib.parse import quote

import httpx
from PIL import Image
from sqlalchemy import select

from bot.attachments.outbound import signed_path
from bot.config import Settings
from storage.models import Attachment, Ticket
from tests.attachments.support import LINE_USER, World, world
from tests.console.support import Session, add_agent, signed_in
from tests.fakes.content import CAMERA, Content, jpeg_with_gps, pdf, windows_exe
from tests.fakes.telegram_api import CHAT_ID, update_from
from tests.support.wait import eventually

PUBLIC = "https://counsel.example"


async def claimed(w: World, ann: Session) -> int:
    """The ticket the customer's photo opened, claimed by Ann; returns its conversation id."""
    await w.outbox_settled()
    async with w.db.read() as s:
        ticket = (await s.execute(select(Ticket))).scalar_one()
    assert (await ann.post_json(f"/console/tickets/{ticket.id}/claim")).status_code == 200
    assert ticket.conversation_id is not None
    return ticket.conversation_id


async def send(ann: Session, conv_id: int, data: bytes, name: str) -> httpx.Response:
    return await ann.client.post(
        f"/console/conversations/{conv_id}/attach",
        content=data,
        headers={"X-CSRF-Token": ann.csrf, "X-File-Name": quote(name), "Accept": "application/json"},
    )


async def test_telegram_gets_a_photo_without_exif_and_a_pdf_as_a_document_exactly_once(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        await add_agent(w.db, "ann@agency.example", "Ann")
        photo = update_from("photo")
        photo["message"]["from"]["language_code"] = "en"
        await w.post_telegram(photo)
        async with signed_in(str(w.http.base_url), "ann@agency.example") as ann:
            conv_id = await claimed(w, ann)
            w.telegram.fail("sendDocument", 500)
            assert (await send(ann, conv_id, pdf(), "visa-letter.pdf")).status_code == 200
            assert (await send(ann, conv_id, jpeg_with_gps(), "map.jpg")).status_code == 200
            refused = await send(ann, conv_id, windows_exe(), "invoice.pdf")
            assert refused.status_code == 415 and "PDF" in refused.json()["error"]
            await eventually(lambda: len(w.telegram.uploads) == 2, timeout=20)
        await w.outbox_settled()
        (m1, chat1, name1, data1), (m2, _, name2, data2) = w.telegram.uploads
        assert (m1, chat1, name1, data1) == ("sendDocument", str(CHAT_ID), "visa-letter.pdf", pdf())
        assert (m2, name2) == ("sendPhoto", "map.jpg")
        assert dict(Image.open(io.BytesIO(data2)).getexif()) == {} and CAMERA.encode() not in data2
        # The 500 was retried: two sendDocument calls, one document delivered.
        assert len(w.telegram.calls_of("sendDocument")) == 2
        outgoing = [a for a in await w.attachments() if a.direction == "out"]
        assert [(a.kind, a.status) for a in outgoing] == [("file", "fetched"), ("image", "fetched")]
        assert all(a.outbox_id for a in outgoing)


async def test_line_gets_an_image_message_from_a_signed_expiring_link(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url, public_url=PUBLIC) as w:
        await add_agent(w.db, "ann@agency.example", "Ann")
        w.line.contents["354718705033693859"] = Content(jpeg_with_gps(), "image/jpeg")
        await w.post_line(w.line_event("image"))
        async with signed_in(str(w.http.base_url), "ann@agency.example") as ann:
            conv_id = await claimed(w, ann)
            assert (await send(ann, conv_id, jpeg_with_gps(), "route.jpg")).status_code == 200
            assert (await send(ann, conv_id, pdf(), "referral.pdf")).status_code == 200
            await eventually(lambda: any("referral.pdf" in t for t in w.line.texts(LINE_USER)), timeout=20)
        image = next(m for m in w.line.messages(LINE_USER) if m["type"] == "image")
        link = re.compile(r"^https://counsel\.example(/files/[\w-]+/(full|thumb)\?e=\d+&s=[0-9a-f]{40})$")
        original, preview = link.match(image["originalContentUrl"]), link.match(image["previewImageUrl"])
        assert original and preview and original.group(2) == "full" and preview.group(2) == "thumb"
        # What LINE's servers fetch (here from the app directly, as nginx would pass it on).
        fetched = await w.http.get(original.group(1))
        assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/jpeg"
        assert dict(Image.open(io.BytesIO(fetched.content)).getexif()) == {}
        tampered = original.group(1)[:-1] + ("0" if original.group(1)[-1] != "0" else "1")
        assert (await w.http.get(tampered)).status_code == 404
        [document] = [m for m in w.line.messages(LINE_USER) if "referral.pdf" in m.get("text", "")]
        assert document["type"] == "text" and document["text"].startswith(
            "📄 referral.pdf\nhttps://counsel.example/files/"
        )


async def test_signed_links_expire_and_never_serve_a_customers_file(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url, public_url=PUBLIC) as w:
        w.line.contents["354718705033693859"] = Content(jpeg_with_gps(), "image/jpeg")
        await w.post_line(w.line_event("image"))
        await w.run_jobs()
        [customers] = await w.attachments()
        secret = "test-secret-key-not-for-production"
        # A valid signature on a customer's file: still refused (only agents' files are public).
        assert (await w.http.get(signed_path(secret, customers.token, "full", 600))).status_code == 404
        expired = signed_path(secret, customers.token, "full", -10)
        assert (await w.http.get(expired)).status_code == 404


async def test_line_without_a_public_https_url_cannot_send_files(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        await add_agent(w.db, "ann@agency.example", "Ann")
        w.line.contents["354718705033693859"] = Content(jpeg_with_gps(), "image/jpeg")
        await w.post_line(w.line_event("image"))
        async with signed_in(str(w.http.base_url), "ann@agency.example") as ann:
            conv_id = await claimed(w, ann)
            response = await send(ann, conv_id, pdf(), "referral.pdf")
        assert response.status_code == 409 and "COUNSELBOT_PUBLIC_URL" in response.json()["error"]
        assert [a.direction for a in await w.attachments()] == ["in"]


async def test_only_the_signed_in_agent_holding_the_ticket_sends(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        await add_agent(w.db, "ann@agency.example", "Ann")
        photo = update_from("photo")
        await w.post_telegram(photo)
        await w.outbox_settled()
        async with w.db.read() as s:
            conv_id = (await s.execute(select(Attachment.conversation_id))).scalar_one()
        async with signed_in(str(w.http.base_url), "ann@agency.example") as ann:
            assert (await send(ann, conv_id, pdf(), "x.pdf")).status_code == 409  # not claimed
        async with httpx.AsyncClient(base_url=str(w.http.base_url)) as stranger:
            response = await stranger.post(f"/console/conversations/{conv_id}/attach", content=pdf())
            assert response.status_code in (401, 403)
        assert w.telegram.uploads == []
