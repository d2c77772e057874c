from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.bus import Bus
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.engine import Engine
from bot.events import ChoiceIn
from storage.db import Database
from storage.models import Conversation, InboxEvent, OutboxMessage, Ticket, TranscriptMessage
from tests.support.collecting import CollectingSender, event


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url)
    yield database
    await database.dispose()


@pytest.fixture
def engine(db: Database, settings: Settings) -> Engine:
    return Engine(db, settings, Bus())


async def count(db: Database, model: type, *where: object) -> int:
    async with db.read() as s:
        return int((await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


async def test_same_event_three_times_sequentially_is_one_entry_and_one_reply(
    engine: Engine, db: Database
) -> None:
    e = event("alice", "hello", event_id="evt-1")
    results = [await engine.handle(e) for _ in range(3)]
    assert [r.status for r in results] == ["handled", "duplicate", "duplicate"]
    assert await count(db, InboxEvent) == 1
    assert await count(db, TranscriptMessage, TranscriptMessage.author == "customer") == 1
    assert await count(db, OutboxMessage) == 1


async def test_same_event_three_times_concurrently_is_one_entry_and_one_reply(
    engine: Engine, db: Database
) -> None:
    e = event("bob", "hello", event_id="evt-2")
    results = await asyncio.gather(*(engine.handle(e) for _ in range(3)))
    assert sorted(r.status for r in results) == ["duplicate", "duplicate", "handled"]
    assert await count(db, TranscriptMessage, TranscriptMessage.author == "customer") == 1
    assert await count(db, OutboxMessage) == 1


async def test_twenty_events_at_once_are_handled_in_arrival_order(engine: Engine, db: Database) -> None:
    events = [event("carol", f"message {i}", event_id=f"carol-{i:02d}") for i in range(20)]
    await asyncio.gather(*(engine.handle(e) for e in events))
    async with db.read() as s:
        conv = (await s.execute(select(Conversation))).scalar_one()
        texts = (
            (
                await s.execute(
                    select(TranscriptMessage.text)
                    .where(TranscriptMessage.author == "customer")
                    .order_by(TranscriptMessage.id)
                )
            )
            .scalars()
            .all()
        )
    assert conv.version == 20, "every event updated the state: none lost"
    assert texts == [f"message {i}" for i in range(20)]


async def test_talk_to_a_person_opens_one_ticket_and_queues(engine: Engine, db: Database) -> None:
    await engine.handle(event("dave", "hello"))
    await engine.handle(event("dave", ChoiceIn("human", "1")))
    await engine.handle(event("dave", ChoiceIn("human", "1")))
    async with db.read() as s:
        conv = (await s.execute(select(Conversation))).scalar_one()
        tickets = (await s.execute(select(Ticket))).scalars().all()
    assert conv.mode == "queued"
    assert len(tickets) == 1 and tickets[0].reason == "human" and tickets[0].status == "open"
    # While queued the bot is silent: the second press is recorded, not answered.
    assert await count(db, OutboxMessage) == 2


async def test_queued_customer_can_return_to_the_menu(engine: Engine, db: Database) -> None:
    await engine.handle(event("erin", ChoiceIn("human")))
    result = await engine.handle(event("erin", "menu"))
    assert result.status == "handled"
    async with db.read() as s:
        conv = (await s.execute(select(Conversation))).scalar_one()
    assert conv.mode == "bot"


async def test_unknown_button_is_re_asked_and_after_two_misses_a_person_is_offered(
    engine: Engine, db: Database, settings: Settings
) -> None:
    sender = CollectingSender()
    worker = DeliveryWorker(db, settings, Bus(), {"webchat": sender})
    await engine.handle(event("finn", "hello"))
    await engine.handle(event("finn", ChoiceIn("no-such-button", "1")))
    await engine.handle(event("finn", "qwertyuiop"))
    while await worker.run_once():
        pass
    texts = sender.texts_for("finn")
    hint = "Please choose one of the options below, or type its number."
    assert texts.count(hint) == 2, "the re-ask says what is expected"
    assert "If you prefer, a person from our team can help: choose “Talk to a person”." in texts


async def test_stale_button_is_answered_and_never_acts(
    engine: Engine, db: Database, settings: Settings
) -> None:
    sender = CollectingSender()
    worker = DeliveryWorker(db, settings, Bus(), {"webchat": sender})
    await engine.handle(event("gina", "hello"))  # menu, token 1
    await engine.handle(event("gina", "gibberish"))  # the same question again: its buttons stay valid
    await engine.handle(event("gina", ChoiceIn("cancellation", "1")))  # a new question: token 2
    await engine.handle(event("gina", ChoiceIn("some-flow", "1")))  # a button of the menu before it
    while await worker.run_once():
        pass
    assert "That button belongs to an earlier message. Here is where we are now:" in sender.texts_for("gina")
    assert await count(db, Ticket) == 0


async def test_agent_message_and_hand_back_reach_the_customer_through_the_outbox(
    engine: Engine, db: Database, settings: Settings
) -> None:
    from bot.i18n import msg

    sender = CollectingSender()
    worker = DeliveryWorker(db, settings, Bus(), {"webchat": sender})
    result = await engine.handle(event("hana", ChoiceIn("human")))
    assert result.conversation_id is not None
    await engine.send_from_agent(result.conversation_id, None, "Hello, this is Aiko from the agency.")
    await engine.hand_back(result.conversation_id, msg("Back to the menu"))
    while await worker.run_once():
        pass
    texts = sender.texts_for("hana")
    assert texts[-3:] == ["Hello, this is Aiko from the agency.", "Back to the menu", "How can I help you?"]
    assert [d.source for d in sender.sent][-2:] == ["agent", "system"]
    async with db.read() as s:
        conv = (await s.execute(select(Conversation))).scalar_one()
    assert conv.mode == "bot"
    # The bot answers the customer's next message again.
    assert (await engine.handle(event("hana", "hello again"))).status == "handled"


async def test_a_nul_byte_in_customer_text_is_stored_without_it(engine: Engine, db: Database) -> None:
    """Regression: PostgreSQL refused "\\x00" and the event failed (and was redelivered) forever."""
    result = await engine.handle(event("quinn", "hello\x00 there", display_name="Q\x00"))
    assert result.status == "handled"
    async with db.read() as s:
        said = (
            await s.execute(select(TranscriptMessage.text).where(TranscriptMessage.author == "customer"))
        ).scalar_one()
    assert said == "hello there"
