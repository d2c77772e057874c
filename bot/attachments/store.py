"""Where attachment bytes live: the database (default) or an S3-compatible bucket (aiobotocore).

With a bucket, the bytes are put first, under `<prefix><token>/<role>` (the attachment's random
token, never its id or the customer's name), and the database row keeps only the key; a row that
then turns out not to be wanted (fetched meanwhile by a slower attempt) has its objects removed.
Reads go through `read`; erase deletes the objects after its transaction (`delete`). A client is
made per operation: it belongs to the running event loop, and attachments are not a hot path.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bot.config import Settings
from storage.models import AttachmentContent
from storage.repositories.attachments import Blob

log = logging.getLogger(__name__)


class ContentStore:
    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.attachment_bucket
        self.prefix = settings.attachment_bucket_prefix
        self._client_args: dict[str, Any] = {
            "region_name": settings.attachment_bucket_region,
            "endpoint_url": settings.attachment_bucket_endpoint,
        }
        if (
            settings.attachment_bucket_access_key is not None
            and settings.attachment_bucket_secret_key is not None
        ):
            self._client_args.update(
                aws_access_key_id=settings.attachment_bucket_access_key.get_secret_value(),
                aws_secret_access_key=settings.attachment_bucket_secret_key.get_secret_value(),
            )

    @property
    def in_bucket(self) -> bool:
        return bool(self.bucket)

    def _client(self) -> Any:
        from aiobotocore.session import get_session

        return get_session().create_client("s3", **self._client_args)

    async def put(self, token: str, role: str, mime: str, data: bytes) -> Blob:
        """The blob to record: the bytes themselves, or (bucket) the key they were just put under."""
        if not self.bucket:
            return Blob(role, mime, len(data), data=data)
        key = f"{self.prefix}{token}/{role}"
        async with self._client() as s3:
            await s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=mime)
        return Blob(role, mime, len(data), bucket_key=key)

    async def read(self, stored: AttachmentContent) -> bytes | None:
        if stored.data is not None:
            return stored.data
        if not stored.bucket_key or not self.bucket:
            return None
        async with self._client() as s3:
            try:
                response = await s3.get_object(Bucket=self.bucket, Key=stored.bucket_key)
            except s3.exceptions.NoSuchKey:
                return None
            async with response["Body"] as body:
                data: bytes = await body.read()
                return data

    async def delete(self, keys: Sequence[str]) -> None:
        """Remove objects (erase, or blobs not wanted after all). A failure is logged: the rows are
        already gone, and the objects' keys say nothing about the customer."""
        if not keys or not self.bucket:
            return
        try:
            async with self._client() as s3:
                for start in range(0, len(keys), 1000):
                    chunk = [{"Key": k} for k in keys[start : start + 1000]]
                    await s3.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True})
        except Exception as exc:
            log.warning(
                "attachments: bucket objects not deleted", extra={"error": type(exc).__name__, "n": len(keys)}
            )
