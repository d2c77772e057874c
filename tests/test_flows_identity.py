"""Who is writing: consent before any personal data, five wrong answers lock linking for an hour and
alert the agents, one customer linked from several channels, and the demo data links as printed."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from bot.bus import Bus
from bot.config import Settings
from bot.demo import DEMO_BIRTH_DATE, DEMO_REFERENCES, seed_demo
from bot.engine import Engine
from bot.events import ChoiceIn, ConversationKey, DateIn, InboundEvent, TextIn
from bot.i18n import JST
from storage.db import Database
from storage.models import Booking, ChannelIdentity, Conversation, Ticket
from tests.dialogs.webchat import BIRTH, chat, seed


async def test_five_wrong_answers_lock_linking_for_an_hour_and_alert_the_agents(settings: Settings) -> None:
    await seed(settings, ("ID-LOCK", "treatment", 6, 14, 40_000))
    async with chat(settings) as c:
        await c.press("payment")
        await c.press("consent_yes")
        for left in (4, 3, 2, 1):
            await c.say("ID-LOCK")
            await c.pick(BIRTH + dt.timedelta(days=1))
            assert "don't match our records" in c.text()
            assert f"You have {left} more tr" in c.text()
        await c.say(f"ID-LOCK {(BIRTH + dt.timedelta(days=2)).isoformat()}")
        assert "paused for an hour" in c.text()
        [ticket] = await c.tickets()
        assert ticket.reason == "link_locked" and ticket.status == "open"
        async with c.db.read() as s:
            conv = (await s.execute(select(Conversation))).scalar_one()
            identity = (await s.execute(select(ChannelIdentity))).scalar_one()
        assert conv.link_locked_until is not None and identity.customer_id is None
        assert identity.consent_at is not None, "consent was recorded before anything personal was asked"
        await c.say("cancel")
        assert "paused for an hour" in c.text(), "nothing is asked while locked, the right answer neither"


async def test_one_customer_linked_from_several_channels(settings: Settings) -> None:
    ids = await seed(settings, ("ID-MULTI", "treatment", 6, 14, 40_000))
    db = Database(settings.database_url)
    engine = Engine(db, settings, Bus())
    try:
        for channel in ("telegram", "line", "webchat"):
            key = ConversationKey(channel, f"user-{channel}")

            async def send(body: TextIn | ChoiceIn | DateIn, key: ConversationKey = key) -> None:
                event = InboundEvent(key, uuid.uuid4().hex, dt.datetime.now(dt.UTC), body)
                assert (await engine.handle(event)).status == "handled"

            await send(TextIn("payment"))
            await send(ChoiceIn("consent_yes"))
            await send(TextIn("ID-MULTI"))
            await send(DateIn(BIRTH))
        async with db.read() as s:
            identities = (
                (await s.execute(select(ChannelIdentity).order_by(ChannelIdentity.channel))).scalars().all()
            )
            booking = await s.get(Booking, ids["ID-MULTI"])
        assert [i.channel for i in identities] == ["line", "telegram", "webchat"]
        assert booking is not None
        assert {i.customer_id for i in identities} == {booking.customer_id}
        assert all(i.linked_at is not None and i.consent_at is not None for i in identities)
    finally:
        await db.dispose()


async def test_the_demo_data_links_and_offers_its_three_bookings(settings: Settings) -> None:
    printed = await seed_demo(settings)
    assert "DEMO-TREATMENT" in printed and DEMO_BIRTH_DATE.isoformat() in printed
    again = await seed_demo(settings)
    assert again == printed, "seeding again moves the same bookings forward"
    db = Database(settings.database_url)
    try:
        async with db.read() as s:
            rows = (await s.execute(select(Booking).order_by(Booking.service_at))).scalars().all()
    finally:
        await db.dispose()
    today = dt.datetime.now(JST).date()
    days = {b.reference: (b.service_at.astimezone(JST).date() - today).days for b in rows}
    assert days == {"DEMO-ONLINE": 1, "DEMO-SURGERY": 2, "DEMO-TREATMENT": 10}
    assert sorted(days) == sorted(DEMO_REFERENCES) and len({b.customer_id for b in rows}) == 1
    async with chat(settings) as c:
        await c.say("cancel")
        await c.link("DEMO-TREATMENT", DEMO_BIRTH_DATE)
        assert c.options() == [f"b{b.id}" for b in rows] + ["menu"]
        await c.press(f"b{rows[1].id}")
        assert "Have you decided not to have the surgery at all?" in c.text()
        await c.press("this_only")
        assert "Cancellation fee: 50% of ¥120,000 = ¥60,000" in c.text()
        assert await c.count(Ticket) == 0


async def test_a_reference_matches_without_its_hyphens_spaces_or_case(settings: Settings) -> None:
    """The identity check compares references the way customers type them: "h2en01", "H2 EN01"."""
    from storage.repositories import customers

    ids = await seed(settings, ("H2-EN01", "treatment", 6, 14, 40_000))
    db = Database(settings.database_url)
    try:
        async with db.read() as s:
            booking = await s.get(Booking, ids["H2-EN01"])
            assert booking is not None
            for typed in ("H2EN01", "h2en01", "h2 en01", "H2-EN01", "h2_en01"):
                found = await customers.linkable(s, typed, BIRTH)
                assert found is not None and found.id == booking.customer_id, typed
            assert await customers.linkable(s, "H2EN02", BIRTH) is None
            assert await customers.linkable(s, "H2EN01", BIRTH + dt.timedelta(days=1)) is None
    finally:
        await db.dispose()
    async with chat(settings) as c:
        await c.say("payment")
        await c.link("my booking no. is h2 en01 thanks")
