"""The survey repository on SQLite and PostgreSQL: once a day per customer, first answers stand, and a
customer's answers are in their export and gone with their erasure."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import ChannelIdentity, Conversation, CsatSurvey, Customer, Ticket
from storage.repositories import console_data, csat

NOW = dt.datetime(2026, 3, 4, 1, 0, tzinfo=dt.UTC)
QUIET = dt.timedelta(hours=24)


async def _resolved(s: AsyncSession, conv: Conversation, at: dt.datetime) -> int:
    ticket = Ticket(conversation_id=conv.id, reason="human", status="resolved", created_at=at, resolved_at=at)
    s.add(ticket)
    await s.flush()
    return ticket.id


async def test_once_a_day_per_customer_first_answers_stand_export_and_erase(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.write() as s:
            customer = Customer(full_name="Li Wei")
            s.add(customer)
            await s.flush()
            line = ChannelIdentity(channel="line", user_id="U1", customer_id=customer.id)
            web = ChannelIdentity(channel="webchat", user_id="w1", customer_id=customer.id)
            stranger = ChannelIdentity(channel="webchat", user_id="w2")
            s.add_all([line, web, stranger])
            await s.flush()
            convs = [
                Conversation(channel=i.channel, user_id=i.user_id, identity_id=i.id)
                for i in (line, web, stranger)
            ]
            s.add_all(convs)
            await s.flush()
            first = await csat.open_survey(s, await _resolved(s, convs[0], NOW), convs[0].id, NOW, QUIET)
            assert first is not None
            # The same customer on another channel, 23 hours later: not asked again.
            later = NOW + dt.timedelta(hours=23)
            assert (
                await csat.open_survey(s, await _resolved(s, convs[1], later), convs[1].id, later, QUIET)
                is None
            )
            # Someone else is asked; and the customer again after a day.
            assert await csat.open_survey(s, await _resolved(s, convs[2], later), convs[2].id, later, QUIET)
            day = NOW + dt.timedelta(hours=25)
            assert await csat.open_survey(s, await _resolved(s, convs[1], day), convs[1].id, day, QUIET)
            assert await csat.record(s, first, convs[0].id, NOW, rating=2)
            assert not await csat.record(s, first, convs[0].id, NOW, rating=5), "the first rating stands"
            assert not await csat.record(s, first, convs[1].id, NOW, comment="x"), "only its own conversation"
            assert await csat.record(s, first, convs[0].id, NOW, comment="slow answer")
            customer_id = customer.id
        async with db.read() as s:
            survey = await s.get(CsatSurvey, first)
            assert survey is not None and (survey.rating, survey.comment) == (2, "slow answer")
            exported = await console_data.export_customer(s, customer_id)
        assert exported is not None
        assert [(a["rating"], a["comment"]) for a in exported["satisfaction"]] == [
            (2, "slow answer"),
            (None, None),
        ]
        async with db.write() as s:
            await console_data.erase_customer(s, customer_id, "anonymize", NOW)
        async with db.read() as s:
            left = (await s.execute(select(func.count()).select_from(CsatSurvey))).scalar_one()
        assert left == 1, "only the stranger's survey is left"
    finally:
        await db.dispose()
