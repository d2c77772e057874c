"""`counselbot chat`: the same engine and database, in a terminal. Buttons become numbered options."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import uuid

from bot.bus import Bus, pg_dsn_from_url
from bot.channels import Delivery, SendResult, Sent
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.engine import Engine
from bot.events import ChoiceIn, ConversationKey, DateIn, FollowIn, InboundEvent, TextIn
from bot.replies import Rendered
from storage.db import Database


class TerminalSender:
    channel = "terminal"

    def __init__(self, user: str, out: object = sys.stdout) -> None:
        self.user = user
        self.out = out
        self.last: Rendered | None = None
        self.delivered = asyncio.Event()

    async def send(self, delivery: Delivery) -> SendResult:
        if delivery.key.user_id != self.user:
            # Another terminal's message: leave it for that terminal's worker.
            from bot.channels import Retry

            return Retry("not this terminal", delivery.parts_sent, after=5)
        for m in delivery.messages[delivery.parts_sent :]:
            print(f"\nbot> {m.as_numbered_text()}", file=self.out, flush=True)  # type: ignore[call-overload]
            if m.options or m.kind == "date_picker":
                self.last = m
        self.delivered.set()
        return Sent(len(delivery.messages))


def to_body(line: str, last: Rendered | None) -> TextIn | ChoiceIn | DateIn:
    """A number picks the numbered option; an ISO date answers a date picker; anything else is text."""
    text = line.strip()
    if last is not None and text.isdigit() and 1 <= int(text) <= len(last.options):
        return ChoiceIn(last.options[int(text) - 1].id, last.token)
    if last is not None and last.kind == "date_picker":
        try:
            return DateIn(dt.date.fromisoformat(text), token=last.token)
        except ValueError:
            pass
    return TextIn(text)


async def run_terminal_chat(settings: Settings, locale: str | None = None, user: str = "local") -> int:
    db = Database(settings.database_url)
    bus = Bus(pg_dsn_from_url(settings.database_url))
    engine = Engine(db, settings, bus)
    sender = TerminalSender(user)
    worker = DeliveryWorker(db, settings, bus, {"terminal": sender})
    worker_task = asyncio.create_task(worker.run())
    key = ConversationKey("terminal", user)
    loop = asyncio.get_running_loop()

    async def say(body: TextIn | ChoiceIn | DateIn | FollowIn) -> None:
        sender.delivered.clear()
        event = InboundEvent(key, uuid.uuid4().hex, dt.datetime.now(dt.UTC), body, locale_hint=locale)
        result = await engine.handle(event)
        if result.status == "handled":
            worker.wake()
            try:
                await asyncio.wait_for(sender.delivered.wait(), 10)
            except TimeoutError:
                pass

    print("counselbot terminal chat — type a message, a number to press a button, Ctrl+D to leave.")
    try:
        await say(FollowIn())
        while True:
            line = await loop.run_in_executor(None, _read_line)
            if line is None:
                break
            if line.strip():
                await say(to_body(line, sender.last))
    finally:
        worker.stop()
        try:
            await asyncio.wait_for(worker_task, 5)
        except (asyncio.CancelledError, TimeoutError):
            pass
        await db.dispose()
    return 0


def _read_line() -> str | None:
    try:
        return input("you> ")
    except EOFError:
        return None
