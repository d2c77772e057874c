"""In bot mode a customer's file joins the conversation's open ticket (the one of its open request)
rather than opening a second; without one it opens a normal ticket. The bot keeps the conversation."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.bus import Bus
from bot.config import Settings
from bot.engine import Engine
from bot.events import AttachmentIn, FollowIn
from storage.db import Database
from storage.models import Attachment, Conversation, Request, Ticket
from storage.repositories.tickets import open_ticket
from tests.support.collecting import event


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[Engine]:
    db = Database(settings.database_url)
    try:
        yield Engine(db, settings, Bus())
    finally:
        await db.dispose()


async def test_a_photo_joins_the_open_requests_ticket(engine: Engine) -> None:
    db = engine.db
    result = await engine.handle(event("mei", FollowIn(), locale_hint="en"))
    conv_id = result.conversation_id
    assert conv_id is not None
    now = dt.datetime.now(dt.UTC)
    async with db.write() as s:
        request = Request(
            conversation_id=conv_id, kind="cancellation", status="filed", details={},
            dedupe_key=f"{conv_id}:cancellation:1", requested_at=now, created_at=now,
        )  # fmt: skip
        s.add(request)
        await s.flush()
        ticket = await open_ticket(
            s, conv_id, "cancellation", "normal", "The customer asks to cancel.", request.id
        )
        ticket_id = ticket.id
    await engine.handle(event("mei", AttachmentIn("file", "line:1", name="slip.pdf")))
    async with db.read() as s:
        tickets = list((await s.execute(select(Ticket))).scalars())
        att = (await s.execute(select(Attachment))).scalar_one()
        mode = (await s.execute(select(Conversation.mode))).scalar_one()
    assert [t.id for t in tickets] == [ticket_id] and att.ticket_id == ticket_id
    assert tickets[0].request_id is not None
    assert tickets[0].summary == "The customer asks to cancel.\nThe customer sent a document."
    assert mode == "bot", "the bot keeps the conversation; a person looks at the file beside it"


async def test_without_a_ticket_a_photo_opens_a_normal_one(engine: Engine) -> None:
    await engine.handle(event("li", FollowIn(), locale_hint="en"))
    await engine.handle(event("li", AttachmentIn("image", "line:2")))
    async with engine.db.read() as s:
        ticket = (await s.execute(select(Ticket))).scalar_one()
        att = (await s.execute(select(Attachment))).scalar_one()
    assert (ticket.reason, ticket.priority, ticket.status) == ("attachment", "normal", "open")
    assert att.ticket_id == ticket.id and att.status == "pending"
