"""A small data set for the reports whose every number is known (tests/console/test_reports.py and the
reports screenshot). Two JST weeks, 2026-03-02 (Mon) to 2026-03-15 (Sun), and rows just outside them.

Tickets (JST; minutes to claim / first agent message / resolution):
  T1 line ja     Mon 03-02 23:30  Ann  10 / 15 / 60    CSAT 5
  T2 line ja     Mon 03-09 09:00  Ann  20 / 30 / 120   CSAT 3
  T3 webchat ko  Tue 03-10 14:00  Ben   5 /  6 / 36    CSAT 4
  T4 webchat ko  Wed 03-11 09:10  Ben  40 /  — / —     (same conversation as T3, still claimed)
Conversations without a ticket: webchat en Mon 03-02 10:00; telegram zh_Hans Tue 03-03 00:30 (which
is still Monday in UTC). Outside: webchat en Sun 03-01 23:50, webchat en Mon 03-16 00:10.
"""

from __future__ import annotations

import datetime as dt

from bot.i18n import JST
from storage.db import Database
from storage.models import Booking, Conversation, CsatSurvey, Request, Ticket, TranscriptMessage

FROM, TO = dt.date(2026, 3, 2), dt.date(2026, 3, 15)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=JST)


def later(base: dt.datetime, minutes: int) -> dt.datetime:
    return base + dt.timedelta(minutes=minutes)


async def seed_reports(db: Database, ann: int, ben: int) -> None:
    async with db.write() as s:
        convs = {}
        for key, channel, locale, created in (
            ("bot1", "webchat", "en", at(2, 10)),
            ("t1", "line", "ja", at(2, 23, 30)),
            ("bot2", "telegram", "zh_Hans", at(3, 0, 30)),
            ("t2", "line", "ja", at(9, 9)),
            ("t3", "webchat", "ko", at(10, 14)),
            ("before", "webchat", "en", at(1, 23, 50)),
            ("after", "webchat", "en", at(16, 0, 10)),
        ):
            conv = Conversation(channel=channel, user_id=f"u-{key}", locale=locale, created_at=created)
            s.add(conv)
            convs[key] = conv
        await s.flush()
        tickets = []
        for key, created, agent, wait, first, resolution in (
            ("t1", at(2, 23, 30), ann, 10, 15, 60),
            ("t2", at(9, 9), ann, 20, 30, 120),
            ("t3", at(10, 14), ben, 5, 6, 36),
            ("t3", at(11, 9, 10), ben, 40, None, None),
        ):
            ticket = Ticket(
                conversation_id=convs[key].id,
                reason="human",
                status="resolved" if resolution else "claimed",
                claimed_by=agent,
                created_at=created,
                claimed_at=later(created, wait),
                resolved_at=later(created, resolution) if resolution else None,
            )
            s.add(ticket)
            tickets.append(ticket)
            if first is not None:
                s.add(
                    TranscriptMessage(
                        conversation_id=convs[key].id,
                        author="agent",
                        agent_id=agent,
                        text="Hello, this is our team.",
                        created_at=later(created, first),
                    )
                )
        await s.flush()
        for ticket, rating in zip(tickets[:3], (5, 3, 4), strict=True):
            assert ticket.resolved_at is not None
            s.add(
                CsatSurvey(
                    ticket_id=ticket.id,
                    conversation_id=ticket.conversation_id,
                    agent_id=ticket.claimed_by,
                    asked_at=ticket.resolved_at,
                    rating=rating,
                    rated_at=later(ticket.resolved_at, 1),
                )
            )
        for i, (kind, fee, when) in enumerate(
            (
                ("cancellation", 15000, at(3, 11)),
                ("cancellation", 5000, at(12, 16)),
                ("change", None, at(9, 9)),
                ("late", None, at(10, 8)),
                ("special", None, at(14, 20)),
                ("cancellation", 99999, at(16, 9)),  # outside
            )
        ):
            s.add(
                Request(
                    conversation_id=convs["t1"].id,
                    kind=kind,
                    fee_jpy=fee,
                    dedupe_key=f"seed:{i}",
                    requested_at=when,
                )
            )
        for i, (status, when) in enumerate(
            (
                ("no_show", at(4, 10)),
                ("no_show", at(12, 15)),
                ("no_show", at(13, 11)),
                ("no_show", at(9, 8)),  # Monday 08:00 JST: still Sunday in UTC, the second week in Japan
                ("confirmed", at(11, 10)),
                ("no_show", at(20, 10)),  # outside
            )
        ):
            s.add(
                Booking(
                    reference=f"BK-R{i:03d}",
                    clinic="Shibuya Skin Clinic",
                    kind="treatment",
                    service_at=when,
                    status=status,
                )
            )
