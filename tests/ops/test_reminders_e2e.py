"""A reminder end to end over LINE: the app's own scheduler writes it, the delivery worker pushes it
through the real SDK to the fake LINE API, and pressing "I need to cancel" enters the cancellation flow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
from sqlalchemy import select

from bot.app import build_app
from bot.config import Settings
from bot.i18n import JST
from bot.scheduler import Scheduler
from storage.db import Database
from storage.models import ChannelIdentity, Conversation
from tests.fakes.line_api import ACCESS_TOKEN, CHANNEL_SECRET, event_from, run_fake_line, sign, webhook_body
from tests.ops.support import jobs, seed_booking
from tests.support.server import serve_asgi
from tests.support.wait import eventually

USER = "U" + "5" * 32


async def test_a_reminder_is_pushed_with_buttons_that_start_the_flows(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with run_fake_line() as fake:
        settings = settings_for(
            db_url,
            line_channel_secret=CHANNEL_SECRET,
            line_channel_access_token=ACCESS_TOKEN,
            line_api_base=fake.base_url,
        )
        app = build_app(settings)
        [ops] = [c for c in app.state.components if c.name == "ops"]
        scheduler = ops.extra["scheduler"]
        assert isinstance(scheduler, Scheduler)
        db = Database(db_url)
        try:
            async with serve_asgi(app) as base, httpx.AsyncClient(base_url=base, timeout=15) as http:

                async def webhook(event: dict[str, object]) -> None:
                    body = webhook_body(event)
                    response = await http.post(
                        "/webhooks/line", content=body, headers={"x-line-signature": sign(body)}
                    )
                    assert response.status_code == 200

                token = fake.issue_reply_token(USER)
                await webhook(
                    event_from("text", user_id=USER, reply_token=token, message__text="Hello there")
                )
                await fake.wait_for(lambda: len(fake.delivered) >= 1)
                tomorrow = dt.datetime.now(JST).date() + dt.timedelta(days=1)
                service_at = dt.datetime.combine(tomorrow, dt.time(9, 0), tzinfo=JST)
                seeded = await seed_booking(db, service_at, timezone="Europe/Paris")
                async with db.write() as s:
                    identity = (await s.execute(select(ChannelIdentity))).scalar_one()
                    identity.customer_id = seeded.customer_id

                now = dt.datetime.now(dt.UTC)
                await scheduler.plan(now)
                reminder_time = dt.datetime.combine(tomorrow - dt.timedelta(days=1), dt.time(10), tzinfo=JST)
                await scheduler.run_once(max(now, reminder_time) + dt.timedelta(seconds=1))
                kinds = {j.kind: j.status for j in await jobs(db)}
                assert kinds["reminder.appointment"] == "done"

                await fake.wait_for(lambda: bool(fake.of("push")))
                [push] = fake.of("push")
                [message] = push.body["messages"]
                assert push.body["to"] == USER and push.headers.get("x-line-retry-key")
                assert "Ginza Clinic" in message["text"] and "(Paris)" in message["text"]
                items = message["quickReply"]["items"]
                assert [i["action"]["label"] for i in items] == [
                    "I'll be late",
                    "I need to change",
                    "I need to cancel",
                ]

                cancel = parse_qs(items[2]["action"]["data"])
                assert cancel["o"] == ["cancellation"]
                pressed = fake.issue_reply_token(USER)
                await webhook(
                    event_from(
                        "postback",
                        user_id=USER,
                        reply_token=pressed,
                        postback__data=items[2]["action"]["data"],
                    )
                )
                await fake.wait_for(lambda: any(d.reply_token == pressed for d in fake.delivered))
                answer = [d.message["text"] for d in fake.delivered if d.reply_token == pressed]
                assert not any("earlier message" in t for t in answer)
                async with db.read() as s:
                    stack = (await s.execute(select(Conversation.stack))).scalar_one()
                assert "cancellation" in [f["dialog"] for f in stack["frames"]]
                # Delivered once: a second pass finds nothing to do.
                assert await scheduler.run_once(max(now, reminder_time) + dt.timedelta(minutes=1)) == 0
                await eventually(lambda: len(fake.of("push")) == 1)
        finally:
            await db.dispose()
