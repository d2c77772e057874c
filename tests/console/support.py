"""Helpers for the console tests: accounts, a running app, signing in over HTTP, seeded customers."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import markupsafe
import pyotp
from sqlalchemy import func, select

from bot.app import build_app
from bot.config import Settings
from bot.console import passwords, totp
from bot.console.i18n import translator
from bot.engine import Engine
from storage.db import Database
from storage.models import Agent, Booking, ChannelIdentity, Customer
from storage.repositories import console as repo
from tests.support.server import serve_asgi

PASSWORD = "correct horse battery staple"
# Admins need a second factor: add_agent enrols every admin with this secret (sealed with the tests'
# app secret, tests/conftest.py), and signing in over HTTP answers the code step with it.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
TEST_APP_SECRET = "test-secret-key-not-for-production"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@dataclass
class Running:
    base: str
    db: Database
    engine: Engine
    settings: Settings
    stack: contextlib.AsyncExitStack

    async def login(self, email: str, password: str = PASSWORD) -> Session:
        """A signed-in HTTP client, closed when the app stops."""
        return await self.stack.enter_async_context(signed_in(self.base, email, password, self.db))


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Running]:
    """The real app under uvicorn; `engine` is the app's own (same bus), `db` a second connection pool."""
    app = build_app(settings)
    db = Database(settings.database_url)
    try:
        async with serve_asgi(app) as base, contextlib.AsyncExitStack() as stack:
            yield Running(base, db, app.state.ctx.engine, settings, stack)
    finally:
        await db.dispose()


def ja(message: str, **values: object) -> str:
    """A console string as the (Japanese by default) console shows it, HTML-escaped as in the page."""
    return str(markupsafe.escape(translator("ja")(message, **values)))


async def add_agent(
    db: Database,
    email: str,
    name: str,
    role: str = "agent",
    password: str = PASSWORD,
    *,
    two_factor: bool | None = None,
    app_secret: str = TEST_APP_SECRET,
    console_locale: str = "ja",
) -> int:
    """An account; with two-factor authentication (TOTP_SECRET, sealed with the app's secret) when
    asked, and for every admin."""
    async with db.write() as s:
        agent = repo.add_agent(s, email, name, role, passwords.hash_password(password))
        agent.console_locale = console_locale
        if two_factor or (two_factor is None and role == "admin"):
            agent.totp_secret = totp.seal(app_secret, TOTP_SECRET)
            agent.totp_enabled_at = dt.datetime.now(dt.UTC)
        await s.flush()
        return agent.id


async def next_code(db: Database, email: str, secret: str = TOTP_SECRET) -> str:
    """A code the server will accept now: a time step after the last one this agent used (a code is
    never accepted twice), waiting for the next step when the window ahead is used up."""
    while True:
        async with db.read() as s:
            last = (await s.execute(select(Agent.totp_last_step).where(Agent.email == email))).scalar_one()
        current = int(time.time() // totp.STEP)
        step = current if last is None else max(current, last + 1)
        if step <= current + 1:
            return pyotp.TOTP(secret).at(step * totp.STEP)
        await asyncio.sleep((current + 1) * totp.STEP - time.time() + 0.2)


async def count(db: Database, model: type, *where: Any) -> int:
    async with db.read() as s:
        return int((await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


async def agent_id(db: Database, email: str) -> int:
    async with db.read() as s:
        return int((await s.execute(select(Agent.id).where(Agent.email == email))).scalar_one())


@dataclass
class Session:
    client: httpx.AsyncClient
    csrf: str

    async def post(self, path: str, data: dict[str, str] | None = None, **kw: object) -> httpx.Response:
        return await self.client.post(path, data={"csrf": self.csrf, **(data or {})}, **kw)  # type: ignore[arg-type]

    async def post_json(self, path: str, payload: object = None) -> httpx.Response:
        return await self.client.post(
            path, json=payload or {}, headers={"X-CSRF-Token": self.csrf, "Accept": "application/json"}
        )


async def login_form(client: httpx.AsyncClient) -> str:
    page = await client.get("/console/login")
    found = CSRF_FIELD.search(page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    token = await login_form(client)
    return await client.post(
        "/console/login", data={"csrf": token, "email": email, "password": password, "next": "/console/"}
    )


async def enter_code(client: httpx.AsyncClient, code: str) -> httpx.Response:
    """The second step of signing in (after a 303 to /console/login/code)."""
    page = await client.get("/console/login/code")
    found = CSRF_FIELD.search(page.text)
    assert page.status_code == 200 and found, page.text
    return await client.post(
        "/console/login/code", data={"csrf": found.group(1), "code": code, "next": "/console/"}
    )


@contextlib.asynccontextmanager
async def signed_in(
    base: str, email: str, password: str = PASSWORD, db: Database | None = None
) -> AsyncIterator[Session]:
    async with httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=20) as client:
        response = await sign_in(client, email, password)
        assert response.status_code == 303, response.text
        if response.headers["location"].startswith("/console/login/code"):
            assert db is not None, "this account has two-factor authentication: pass the database"
            response = await enter_code(client, await next_code(db, email))
            assert response.status_code == 303, response.text
        page = await client.get("/console/")
        found = CSRF_META.search(page.text)
        assert found, page.text
        yield Session(client, found.group(1))


async def seed_customer(
    db: Database,
    *,
    name: str = "Li Wei",
    email: str = "li.wei@example.com",
    contract_ends_on: dt.date | None = None,
    bookings: int = 1,
    service_at: dt.datetime | None = None,
) -> tuple[int, list[int]]:
    now = dt.datetime.now(dt.UTC)
    async with db.write() as s:
        customer = Customer(
            full_name=name,
            email=email,
            birth_date=dt.date(1990, 5, 17),
            phone="+86 138 0000 0000",
            treatment_history="rhinoplasty 2021",
            locale="en",
            no_show_count=0,
            contract_ends_on=contract_ends_on,
            created_at=now,
            updated_at=now,
        )
        s.add(customer)
        await s.flush()
        ids = []
        for i in range(bookings):
            booking = Booking(
                reference=f"BK-{customer.id}-{i}",
                customer_id=customer.id,
                clinic="Ginza Clinic",
                kind="surgery",
                service_at=service_at or now + dt.timedelta(days=10 + i),
                fee_total_jpy=30000,
                requested_at=now - dt.timedelta(days=5),
                confirmed_at=now - dt.timedelta(days=4),
                status="confirmed",
                notes="prefers mornings",
                created_at=now,
                updated_at=now,
            )
            s.add(booking)
            await s.flush()
            ids.append(booking.id)
        return customer.id, ids


async def link(db: Database, channel: str, user_id: str, customer_id: int) -> None:
    async with db.write() as s:
        identity = (
            await s.execute(
                select(ChannelIdentity).where(
                    ChannelIdentity.channel == channel, ChannelIdentity.user_id == user_id
                )
            )
        ).scalar_one()
        identity.customer_id, identity.linked_at = customer_id, dt.datetime.now(dt.UTC)
