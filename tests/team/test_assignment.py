"""Auto-assignment (bot.modes) and availability, on SQLite and PostgreSQL (the db_url fixture)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot import availability, modes
from bot.console import auth
from storage.db import Database
from storage.models import Agent, AgentSession, Conversation, Ticket
from storage.repositories import availability as team_repo
from storage.repositories import conversations
from storage.repositories import hours as hours_repo
from storage.repositories.tickets import open_ticket

NOW = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)  # Monday 10:00 JST
AUTO = modes.Assignment(auto=True, default_capacity=2, away_after=dt.timedelta(minutes=10))


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


async def agent(
    db: Database,
    name: str,
    languages: str,
    *,
    seen: dt.timedelta | None = dt.timedelta(minutes=1),
    now: dt.datetime = NOW,
    **kw: object,
) -> int:
    """An agent; `seen`: how long ago their live session's last request was (None: signed out)."""
    async with db.write() as s:
        a = Agent(email=f"{name}@agency.example", name=name, password_hash="x", languages=languages, **kw)
        s.add(a)
        await s.flush()
        if seen is not None:
            s.add(
                AgentSession(
                    id=f"{name}-session".ljust(64, "0"),
                    agent_id=a.id,
                    csrf_token="t",
                    created_at=now - dt.timedelta(hours=1),
                    last_seen_at=now - seen,
                    expires_at=now + dt.timedelta(hours=8),
                    verified_at=now - dt.timedelta(hours=1),
                )
            )
        return a.id


async def ticket(db: Database, user: str, locale: str | None, priority: str = "normal") -> int:
    async with db.write() as s:
        ident = await conversations.identity_for(s, "webchat", user)
        conv = await conversations.lock_conversation(s, "webchat", user, ident.id)
        conv.locale, conv.mode = locale, "queued"
        t = await open_ticket(s, conv.id, "human", priority)
        return t.id


async def assign(db: Database, ticket_id: int, rules: modes.Assignment = AUTO) -> int | None:
    async with db.write() as s:
        return await modes.assign(s, ticket_id, NOW, rules)


async def holder(db: Database, ticket_id: int) -> tuple[str, int | None, str | None]:
    async with db.read() as s:
        t = await s.get(Ticket, ticket_id)
        assert t is not None
        mode = (
            await s.execute(select(Conversation.mode).where(Conversation.id == t.conversation_id))
        ).scalar()
        return t.status, t.claimed_by, mode


