"""The handoff through the engine: the team's hours, presence and auto-assignment told to the customer."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot import team
from bot.bus import Bus
from bot.config import Settings
from bot.engine import Engine
from bot.events import ChoiceIn
from storage.db import Database
from storage.models import Conversation, OutboxMessage, Ticket
from storage.repositories import hours as hours_repo
from tests.support.collecting import event
from tests.team.test_assignment import agent

SATURDAY_NOON = dt.datetime(2026, 12, 5, 3, 0, tzinfo=dt.UTC)  # 12:00 JST
MONDAY_TEN = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)  # 10:00 JST


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url)
    async with database.write() as s:
        for weekday in range(5):
            await hours_repo.set_weekday(s, weekday, [(9 * 60, 18 * 60)])
    yield database
    await database.dispose()


async def said(db: Database) -> list[str]:
    async with db.read() as s:
        rows = (await s.execute(select(OutboxMessage.payload).order_by(OutboxMessage.id))).scalars()
        return [m["text"].replace("\u202f", " ") for row in rows for m in row["messages"]]


async def ask_for_a_person(db: Database, settings: Settings, at: dt.datetime) -> None:
    engine = Engine(db, settings, Bus())
    await engine.handle(event("kim", "hello", at=at))
    await engine.handle(event("kim", ChoiceIn("human", "1"), at=at))


async def test_outside_hours_the_customer_is_told_when_the_team_opens(
    db: Database, settings: Settings
) -> None:
    await ask_for_a_person(db, settings, SATURDAY_NOON)
    texts = await said(db)
    assert "Our team is away at the moment and will answer from Mon, Dec 7, 9:00 AM Japan time." in texts
    assert not any("online" in t for t in texts)


async def test_inside_hours_with_nobody_online_nobody_is_promised(db: Database, settings: Settings) -> None:
    await ask_for_a_person(db, settings, MONDAY_TEN)
    texts = await said(db)
    assert any(t.startswith("Nobody from our team is at their desk") for t in texts)


async def test_inside_hours_auto_assignment_gives_it_to_an_online_agent(
    db: Database, settings: Settings
) -> None:
    async with db.write() as s:
        await hours_repo.set_setting(s, "assignment", "auto")
    await agent(db, "taro", "ja", now=MONDAY_TEN)  # online, but not for English
    ann = await agent(db, "ann", "en", now=MONDAY_TEN)
    await ask_for_a_person(db, settings, MONDAY_TEN)
    async with db.read() as s:
        ticket = (await s.execute(select(Ticket))).scalar_one()
        conv = (await s.execute(select(Conversation))).scalar_one()
    assert (ticket.status, ticket.claimed_by, conv.mode) == ("claimed", ann, "agent")
    assert "Someone from our team is online and will reply here as soon as they can." in await said(db)


async def test_urgent_is_on_call_only_outside_hours(db: Database, settings: Settings) -> None:
    async with db.read() as s:
        weekend = await team.team_fact(s, settings, SATURDAY_NOON, urgent=True)
        weekday = await team.team_fact(s, settings, MONDAY_TEN, urgent=True)
        normal = await team.team_fact(s, settings, SATURDAY_NOON, urgent=False)
    assert weekend.on_call and not weekend.open_now
    assert weekend.next_opening == dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC)
    assert not weekday.on_call and weekday.open_now and not normal.on_call


async def test_the_expected_wait_is_the_median_of_recent_claims(db: Database, settings: Settings) -> None:
    await agent(db, "ann", "en", now=MONDAY_TEN)
    async with db.write() as s:
        for n, minutes in enumerate((4, 12, 30)):
            created = MONDAY_TEN - dt.timedelta(hours=n + 1)
            s.add(
                Ticket(
                    reason="human",
                    status="resolved",
                    created_at=created,
                    claimed_at=created + dt.timedelta(minutes=minutes),
                )
            )
    async with db.read() as s:
        fact = await team.team_fact(s, settings, MONDAY_TEN, urgent=False)
    assert fact.expected_wait == dt.timedelta(minutes=12) and fact.anyone_online
