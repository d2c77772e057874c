"""Attachments follow the customer's data rights: the export lists them, erase and the retention
purge delete them and their content (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.config import Settings
from bot.console import dataops
from storage.models import Attachment, AttachmentContent
from tests.attachments.support import LINE_USER, World, world
from tests.console.support import link, seed_customer
from tests.fakes.content import Content, jpeg_with_gps, pdf


async def customer_with_files(w: World, **seed: object) -> int:
    customer_id, _ = await seed_customer(w.db, **seed)  # type: ignore[arg-type]
    w.line.contents["354718705033693859"] = Content(jpeg_with_gps(), "image/jpeg")
    w.line.contents["325708"] = Content(pdf(), "application/pdf")
    await w.post_line(w.line_event("image"))
    await link(w.db, "line", LINE_USER, customer_id)
    await w.post_line(w.line_event("file", message__fileName="transfer-slip.pdf"))
    await w.post_line(w.line_event("location"))
    await w.run_jobs()
    assert [a.status for a in await w.attachments()] == ["fetched"] * 3
    assert await w.count(AttachmentContent) == 3  # the photo and its thumbnail, the PDF
    return customer_id


async def test_the_export_lists_every_attachment_without_the_bytes(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        customer_id = await customer_with_files(w)
        out = await dataops.export(w.db, customer_id, "test")
        assert out is not None
        listed = out["attachments"]
        assert [(a["kind"], a["mime"]) for a in listed] == [
            ("image", "image/jpeg"), ("file", "application/pdf"), ("location", None)
        ]  # fmt: skip
        assert listed[1]["original_name"] == "transfer-slip.pdf" and listed[2]["latitude"] == 35.67966
        assert all("data" not in a for a in listed)


async def test_erase_removes_the_attachments_and_their_content(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        customer_id = await customer_with_files(w)
        item = await dataops.erase(w.db, customer_id, "anonymize", "test")
        assert item is not None and item.counts["attachments"] == 3
        assert await w.count(Attachment) == 0 and await w.count(AttachmentContent) == 0


async def test_the_retention_purge_removes_the_content(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        await customer_with_files(w, contract_ends_on=dt.date(2025, 3, 31))
        done = await dataops.purge(w.db, dt.date(2025, 4, 1), dry_run=False, actor="test")
        assert len(done) == 1
        assert await w.count(Attachment) == 0 and await w.count(AttachmentContent) == 0
