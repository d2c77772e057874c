"""Web chat uploads: one event per client id, the same checks as LINE's and Telegram's, kept at once;
an upload whose request never finished is marked "could not be fetched" by its job."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import AsyncIterator, Callable

import httpx
from PIL import Image
from sqlalchemy import select

from bot.config import Settings
from bot.events import AttachmentIn
from storage.models import AttachmentContent
from tests.attachments.support import world
from tests.fakes.content import jpeg_with_gps, pdf, windows_exe
from tests.support.collecting import event


@contextlib.asynccontextmanager
async def visitor(base: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base, timeout=15) as client:
        assert (await client.get("/?lang=en")).status_code == 200  # the cookie
        yield client


async def upload(client: httpx.AsyncClient, data: bytes, name: str, event_id: str) -> httpx.Response:
    return await client.post(
        f"/api/chat/files?id={event_id}&lang=en", content=data, headers={"X-File-Name": name}
    )


async def test_an_upload_is_checked_and_kept_at_once_and_stored_once(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        async with visitor(str(w.http.base_url)) as chat:
            first = await upload(chat, jpeg_with_gps(), "rash.jpg", "upload-00000001")
            again = await upload(chat, jpeg_with_gps(), "rash.jpg", "upload-00000001")
            assert (first.json(), again.json()["status"]) == (
                {"status": "handled", "file": "fetched"},
                "duplicate",
            )
            refused = await upload(chat, windows_exe(), "scan.pdf", "upload-00000002")
            assert refused.json()["file"] == "refused"
            assert (await upload(chat, pdf(), "ref.pdf", "bad id")).status_code == 400
        photo, program = await w.attachments()
        assert (photo.status, photo.kind, photo.original_name) == ("fetched", "image", "rash.jpg")
        assert (program.status, program.error) == ("refused", "type not accepted")
        async with w.db.read() as s:
            full = (
                await s.execute(
                    select(AttachmentContent.data).where(
                        AttachmentContent.attachment_id == photo.id, AttachmentContent.role == "full"
                    )
                )
            ).scalar_one()
        assert dict(Image.open(io.BytesIO(full)).getexif()) == {}
        async with httpx.AsyncClient(base_url=str(w.http.base_url)) as stranger:
            assert (await upload(stranger, pdf(), "x.pdf", "upload-00000003")).status_code == 401
            # Another visitor cannot read this one's files, even by their token.
            await stranger.get("/")
            assert (await stranger.get(f"/api/chat/files/{photo.token}")).status_code in (401, 404)


async def test_the_daily_allowance_refuses_politely(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url, attachment_daily_files=2) as w:
        async with visitor(str(w.http.base_url)) as chat:
            outcomes = [
                (await upload(chat, pdf(f"page {i}"), f"p{i}.pdf", f"upload-0000001{i}")).json()["file"]
                for i in range(3)
            ]
        assert outcomes == ["fetched", "fetched", "refused"]
        assert (await w.attachments())[-1].error == "daily allowance used"


async def test_an_upload_whose_request_never_finished_is_marked_failed_later(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with world(settings_for, db_url) as w:
        engine = w.app.state.ctx.engine
        # The event was stored, then the process stopped before the content was kept.
        await engine.handle(event("visitor-x", AttachmentIn("image", "upload:", name="a.jpg", size=10)))
        assert await w.run_jobs() == 0, "its job waits for the request to finish"
        await w.run_jobs(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11))
        [att] = await w.attachments()
        assert (att.status, att.error) == ("failed", "upload interrupted")
