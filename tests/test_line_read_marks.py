"""LINE read marks: a customer's LINE messages are marked read (POST /v2/bot/chat/markAsRead with the
markAsReadToken of the message event) once an agent opens the conversation in the console — through a
planned job, once per token, retried when LINE fails, never from the page view itself."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from bot.config import Settings
from storage.models import Conversation, InboxEvent, Job
from tests.console.support import add_agent, count, running
from tests.fakes.line_api import (
    ACCESS_TOKEN,
    CHANNEL_SECRET,
    FakeLine,
    event_from,
    run_fake_line,
    sign,
    webhook_body,
)
from tests.support.wait import eventually

USER = "U0a1b2c3d4e5f60718293a4b5c6d7e8f9"


async def _say(base: str, fake: FakeLine, text: str, token: str) -> None:
    event = event_from(
        "text", user_id=USER, reply_token=fake.issue_reply_token(USER), message__text=text,
        message__markAsReadToken=token,
    )  # fmt: skip
    body = webhook_body(event)
    async with httpx.AsyncClient(base_url=base) as http:
        response = await http.post("/webhooks/line", content=body, headers={"x-line-signature": sign(body)})
    assert response.status_code == 200


async def _conversation(db: Any) -> int:
    async with db.read() as s:
        return int(
            (await s.execute(select(Conversation.id).where(Conversation.user_id == USER))).scalar_one()
        )


async def test_opening_the_conversation_marks_the_messages_read_once(db_url: str, settings_for: Any) -> None:
    async with run_fake_line() as fake:
        settings: Settings = settings_for(
            db_url, line_channel_secret=CHANNEL_SECRET, line_channel_access_token=ACCESS_TOKEN,
            line_api_base=fake.base_url,
        )  # fmt: skip
        async with running(settings) as app:
            await _say(app.base, fake, "hello", "read-token-1")
            await _say(app.base, fake, "I need to talk about my booking", "read-token-2")
            conv_id = await _conversation(app.db)
            async with app.db.read() as s:
                tokens = (
                    (await s.execute(select(InboxEvent.read_token).order_by(InboxEvent.id))).scalars().all()
                )
            assert tokens == ["read-token-1", "read-token-2"], "stored with the inbound event"
            assert fake.read_marks == []

            await add_agent(app.db, "ann@agency.example", "Ann")
            ann = await app.login("ann@agency.example")
            assert (await ann.client.get(f"/console/conversations/{conv_id}")).status_code == 200
            # The newest token marks the whole chat read: one call, not one per message.
            await eventually(lambda: fake.read_marks == ["read-token-2"])
            await eventually(lambda: _all_marked(app.db))

            assert (await ann.client.get(f"/console/conversations/{conv_id}")).status_code == 200
            await _say(app.base, fake, "are you there?", "read-token-3")
            fake.fail("mark_read", 500)
            assert (await ann.client.get(f"/console/conversations/{conv_id}")).status_code == 200
            # LINE failed once: the job is retried, and the mark lands once.
            await eventually(lambda: fake.read_marks == ["read-token-2", "read-token-3"], timeout=30)
            await eventually(lambda: _all_marked(app.db))
            assert len(fake.of("mark_read")) == 3
            assert await count(app.db, Job, Job.kind == "line_mark_read") == 2


async def _all_marked(db: Any) -> bool:
    async with db.read() as s:
        rows = (
            await s.execute(select(InboxEvent.read_marked_at).where(InboxEvent.read_token.is_not(None)))
        ).all()
    return bool(rows) and all(r[0] is not None for r in rows)
