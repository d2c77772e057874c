"""Long polling for a machine without a public URL: getUpdates in a loop, into the same engine.

The offset moves past an update only after the engine stored it, so a crash or a shutdown in between
means Telegram hands it out again and the inbox recognises it. Telegram lets one poller per bot at a
time (a second gets 409 Conflict): run polling in one process only; use the webhook to scale out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import Conflict, InvalidToken, TelegramError

from bot.handlers.telegram.client import POLL_TIMEOUT
from bot.handlers.telegram.updates import USED_KINDS, UpdateProcessor

log = logging.getLogger(__name__)

ALLOWED_UPDATES = USED_KINDS
MAX_BACKOFF = 30.0


class Poller:
    def __init__(
        self,
        bot: Bot,
        processor: UpdateProcessor,
        start: Callable[[], Awaitable[None]],
        timeout: int = POLL_TIMEOUT,
    ) -> None:
        self.bot, self.processor, self._start = bot, processor, start
        self.timeout = timeout
        self.offset: int | None = None
        self.running = False

    async def run(self) -> None:
        """Until cancelled (the app's shutdown cancels it)."""
        self.running = True
        delay = 1.0
        try:
            while True:
                try:
                    await self._prepare()
                    break
                except (TelegramError, OSError) as exc:
                    log.warning("telegram: polling cannot start yet: %s", type(exc).__name__)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_BACKOFF)
            delay = 1.0
            while True:
                try:
                    updates = await self.bot.get_updates(
                        offset=self.offset, timeout=self.timeout, allowed_updates=list(ALLOWED_UPDATES)
                    )
                except Conflict:
                    log.warning("telegram: getUpdates conflict: a webhook is set or another process polls")
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_BACKOFF)
                    continue
                except InvalidToken:
                    log.error("telegram: the bot token was refused; polling paused")
                    await asyncio.sleep(MAX_BACKOFF)
                    continue
                except (TelegramError, OSError, ValueError, KeyError, TypeError) as exc:
                    # Network trouble, 5xx, or (rarely) an update PTB could not parse.
                    log.warning("telegram: getUpdates failed: %s", type(exc).__name__)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_BACKOFF)
                    continue
                delay = 1.0
                for update in updates:
                    try:
                        await self.processor.process(update)
                    except Exception:
                        # Not stored: keep the offset here so this update comes again.
                        log.exception("telegram: update not stored", extra={"update_id": update.update_id})
                        await asyncio.sleep(1.0)
                        break
                    self.offset = update.update_id + 1
        finally:
            self.running = False

    async def _prepare(self) -> None:
        await self._start()
        # getUpdates refuses to work while a webhook is set; pending updates are kept.
        await self.bot.delete_webhook(drop_pending_updates=False)

    async def confirm(self) -> None:
        """Tell Telegram what was stored (it learns offsets only from the next getUpdates), so a
        restart does not fetch them again. Best effort: the inbox would catch them anyway."""
        if self.offset is None:
            return
        try:
            await self.bot.get_updates(offset=self.offset, timeout=0, limit=1)
        except (TelegramError, OSError) as exc:
            log.info("telegram: could not confirm the last updates at shutdown: %s", type(exc).__name__)
