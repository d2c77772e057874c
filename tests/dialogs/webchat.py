"""Full conversations through the web chat's HTTP API, as the browser drives it: POST a message or a
button press, read what the bot sent from GET /api/chat/history once the delivery worker sent it.
Bookings are seeded relative to the current time (the engine stamps events with the real clock)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.config import Settings
from bot.i18n import JST
from storage.db import Database
from storage.models import Booking, Conversation, Customer, OutboxMessage, Request, Ticket
from tests.support.server import serve_app
from tests.support.wait import eventually

BIRTH = dt.date(1988, 7, 14)
_ids = itertools.count(1)


def jst_today() -> dt.date:
    return dt.datetime.now(JST).date()


async def same_jst_day(margin: dt.timedelta = dt.timedelta(minutes=3)) -> None:
    """Start a conversation only when it cannot cross midnight in Japan (fees count JST dates)."""
    now = dt.datetime.now(JST)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0), JST)
    if midnight - now < margin:
        await asyncio.sleep((midnight - now).total_seconds() + 1)


async def seed(
    settings: Settings,
    *bookings: tuple[str, str, int, int, int | None],
    no_shows: int = 0,
    tz: str = "Asia/Taipei",
) -> dict[str, int]:
    """A customer born on BIRTH with bookings (reference, kind, JST days from today, hour, fee).

    Booked 20 days ago and confirmed 19 days ago; returns {reference: booking id}.
    """
    await same_jst_day()
    today = jst_today()
    now = dt.datetime.now(dt.UTC)
    db = Database(settings.database_url)
    try:
        async with db.write() as s:
            customer = Customer(
                full_name="Flow Tester", birth_date=BIRTH, timezone=tz, locale="en", no_show_count=no_shows
            )
            s.add(customer)
            await s.flush()
            rows = []
            for ref, kind, days, hour, fee in bookings:
                at = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour), JST)
                rows.append(
                    Booking(
                        reference=ref,
                        customer_id=customer.id,
                        kind=kind,
                        clinic="Shibuya Skin Clinic",
                        service_at=at,
                        fee_total_jpy=fee,
                        status="confirmed",
                        requested_at=now - dt.timedelta(days=20),
                        confirmed_at=now - dt.timedelta(days=19),
                    )
                )
            s.add_all(rows)
            await s.flush()
            return {b.reference: b.id for b in rows}
    finally:
        await db.dispose()


class Chat:
    """One visitor (one cookie jar) talking to the web chat."""

    def __init__(self, http: httpx.AsyncClient, db: Database) -> None:
        self.http, self.db = http, db
        self.seen = 0
        self.token = ""
        self.last: list[dict[str, Any]] = []

    async def _post(self, payload: dict[str, Any], *, answered: bool = True) -> list[dict[str, Any]]:
        payload = {"id": f"flow-{next(_ids):06d}-{id(self) % 10000:04d}", **payload}
        r = await self.http.post("/api/chat/messages", json=payload)
        assert r.status_code == 200, r.text
        if not answered:
            await eventually(self._settled)
            self.last = []
            return []
        messages: list[dict[str, Any]] = await eventually(self._new_replies)
        self.last = messages
        return messages

    async def _history(self) -> dict[str, Any]:
        data: dict[str, Any] = (await self.http.get("/api/chat/history")).json()
        return data

    async def _new_replies(self) -> list[dict[str, Any]] | None:
        data = await self._history()
        messages = data["messages"]
        if len(messages) <= self.seen or messages[-1]["author"] == "customer":
            return None
        new = messages[self.seen :]
        self.seen = len(messages)
        self.token = data.get("token") or self.token
        return [m for m in new if m["author"] != "customer"]

    async def _settled(self) -> bool:
        async with self.db.read() as s:
            statuses = (await s.execute(select(OutboxMessage.status))).scalars().all()
        return all(x in ("sent", "dead", "cancelled") for x in statuses)

    async def say(self, text: str, *, answered: bool = True) -> list[dict[str, Any]]:
        return await self._post({"text": text}, answered=answered)

    async def press(self, option: str, *, token: str | None = None) -> list[dict[str, Any]]:
        return await self._post({"choice": option, "token": self.token if token is None else token})

    async def pick(self, day: dt.date) -> list[dict[str, Any]]:
        return await self._post({"date": day.isoformat(), "token": self.token})

    def text(self) -> str:
        return "\n".join(str(m["text"]) for m in self.last)

    def options(self) -> list[str]:
        return [o["id"] for m in self.last for o in m.get("message", {}).get("options", [])]

    async def link(self, reference: str, birth: dt.date = BIRTH) -> None:
        """The identity check as a customer goes through it (consent first)."""
        if "consent_yes" in self.options():
            await self.press("consent_yes")
        assert "booking reference" in self.text()
        await self.say(reference)
        await self.pick(birth)
        assert "this chat is now linked" in self.text(), self.text()

    async def count(self, model: type, *where: Any) -> int:
        async with self.db.read() as s:
            return int((await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one())

    async def requests(self) -> list[Request]:
        async with self.db.read() as s:
            return list((await s.execute(select(Request).order_by(Request.id))).scalars())

    async def tickets(self) -> list[Ticket]:
        async with self.db.read() as s:
            return list((await s.execute(select(Ticket).order_by(Ticket.id))).scalars())

    async def mode(self) -> str:
        async with self.db.read() as s:
            return str(
                (
                    await s.execute(select(Conversation.mode).where(Conversation.channel == "webchat"))
                ).scalar_one()
            )


@asynccontextmanager
async def chat(settings: Settings) -> AsyncIterator[Chat]:
    await same_jst_day()
    db = Database(settings.database_url)
    try:
        async with serve_app(settings) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
            c = Chat(http, db)
            await c._post({"start": True})
            yield c
    finally:
        await db.dispose()
