"""Identity-check limits that follow the booking reference and the source, not the conversation: fresh
web chat sessions do not reset them, a lock holds on every channel and against the right birth date,
an unknown reference is treated exactly like a known one, an agent can lift a lock (audited), and each
lock is one urgent ticket."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.engine import Engine
from bot.events import ChoiceIn, ConversationKey, DateIn, InboundEvent, TextIn
from bot.link_limits import REFERENCE_MAX_FAILURES, SOURCE_MAX_FAILURES, client_network, source_of
from storage.db import Database
from storage.models import AuditEntry, ChannelIdentity, LinkFailure, LinkLock, OutboxMessage, Ticket
from storage.repositories import link_limits as repo
from tests.console.support import Running, add_agent, ja, running
from tests.dialogs.webchat import BIRTH, Chat, seed

WRONG = BIRTH + dt.timedelta(days=1)
LOCKED = "paused for an hour"
_users = itertools.count(1)


@asynccontextmanager
async def visitor(run: Running) -> AsyncIterator[Chat]:
    """A fresh web chat session (no cookie) on the running app, up to the reference question."""
    async with httpx.AsyncClient(base_url=run.base, timeout=10) as http:
        c = Chat(http, run.db)
        await c._post({"start": True})
        await c.press("payment")
        await c.press("consent_yes")
        assert "booking reference" in c.text()
        yield c


async def try_once(c: Chat, reference: str, birth: dt.date) -> str:
    await c.say(reference)
    await c.pick(birth)
    return c.text()


async def tickets(db: Database) -> list[Ticket]:
    async with db.read() as s:
        return list((await s.execute(select(Ticket).order_by(Ticket.id))).scalars())


async def linked(db: Database) -> int:
    async with db.read() as s:
        rows = await s.execute(select(ChannelIdentity).where(ChannelIdentity.customer_id.is_not(None)))
        return len(rows.scalars().all())


class Line:
    """One LINE user talking through the app's engine; reads back what the bot queued for them."""

    def __init__(
        self, engine: Engine, db: Database, channel: str = "line", address: str | None = None
    ) -> None:
        self.engine, self.db, self.address = engine, db, address
        self.key = ConversationKey(channel, f"U{uuid.uuid4().hex}")
        self.conversation_id: int | None = None

    async def send(self, body: TextIn | ChoiceIn | DateIn) -> list[str]:
        before = await self._texts()
        event = InboundEvent(self.key, uuid.uuid4().hex, dt.datetime.now(dt.UTC), body, address=self.address)
        result = await self.engine.handle(event)
        assert result.status == "handled"
        self.conversation_id = result.conversation_id
        return (await self._texts())[len(before) :]

    async def _texts(self) -> list[str]:
        if self.conversation_id is None:
            return []
        async with self.db.read() as s:
            rows = await s.execute(
                select(OutboxMessage.payload)
                .where(OutboxMessage.conversation_id == self.conversation_id)
                .order_by(OutboxMessage.id)
            )
            return [m["text"] for payload in rows.scalars() for m in payload["messages"]]

    async def try_once(self, reference: str, birth: dt.date) -> list[str]:
        if self.conversation_id is None:
            await self.send(TextIn("payment"))
            await self.send(ChoiceIn("consent_yes"))
        await self.send(TextIn(reference))
        return await self.send(DateIn(birth))


async def test_brute_force_over_seven_fresh_web_chat_sessions_is_stopped_after_five(
    settings: Settings,
) -> None:
    await seed(settings, ("BF-1001", "treatment", 6, 14, 40_000))
    async with running(settings) as run:
        said = []
        for n in range(7):
            # The right birth date from the sixth session on: it must be refused all the same.
            birth = WRONG + dt.timedelta(days=n) if n < REFERENCE_MAX_FAILURES else BIRTH
            async with visitor(run) as c:
                # Upper or lower case: the same reference, counted together.
                said.append(await try_once(c, "BF-1001" if n % 2 else "bf-1001", birth))
        assert all("don't match our records" in t for t in said[:4]), said
        assert [f"{4 - n} more tr" in said[n] for n in range(4)] == [True] * 4
        assert all(LOCKED in t for t in said[4:]), said
        assert await linked(run.db) == 0, "the right birth date on the sixth try did not link"
        [ticket] = await tickets(run.db)
        assert (ticket.reason, ticket.priority) == ("link_locked", "urgent")
        async with run.db.read() as s:
            [lock] = (await s.execute(select(LinkLock))).scalars().all()
            keys = set((await s.execute(select(LinkFailure.key_hash))).scalars())
        assert lock.kind == "reference" and lock.ticket_id == ticket.id and lock.booking_id is not None
        assert "1001" not in lock.key_hash and len(lock.key_hash) == 64, "only a keyed hash is kept"
        assert lock.key_hash not in keys, "the failures that made the lock are spent"


