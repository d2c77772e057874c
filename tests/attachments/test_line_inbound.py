"""LINE images, files and locations: stored with the event and acknowledged at once, fetched from the
(fake) content API by the job afterwards, checked from their bytes, cleaned of metadata."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image
from sqlalchemy import select

from bot.config import Settings
from storage.models import Attachment, AttachmentContent, Job, Ticket, TranscriptMessage
from tests.attachments.support import LINE_USER, world
from tests.fakes.content import CAMERA, Content, jpeg_with_gps, oversized, pdf, windows_exe
from tests.support.wait import eventually

THANKS_PHOTO = "Thank you for the photo. A person from our team will look at it."


async def contents_of(w: object, attachment_id: int) -> dict[str, AttachmentContent]:
    async with w.db.read() as s:  # type: ignore[attr-defined]
        rows = await s.execute(
            select(AttachmentContent).where(AttachmentContent.attachment_id == attachment_id)
        )
        return {c.role: c for c in rows.scalars()}


async def test_a_photo_is_acknowledged_before_it_is_fetched_then_kept_without_exif(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        photo = jpeg_with_gps()
        assert b"GPS" in photo or CAMERA.encode() in photo
        w.line.contents["354718705033693859"] = Content(photo, "image/jpeg")
        response = await w.post_line(w.line_event("image"))
        assert response.status_code == 200
        # Stored pending with its job in the event's transaction; nothing fetched yet.
        [att] = await w.attachments()
        assert (att.status, att.kind, att.channel, att.direction) == ("pending", "image", "line", "in")
        assert await w.count(Job, Job.kind == "attachment.fetch", Job.status == "pending") == 1
        assert w.line.of("content") == []
        # The bot thanked the customer and opened a normal ticket for the photo.
        await eventually(lambda: THANKS_PHOTO in w.line.texts(LINE_USER))
        [ticket] = [t for t in await _tickets(w) if t.reason == "attachment"]
        assert ticket.priority == "normal" and "photo" in (ticket.summary or "")

        assert await w.run_jobs() == 1
        [att] = await w.attachments()
        assert att.status == "fetched" and att.mime == "image/jpeg" and att.ticket_id == ticket.id
        stored = await contents_of(w, att.id)
        full = Image.open(io.BytesIO(stored["full"].data))
        assert full.size == (800, 600)
        assert dict(full.getexif()) == {} and CAMERA.encode() not in stored["full"].data
        thumb = Image.open(io.BytesIO(stored["thumb"].data))
        assert max(thumb.size) <= 320 and stored["thumb"].mime == "image/jpeg"
        [request] = w.line.of("content")
        assert request.headers["authorization"] == f"Bearer {w.line.access_token}"


async def test_a_pdf_is_kept_as_a_document_with_its_name(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        w.line.contents["325708"] = Content(pdf(), "application/octet-stream")
        event = w.line_event("file", message__fileName="referral.pdf", message__fileSize=len(pdf()))
        assert (await w.post_line(event)).status_code == 200
        await w.run_jobs()
        [att] = await w.attachments()
        assert (att.status, att.kind, att.mime, att.original_name) == (
            "fetched",
            "file",
            "application/pdf",
            "referral.pdf",
        )
        assert set(await contents_of(w, att.id)) == {"full"}


async def test_a_program_named_like_a_photo_is_refused_politely(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        w.line.contents["325708"] = Content(windows_exe(), "image/jpeg")
        await w.post_line(w.line_event("file", message__fileName="photo.jpg"))
        await w.run_jobs()
        [att] = await w.attachments()
        assert att.status == "refused" and att.error == "type not accepted"
        assert await contents_of(w, att.id) == {}
        await eventually(lambda: any("cannot accept this kind of file" in t for t in w.line.texts(LINE_USER)))


async def test_an_oversized_file_is_refused_before_or_while_reading(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url, attachment_max_bytes=100_000) as w:
        w.line.contents["325708"] = Content(oversized(100_000), "application/pdf")
        # LINE does not always say the size (images never do): counted while reading.
        await w.post_line(w.line_event("file", message__fileSize=None))
        await w.run_jobs()
        [att] = await w.attachments()
        assert att.status == "refused" and att.error == "too large"
        await eventually(lambda: any("too large" in t and "1 MB" in t for t in w.line.texts(LINE_USER)))


async def test_a_content_api_failing_twice_then_succeeding_is_retried_with_backoff(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        w.line.contents["354718705033693859"] = Content(jpeg_with_gps(), "image/jpeg", fail_first=2)
        await w.post_line(w.line_event("image"))
        await w.run_jobs()
        [att] = await w.attachments()
        assert (att.status, att.attempts, att.error) == ("pending", 1, "FetchFailed")
        assert att.next_try_at is not None and att.next_try_at > att.created_at
        await w.run_until_settled()
        [att] = await w.attachments()
        assert att.status == "fetched" and att.attempts == 2
        assert [r.status for r in w.line.of("content")] == [500, 500, 200]


async def test_a_content_api_that_never_answers_leaves_it_could_not_be_fetched(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url, attachment_fetch_attempts=3) as w:
        w.line.contents["354718705033693859"] = Content(b"", never=True)
        await w.post_line(w.line_event("image"))
        await w.run_until_settled()
        [att] = await w.attachments()
        assert (att.status, att.attempts) == ("failed", 3)
        assert len(w.line.of("content")) == 3
        await eventually(lambda: any("could not receive your file" in t for t in w.line.texts(LINE_USER)))


async def test_a_location_needs_no_fetch_and_reads_as_coordinates(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        await w.post_line(w.line_event("location"))
        [att] = await w.attachments()
        assert (att.status, att.kind, att.latitude, att.longitude) == (
            "fetched",
            "location",
            35.67966,
            139.73669,
        )
        assert "Kioicho" in (att.place or "")
        assert await w.count(Job, Job.kind == "attachment.fetch") == 0
        async with w.db.read() as s:
            lines = (
                (
                    await s.execute(
                        select(TranscriptMessage.text).where(TranscriptMessage.author == "customer")
                    )
                )
                .scalars()
                .all()
            )
        assert lines == [
            "[location] 35.679660,139.736690 my location · 1-3 Kioicho, Chiyoda-ku, Tokyo, 102-8282, Japan"
        ]


async def test_a_sticker_gets_a_friendly_answer_and_no_ticket(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        await w.post_line(w.line_event("sticker"))
        await eventually(lambda: any("Thank you for the sticker" in t for t in w.line.texts(LINE_USER)))
        assert await _tickets(w) == []
        assert await w.attachments() == []


async def test_the_same_image_event_twice_is_one_attachment_and_one_fetch(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        w.line.contents["354718705033693859"] = Content(jpeg_with_gps(), "image/jpeg")
        event = w.line_event("image")
        await w.post_line(event)
        await w.post_line(event)
        await w.run_jobs()
        await w.run_jobs()
        assert len(await w.attachments()) == 1
        assert len(w.line.of("content")) == 1


async def _tickets(w: object) -> list[Ticket]:
    async with w.db.read() as s:  # type: ignore[attr-defined]
        return list((await s.execute(select(Ticket))).scalars())


__all__ = ["Attachment"]
