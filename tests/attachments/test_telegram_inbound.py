"""Telegram photos (the largest size), documents, voice and locations: getFile and the download through
the configured API base, after the update is acknowledged; the open question is asked again."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image
from sqlalchemy import select

from bot.config import Settings
from storage.models import AttachmentContent, TranscriptMessage
from tests.attachments.support import world
from tests.fakes.content import Content, jpeg_with_gps, pdf
from tests.fakes.telegram_api import CHAT_ID, update_from
from tests.support.wait import eventually

LARGE = "AgACAgQAAxkBAAIBQ2ZfakePhotoLarge"


def english(update: dict[str, object]) -> dict[str, object]:
    update["message"]["from"]["language_code"] = "en"  # type: ignore[index]
    return update


async def test_the_largest_photo_size_is_fetched_through_getfile(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        w.telegram.files[LARGE] = Content(jpeg_with_gps((1280, 960)), "image/jpeg")
        assert (await w.post_telegram(english(update_from("photo")))).status_code == 200
        [att] = await w.attachments()
        assert att.status == "pending" and att.source == f"telegram:{LARGE}"
        await eventually(lambda: any("Thank you for the photo" in t for t in w.telegram.texts(CHAT_ID)))
        await w.run_jobs()
        [att] = await w.attachments()
        assert (att.status, att.kind, att.mime) == ("fetched", "image", "image/jpeg")
        assert [c.params["file_id"] for c in w.telegram.calls_of("getFile")] == [LARGE]
        async with w.db.read() as s:
            full = (
                await s.execute(
                    select(AttachmentContent.data).where(
                        AttachmentContent.attachment_id == att.id, AttachmentContent.role == "full"
                    )
                )
            ).scalar_one()
            caption = (
                await s.execute(select(TranscriptMessage.text).where(TranscriptMessage.author == "customer"))
            ).scalar_one()
        assert dict(Image.open(io.BytesIO(full)).getexif()) == {}
        assert caption == "[photo]\nmy passport"


async def test_a_document_fails_twice_then_arrives(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        w.telegram.files["BQACAgQAAxkBAAIBRmZfakeDoc"] = Content(pdf(), "application/pdf", fail_first=2)
        await w.post_telegram(english(update_from("document")))
        await w.run_until_settled()
        [att] = await w.attachments()
        assert (att.status, att.kind, att.mime, att.original_name, att.attempts) == (
            "fetched", "file", "application/pdf", "referral.pdf", 2
        )  # fmt: skip


async def test_a_file_telegram_no_longer_has_fails_at_once(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        await w.post_telegram(english(update_from("voice")))
        await w.run_jobs()
        [att] = await w.attachments()
        assert (att.status, att.kind, att.error) == ("failed", "audio", "gone from the platform")
        await eventually(lambda: any("could not receive your file" in t for t in w.telegram.texts(CHAT_ID)))


async def test_a_location_is_kept_as_coordinates(db_url: str, settings_for: Callable[..., Settings]) -> None:
    async with world(settings_for, db_url) as w:
        await w.post_telegram(english(update_from("location")))
        [att] = await w.attachments()
        assert (att.kind, att.status, att.latitude, att.longitude) == (
            "location",
            "fetched",
            35.681236,
            139.767125,
        )


async def test_a_photo_in_the_middle_of_a_question_asks_it_again(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        w.telegram.files[LARGE] = Content(jpeg_with_gps(), "image/jpeg")
        text = update_from("text_message", update_id=900_000_001, text="I want to cancel", language_code="en")
        await w.post_telegram(text)
        await eventually(lambda: len(w.telegram.sent(CHAT_ID)) >= 1)
        await w.outbox_settled()
        question = w.telegram.sent(CHAT_ID)[-1]
        asked = question["text"]
        assert question.get("reply_markup"), "the flow asked a question with buttons"
        photo = english(update_from("photo", update_id=900_000_002))
        await w.post_telegram(photo)
        await eventually(lambda: any("Thank you for the photo" in t for t in w.telegram.texts(CHAT_ID)))
        await w.outbox_settled()
        texts = w.telegram.texts(CHAT_ID)
        thanks = next(i for i, t in enumerate(texts) if "Thank you for the photo" in t)
        assert texts[thanks + 1 :] == [asked]
        assert w.telegram.sent(CHAT_ID)[-1].get("reply_markup")