async def test_a_lock_made_on_line_holds_in_the_web_chat(settings: Settings) -> None:
    await seed(settings, ("XC-2002", "treatment", 6, 14, 40_000))
    async with running(settings) as run:
        line = Line(run.engine, run.db)
        for _ in range(REFERENCE_MAX_FAILURES):
            said = await line.try_once("XC-2002", WRONG)
        assert any(LOCKED in t for t in said), said
        async with visitor(run) as c:
            assert LOCKED in await try_once(c, "xc-2002", BIRTH), "case does not make a new key"
        telegram = Line(run.engine, run.db, channel="telegram")
        assert any(LOCKED in t for t in await telegram.try_once("XC-2002", BIRTH))
        assert await linked(run.db) == 0
        assert len(await tickets(run.db)) == 1, "one lock, one ticket, however often it is met"


async def test_ten_failures_from_one_address_lock_that_address(settings: Settings) -> None:
    await seed(settings, ("SRC-3003", "treatment", 6, 14, 40_000))
    async with running(settings) as run:
        said: list[str] = []
        for session in range(SOURCE_MAX_FAILURES // 2):
            async with visitor(run) as c:
                for n in range(2):
                    # A new unknown reference each time: no reference reaches its own limit.
                    said.append(await try_once(c, f"NOPE-{session}{n}", WRONG))
        assert all("don't match" in t for t in said[:-1]) and LOCKED in said[-1], said
        async with visitor(run) as c:
            assert LOCKED in await try_once(c, "SRC-3003", BIRTH), (
                "this address is locked for every reference"
            )
        # The same chat software from another address is not held back by this one.
        other = Line(run.engine, run.db, channel="webchat", address="203.0.113.7")
        assert any("now linked" in t for t in await other.try_once("SRC-3003", BIRTH))
        [ticket] = await tickets(run.db)
        async with run.db.read() as s:
            [lock] = (await s.execute(select(LinkLock))).scalars().all()
        assert (lock.kind, lock.ticket_id, ticket.priority) == ("source", ticket.id, "urgent")


async def test_an_unknown_reference_reads_exactly_like_a_known_one(settings: Settings) -> None:
    await seed(settings, ("KN-4004", "treatment", 6, 14, 40_000))
    async with running(settings) as run:
        known, unknown = Line(run.engine, run.db), Line(run.engine, run.db)
        heard: dict[str, list[list[str]]] = {"known": [], "unknown": []}
        for n in range(REFERENCE_MAX_FAILURES):
            heard["known"].append(await known.try_once("KN-4004", WRONG + dt.timedelta(days=n)))
            heard["unknown"].append(await unknown.try_once("KN-4005", WRONG + dt.timedelta(days=n)))
        # Asking again afterwards: the same refusal.
        heard["known"].append(await known.send(TextIn("payment")))
        heard["unknown"].append(await unknown.send(TextIn("payment")))
        assert heard["known"] == heard["unknown"]
        assert all(any(LOCKED in t for t in said) for said in heard["unknown"][-2:]), heard
        async with run.db.read() as s:
            locks = (await s.execute(select(LinkLock).order_by(LinkLock.id))).scalars().all()
        assert [lock.kind for lock in locks] == ["reference", "reference"]
        assert [lock.booking_id is None for lock in locks] == [False, True], "agents see which is real"
        assert [t.priority for t in await tickets(run.db)] == ["urgent", "urgent"]


async def test_an_agent_lifts_the_lock_and_linking_works_again(settings: Settings) -> None:
    await seed(settings, ("LIFT-5005", "treatment", 6, 14, 40_000))
    async with running(settings) as run:
        await add_agent(run.db, "lift@agency.example", "Lift Agent")
        for _ in range(REFERENCE_MAX_FAILURES):
            async with visitor(run) as c:
                said = await try_once(c, "LIFT-5005", WRONG)
        assert LOCKED in said
        agent = await run.login("lift@agency.example")
        page = await agent.client.get("/console/locks")
        assert page.status_code == 200 and "LIFT-5005" in page.text
        async with run.db.read() as s:
            [lock] = (await s.execute(select(LinkLock))).scalars().all()
        forged = await agent.client.post(f"/console/locks/{lock.id}/lift", data={"csrf": "forged"})
        assert forged.status_code == 403
        async with visitor(run) as c:
            assert LOCKED in await try_once(c, "LIFT-5005", BIRTH), "a forged request lifted nothing"
        lifted = await agent.post(f"/console/locks/{lock.id}/lift")
        assert lifted.status_code == 303, lifted.text
        assert ja("No locks in force.") in (await agent.client.get("/console/locks")).text
        async with visitor(run) as c:
            assert "now linked" in await try_once(c, "LIFT-5005", BIRTH)
        async with run.db.read() as s:
            [entry] = (
                await s.execute(select(AuditEntry).where(AuditEntry.action == "link_lock.lift"))
            ).scalars()
        assert entry.actor == "agent:lift@agency.example" and entry.target_id == str(lock.id)
        assert "LIFT" not in str(entry.detail), "the audit log keeps ids, not references"
        again = await agent.post(f"/console/locks/{lock.id}/lift")
        assert again.status_code == 404, "a lifted lock is not lifted twice"


async def test_a_lock_is_taken_once_until_it_ends(db_url: str) -> None:
    """Two failures racing past the limit: only the first takes the lock (and so opens the ticket)."""
    db = Database(db_url)
    now = dt.datetime.now(dt.UTC)
    try:
        async with db.write() as s:
            first = await repo.take_lock(
                s, "reference", "k" * 64, now, now + dt.timedelta(hours=1), None, None
            )
            second = await repo.take_lock(
                s, "reference", "k" * 64, now, now + dt.timedelta(hours=1), None, None
            )
        assert first is not None and second is None
        later = now + dt.timedelta(hours=2)
        async with db.write() as s:
            assert await repo.active_lock(s, "reference", "k" * 64, later) is None, "it ended on time"
            renewed = await repo.take_lock(
                s, "reference", "k" * 64, later, later + dt.timedelta(hours=1), None, None
            )
        assert renewed is not None and renewed.id == first.id and renewed.locked_at == later
    finally:
        await db.dispose()


def test_an_ipv6_client_counts_as_its_block() -> None:
    key = ConversationKey("webchat", "visitor")
    assert source_of(key, "2001:db8:1:2::5") == source_of(key, "2001:db8:1:2:ffff::9")
    assert source_of(key, "2001:db8:1:3::5") != source_of(key, "2001:db8:1:2::5")
    assert source_of(key, "192.0.2.1") != source_of(key, "192.0.2.2")
    assert source_of(ConversationKey("line", "U1"), "192.0.2.1") == "line:U1", "a LINE user is the source"


async def test_attempts_in_flight_together_do_not_slip_past_the_limit(settings: Settings) -> None:
    await seed(settings, ("PAR-6006", "treatment", 6, 14, 40_000))
    async with running(settings) as run:
        users = [Line(run.engine, run.db) for _ in range(8)]
        for user in users:
            await user.send(TextIn("payment"))
            await user.send(ChoiceIn("consent_yes"))
            await user.send(TextIn("PAR-6006"))
        said = await asyncio.gather(
            *(u.send(DateIn(WRONG + dt.timedelta(days=n))) for n, u in enumerate(users))
        )
        wrong = [s for s in said if any("don't match" in t for t in s)]
        assert len(wrong) == REFERENCE_MAX_FAILURES - 1, said
        assert len(await tickets(run.db)) == 1


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),  # the same subscriber, rotated
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),  # the next /64: someone else
        ("203.0.113.7", "203.0.113.7"),
        # Through a dual-stack listener: each IPv4 client is itself, not one ::/64 for all of them.
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("::ffff:198.51.100.1", "198.51.100.1"),
        ("not an address", "not an address"),
    ],
)
def test_regression_an_ipv6_client_counts_as_its_64_and_a_mapped_ipv4_as_itself(
    address: str, counted_as: str
) -> None:
    assert client_network(address) == counted_as