class TestAutoAssignment:
    async def test_the_language_decides_and_the_conversation_goes_to_the_agent(self, db: Database) -> None:
        await agent(db, "aiko", "ja,en")
        somchai = await agent(db, "somchai", "th,en")
        thai = await ticket(db, "u1", "th")
        assert await assign(db, thai) == somchai
        assert await holder(db, thai) == ("claimed", somchai, "agent")

    async def test_chinese_in_either_script_is_served_by_zh(self, db: Database) -> None:
        wei = await agent(db, "wei", "zh")
        assert await assign(db, await ticket(db, "u1", "zh_Hant")) == wei
        assert await assign(db, await ticket(db, "u2", "zh_Hans")) == wei

    async def test_round_robin_among_those_who_fit(self, db: Database) -> None:
        a = await agent(db, "aiko", "en")
        b = await agent(db, "ben", "en")
        rules = modes.Assignment(auto=True, default_capacity=10)
        got = [await assign(db, await ticket(db, f"u{n}", "en"), rules) for n in range(4)]
        assert got == [a, b, a, b]

    async def test_capacity_is_respected_then_it_waits(self, db: Database) -> None:
        a = await agent(db, "aiko", "en", capacity=1)
        b = await agent(db, "ben", "en")  # the default capacity, 2
        got = [await assign(db, await ticket(db, f"u{n}", "en")) for n in range(4)]
        assert got == [a, b, b, None]
        async with db.read() as s:
            loads = {x.id: x.load for x in await team_repo.team(s, NOW, NOW - modes.SESSION_IDLE)}
        assert loads == {a: 1, b: 2}

    async def test_nobody_online_leaves_it_in_the_queue(self, db: Database) -> None:
        await agent(db, "off", "en", seen=None)  # signed out
        await agent(db, "idle", "en", seen=dt.timedelta(minutes=25))  # away: idle too long
        await agent(db, "brb", "en", presence="away")  # away by choice
        await agent(db, "gone", "en", disabled_at=NOW)
        waiting = await ticket(db, "u1", "en")
        assert await assign(db, waiting) is None
        assert await holder(db, waiting) == ("open", None, "queued")

    async def test_manual_mode_assigns_nothing(self, db: Database) -> None:
        await agent(db, "aiko", "en")
        t = await ticket(db, "u1", "en")
        assert await assign(db, t, modes.Assignment(auto=False)) is None
        async with db.write() as s:
            assert await modes.assignment(s, AUTO.away_after) == modes.Assignment(auto=False)
            await hours_repo.set_setting(s, "assignment", "auto")
            await hours_repo.set_setting(s, "capacity", "7")
        async with db.read() as s:
            assert (await modes.assignment(s, AUTO.away_after)).auto
            assert (await modes.assignment(s, AUTO.away_after)).default_capacity == 7

    async def test_waiting_tickets_go_to_someone_who_becomes_available_urgent_first(
        self, db: Database
    ) -> None:
        normal = await ticket(db, "u1", "vi")
        urgent = await ticket(db, "u2", "vi", "urgent")
        other = await ticket(db, "u3", "ko")
        assert await assign(db, normal) is None
        lan = await agent(db, "lan", "vi", capacity=1)
        async with db.write() as s:
            done = await modes.assign_waiting(s, NOW, AUTO)
        assert done == [(urgent, lan)]  # capacity 1: the urgent one; the rest wait
        assert (await holder(db, normal))[0] == "open" and (await holder(db, other))[0] == "open"

    async def test_reassign_and_release_keep_working_after_an_auto_assignment(self, db: Database) -> None:
        a = await agent(db, "aiko", "en")
        b = await agent(db, "ben", "ja")
        t = await ticket(db, "u1", "en")
        assert await assign(db, t) == a
        async with db.write() as s:
            assert await modes.reassign(s, t, a, b, NOW)
        assert await holder(db, t) == ("claimed", b, "agent")
        async with db.write() as s:
            assert await modes.release(s, t, None)
        assert await holder(db, t) == ("open", None, "queued")


class TestAvailability:
    async def test_online_away_offline(self, db: Database) -> None:
        await agent(db, "on", "ja")
        await agent(db, "idle", "ja", seen=dt.timedelta(minutes=12))
        await agent(db, "brb", "ja", presence="away")
        await agent(db, "off", "ja", seen=None)
        async with db.read() as s:
            rows = await team_repo.team(s, NOW, NOW - modes.SESSION_IDLE)
        got = {a.name: availability.status(a, NOW, dt.timedelta(minutes=10)) for a in rows}
        assert got == {"on": "online", "idle": "away", "brb": "away", "off": "offline"}

    async def test_an_expired_or_unverified_session_is_offline(self, db: Database) -> None:
        stale = await agent(db, "stale", "ja", seen=dt.timedelta(minutes=45))  # past the session's idle end
        async with db.read() as s:
            (row,) = await team_repo.team(s, NOW, NOW - modes.SESSION_IDLE)
        assert row.id == stale and availability.status(row, NOW, dt.timedelta(minutes=10)) == "offline"

    def test_the_session_idle_time_is_the_consoles(self) -> None:
        assert modes.SESSION_IDLE == auth.IDLE_TIMEOUT

    def test_languages_are_checked(self) -> None:
        assert availability.parse_languages("ja, en,ja") == ("ja", "en")
        with pytest.raises(ValueError):
            availability.parse_languages("ja,fr")
        assert availability.language_of(None) == "en" and availability.language_of("zh_Hant") == "zh"


async def test_a_ticket_beside_a_flow_the_bot_goes_on_with_is_not_auto_assigned(db: Database) -> None:
    await agent(db, "aiko", "en")
    beside = await ticket(db, "u1", "en")
    async with db.write() as s:
        t = await s.get(Ticket, beside)
        assert t is not None and t.conversation_id is not None
        conv = await s.get(Conversation, t.conversation_id)
        assert conv is not None
        conv.mode = "bot"  # e.g. a cancellation to confirm, the customer still talking to the bot
    assert await assign(db, beside) is None
    async with db.write() as s:
        assert await modes.assign_waiting(s, NOW, AUTO) == []
    assert await holder(db, beside) == ("open", None, "bot")
