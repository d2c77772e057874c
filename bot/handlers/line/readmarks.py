"""LINE read marks: the jobs `storage.repositories.reads.record_read` plans, run against the API.

When an agent opens (or has open) a conversation, the console records the read and, for LINE, plans
a `line_mark_read` job holding the newest unmarked markAsReadToken. This component runs a scheduler
of its own for that one kind — woken by the console's bus hint, so the mark follows the agent's look
within moments, and polling too, so a lost hint or a restart only delays it. The call is
POST /v2/bot/chat/markAsRead through line-bot-sdk; once it succeeded (or LINE refused the token for
good), every message of the conversation up to that one counts as marked, and nothing asks again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from linebot.v3.messaging import MarkMessagesAsReadByTokenRequest
from linebot.v3.messaging.exceptions import ApiException

from bot.bus import Bus
from bot.handlers.line.sender import LineApi
from bot.reads import READS_TOPIC
from bot.scheduler import JobRun, Permanent, Scheduler, SchedulerConfig
from storage.db import Database
from storage.repositories import reads
from storage.repositories.reads import LINE_MARK_READ

log = logging.getLogger(__name__)


class ReadMarks:
    def __init__(self, api: LineApi, db: Database, bus: Bus, *, poll_interval: float = 10.0) -> None:
        self.api, self.db, self.bus = api, db, bus
        config = SchedulerConfig(poll_interval=poll_interval, base_delay=5.0, max_delay=600.0, max_attempts=6)
        self.scheduler = Scheduler(db, {LINE_MARK_READ: self.handle}, (), config)

    async def handle(self, run: JobRun) -> str:
        data = run.job.data
        try:
            conversation_id, inbox_id, token = (
                int(data["conversation_id"]),
                int(data["inbox_id"]),
                str(data["token"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise Permanent("bad job data") from exc
        outcome = "marked"
        try:
            await self.api.api().mark_messages_as_read_by_token(
                MarkMessagesAsReadByTokenRequest(mark_as_read_token=token),
                _request_timeout=self.api.request_timeout(5.0),
            )
        except ApiException as exc:
            status = int(exc.status or 0)
            if status == 429 or status >= 500:
                raise  # retried with backoff by the scheduler
            # An expired or unknown token stays refused: asking again would not help.
            log.info("line: mark as read refused", extra={"status": status})
            outcome = f"refused {status}"
        async with self.db.write() as s:
            await reads.marked(s, conversation_id, inbox_id, run.now)
        return outcome

    async def run(self) -> None:
        """Until cancelled: the scheduler, woken at once by the console's hint."""
        async with self.bus.subscribe(READS_TOPIC) as sub:
            task = asyncio.create_task(self.scheduler.run(), name="line-read-marks")
            try:
                async for _ in sub:
                    self.scheduler.wake()
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
