"""Bucket storage against a local S3 server (moto's): the content goes to the bucket under the
attachment's random token, the database keeps the key only, agents read it through the console, and
erase removes the objects."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from aiobotocore.session import get_session
from moto.server import ThreadedMotoServer
from pydantic import SecretStr
from sqlalchemy import select

from bot.attachments.store import ContentStore
from bot.config import Settings
from bot.console import dataops
from storage.models import AttachmentContent
from tests.attachments.support import LINE_USER, world
from tests.console.support import add_agent, link, seed_customer, signed_in
from tests.fakes.content import Content, jpeg_with_gps
from tests.support.server import free_port

BUCKET = "counsel-files"


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def bucket_settings(endpoint: str) -> dict[str, Any]:
    return {
        "attachment_bucket": BUCKET,
        "attachment_bucket_endpoint": endpoint,
        "attachment_bucket_access_key": SecretStr("testing"),
        "attachment_bucket_secret_key": SecretStr("testing"),
    }


@pytest.fixture
async def s3(s3_endpoint: str) -> AsyncIterator[Any]:
    async with get_session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ) as client:
        await client.create_bucket(Bucket=BUCKET)
        yield client


async def keys(s3: Any) -> list[str]:
    listed = await s3.list_objects_v2(Bucket=BUCKET)
    return sorted(o["Key"] for o in listed.get("Contents", []))


async def test_content_lives_in_the_bucket_is_served_from_it_and_erased_with_the_customer(
    db_url: str, settings_for: Callable[..., Settings], s3: Any, s3_endpoint: str
) -> None:
    async with world(settings_for, db_url, **bucket_settings(s3_endpoint)) as w:
        await add_agent(w.db, "ann@agency.example", "Ann")
        customer_id, _ = await seed_customer(w.db)
        w.line.contents["354718705033693859"] = Content(jpeg_with_gps(), "image/jpeg")
        await w.post_line(w.line_event("image"))
        await link(w.db, "line", LINE_USER, customer_id)
        await w.run_jobs()
        [att] = await w.attachments()
        assert att.status == "fetched"
        assert await keys(s3) == [f"attachments/{att.token}/full", f"attachments/{att.token}/thumb"]
        async with w.db.read() as s:
            rows = list((await s.execute(select(AttachmentContent))).scalars())
        assert {(r.role, r.data, r.bucket_key) for r in rows} == {
            ("full", None, f"attachments/{att.token}/full"),
            ("thumb", None, f"attachments/{att.token}/thumb"),
        }
        async with signed_in(str(w.http.base_url), "ann@agency.example") as ann:
            full = await ann.client.get(f"/console/api/files/{att.token}")
        assert full.status_code == 200 and full.headers["content-type"] == "image/jpeg"
        stored = await s3.get_object(Bucket=BUCKET, Key=f"attachments/{att.token}/full")
        async with stored["Body"] as body:
            assert full.content == await body.read()

        store = ContentStore(w.app.state.ctx.settings)
        item = await dataops.erase(w.db, customer_id, "anonymize", "test", store=store)
        assert item is not None and item.counts["attachments"] == 1
        assert await keys(s3) == []
