"""The `attachment.fetch` job: download a customer's file, check it, keep it (or refuse it politely).

Each attempt is one job. A failed attempt is counted on the attachment and the next attempt planned
as a new job after an exponential backoff with jitter (its time shown on the attachment as
`next_try_at`); after `attachment_fetch_attempts` the attachment is `failed` and the agents see "could
not be fetched". Content is checked from its bytes (bot.attachments.sniff), against the size and the
customer's daily allowance; images are re-encoded without metadata and get a thumbnail.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from bot.attachments import images
from bot.attachments import messages as m
from bot.attachments.inbound import FETCH
from bot.attachments.sniff import sniff
from bot.attachments.sources import Gone, HttpSource, Source, TelegramSource, TooLarge
from bot.attachments.store import ContentStore
from bot.config import Settings
from bot.engine import Engine
from bot.i18n import Msg
from bot.replies import Text
from bot.scheduler import JobRun
from storage.models import Attachment
from storage.repositories import attachments as repo
from storage.repositories import jobs
from storage.repositories.jobs import Planned

log = logging.getLogger(__name__)

BASE_DELAY = 30.0
MAX_DELAY = 1800.0
# The daily allowance counts from midnight in Japan, where the agency works.
JST = ZoneInfo("Asia/Tokyo")


def retry_delay(attempt: int, base: float = BASE_DELAY) -> float:
    """Seconds before attempt `attempt + 1`: exponential, capped, with jitter (half to full)."""
    return float(random.uniform(0.5, 1.0) * min(MAX_DELAY, base * 2 ** (attempt - 1)))


class Fetcher:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        sources: Mapping[str, Source],
        base_delay: float = BASE_DELAY,
    ) -> None:
        self.engine, self.db, self.settings = engine, engine.db, settings
        self.sources = dict(sources)
        self.store = ContentStore(settings)
        self.base_delay = base_delay

    async def __call__(self, run: JobRun) -> str:
        attachment_id = int(run.job.data.get("attachment_id", 0))
        async with self.db.read() as s:
            att = await repo.get(s, attachment_id)
        if att is None:
            return "gone"  # erased meanwhile
        if att.status != "pending":
            return f"already {att.status}"
        limit = self.settings.attachment_max_bytes
        if att.size is not None and att.size > limit:
            return await self._refuse(att, "too large", m.too_large(limit))
        ref = att.source or ""
        if ref.startswith("upload:"):
            # A web chat upload is kept while its request is answered; this job only runs when that
            # request never finished (the process stopped): the customer is asked to send it again.
            return await self._failed(att, run.now, "upload interrupted", final=True)
        source = self.sources.get(ref.partition(":")[0])
        if source is None:
            return await self._failed(att, run.now, "no source", final=True)
        try:
            data = await source.fetch(ref, limit)
        except TooLarge:
            return await self._refuse(att, "too large", m.too_large(limit))
        except Gone:
            return await self._failed(att, run.now, "gone from the platform", final=True)
        except Exception as exc:  # FetchFailed and anything unexpected: try again later
            return await self._failed(att, run.now, type(exc).__name__)
        return await self._keep(att, data, run.now)

    async def accept(self, attachment_id: int, data: bytes) -> str:
        """Content that arrived with its request (a web chat upload): the same checks and storage."""
        async with self.db.read() as s:
            att = await repo.get(s, attachment_id)
        if att is None or att.status != "pending":
            return "gone" if att is None else f"already {att.status}"
        if len(data) > self.settings.attachment_max_bytes:
            return await self._refuse(att, "too large", m.too_large(self.settings.attachment_max_bytes))
        return await self._keep(att, data, dt.datetime.now(dt.UTC))

    async def _keep(self, att: Attachment, data: bytes, now: dt.datetime) -> str:
        found = sniff(data[:64])
        if found is None:
            return await self._refuse(att, "type not accepted", m.REFUSED_TYPE)
        full, thumb, mime = data, None, found.mime
        if found.kind == "image":
            try:
                cleaned = await asyncio.to_thread(images.clean, data, found.mime)
            except images.BadImage:
                return await self._refuse(att, "image not readable", m.REFUSED_TYPE)
            full, thumb, mime = cleaned.data, cleaned.thumb, cleaned.mime
        # Into the bucket (when one is configured) before the unit of work: no network under its lock.
        blobs = [await self.store.put(att.token, "full", mime, full)]
        if thumb is not None:
            blobs.append(await self.store.put(att.token, "thumb", "image/jpeg", thumb))
        since = dt.datetime.now(JST).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
        async with self.db.write() as s:
            used = await repo.used_since(
                s, customer_id=att.customer_id, conversation_id=att.conversation_id, since=since
            )
            over = (
                used.files + 1 > self.settings.attachment_daily_files
                or used.bytes + len(full) > self.settings.attachment_daily_bytes
            )
            stored = not over and await repo.store_content(s, att.id, kind=found.kind, blobs=blobs, now=now)
        if not stored:
            await self.store.delete([b.bucket_key for b in blobs if b.bucket_key])
        if over:
            return await self._refuse(att, "daily allowance used", m.DAILY_LIMIT)
        await self._changed(att)
        return "fetched" if stored else "already done"

    async def _refuse(self, att: Attachment, reason: str, notice: Msg) -> str:
        async with self.db.write() as s:
            refused = await repo.refuse(s, att.id, reason)
        if refused:
            await self._tell(att, notice)
            await self._changed(att)
        log.info("attachment refused", extra={"attachment": att.id, "reason": reason})
        return f"refused: {reason}"

    async def _failed(self, att: Attachment, now: dt.datetime, error: str, final: bool = False) -> str:
        attempt = att.attempts + 1
        final = final or attempt >= self.settings.attachment_fetch_attempts
        next_try = None if final else now + dt.timedelta(seconds=retry_delay(attempt, self.base_delay))
        async with self.db.write() as s:
            await repo.attempt_failed(s, att.id, error, next_try)
            if next_try is not None:
                # The next attempt is a job of its own, keyed by its number: planned once.
                key = f"attachment:{att.id}:{attempt + 1}"
                await jobs.plan(s, [Planned(key, FETCH, next_try, {"attachment_id": att.id})])
        log.warning(
            "attachment fetch failed",
            extra={"attachment": att.id, "attempt": attempt, "error": error, "final": final},
        )
        if final:
            await self._tell(att, m.NOT_FETCHED)
            await self._changed(att)
            return f"failed: {error}"
        return f"retry: {error}"

    async def _tell(self, att: Attachment, notice: Msg) -> None:
        if att.direction == "in":
            await self.engine.send_proactive(att.conversation_id, [Text(notice)])

    async def _changed(self, att: Attachment) -> None:
        await self.engine.bus.publish(
            f"conversation:{att.conversation_id}",
            {"conversation_id": att.conversation_id, "attachment": att.id},
        )

    async def close(self) -> None:
        for source in self.sources.values():
            await source.close()


def build_fetcher(engine: Engine, settings: Settings) -> Fetcher:
    """A Fetcher with a source for every channel that is on (their own clients, closed at shutdown)."""
    sources: dict[str, Source] = {}
    if settings.line_enabled:
        http = HttpSource(settings)
        sources.update(line=http, url=http)
    if settings.telegram_enabled:
        from bot.handlers.telegram.client import make_bot

        sources["telegram"] = TelegramSource(make_bot(settings))
    return Fetcher(engine, settings, sources)
