"""Signing in and out, sessions, rate limits, CSRF and roles — over HTTP against the real app."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select, update

from bot.config import Settings
from bot.console import account_lockout as lockout
from bot.console import auth
from storage.models import AgentSession, AuditEntry
from tests.console.support import (
    PASSWORD,
    add_agent,
    count,
    ja,
    login_form,
    running,
    sign_in,
)


async def test_sign_in_sets_a_strict_httponly_cookie_and_opens_the_queue(console_settings: Settings) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        async with httpx.AsyncClient(base_url=app.base) as client:
            assert (await client.get("/console/")).status_code == 303  # not signed in: to the sign-in page
            response = await sign_in(client, "ann@agency.example")
            assert response.status_code == 303
            cookie = response.headers["set-cookie"]
            assert cookie.startswith(f"{auth.COOKIE}=")
            assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
            assert "Secure" not in cookie  # plain http here; see the next test
            queue = await client.get("/console/")
            assert queue.status_code == 200 and ja("Queue") in queue.text
            assert "script-src 'self'" in queue.headers["content-security-policy"]
            assert queue.headers["cache-control"] == "no-store"
        assert await count(app.db, AuditEntry, AuditEntry.action == "login") == 1


async def test_cookie_is_secure_behind_https(console_settings: Settings) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        # The proxy in front says https; this test client still talks http, so it would not send a
        # Secure cookie back by itself: the form's cookie is passed along by hand.
        headers = {"X-Forwarded-Proto": "https"}
        async with httpx.AsyncClient(base_url=app.base, headers=headers) as client:
            form = await client.get("/console/login")
            assert "Secure" in form.headers["set-cookie"]
            token = form.headers["set-cookie"].split(";")[0].split("=", 1)[1]
            response = await client.post(
                "/console/login",
                data={"csrf": token, "email": "ann@agency.example", "password": PASSWORD},
                headers={"Cookie": f"cb_console_login={token}"},
            )
            assert response.status_code == 303
            cookie = response.headers["set-cookie"]
            assert cookie.startswith(f"{auth.COOKIE}=") and "Secure" in cookie and "HttpOnly" in cookie


async def test_each_sign_in_is_a_new_session_and_sign_out_ends_it_on_the_server(
    console_settings: Settings,
) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        first = await app.login("ann@agency.example")
        old_cookie = first.client.cookies[auth.COOKIE]
        second = await sign_in(first.client, "ann@agency.example")
        assert second.status_code == 303
        new_cookie = first.client.cookies[auth.COOKIE]
        assert new_cookie != old_cookie
        async with httpx.AsyncClient(base_url=app.base, cookies={auth.COOKIE: old_cookie}) as stale:
            assert (await stale.get("/console/")).status_code == 303  # the old session id is gone

        page = await first.client.get("/console/")
        csrf = auth_csrf(page.text)
        out = await first.client.post("/console/logout", data={"csrf": csrf})
        assert out.status_code == 303
        assert await count(app.db, AgentSession) == 0
        async with httpx.AsyncClient(base_url=app.base, cookies={auth.COOKIE: new_cookie}) as copied:
            # A copy of the cookie taken before sign-out is worthless after it.
            assert (await copied.get("/console/api/queue")).status_code == 401


def auth_csrf(html: str) -> str:
    from tests.console.support import CSRF_META

    found = CSRF_META.search(html)
    assert found
    return found.group(1)


async def test_idle_and_absolute_timeouts_end_the_session(console_settings: Settings) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        s = await app.login("ann@agency.example")
        past = dt.datetime.now(dt.UTC) - auth.IDLE_TIMEOUT - dt.timedelta(minutes=1)
        async with app.db.write() as db:
            await db.execute(update(AgentSession).values(last_seen_at=past))
        assert (await s.client.get("/console/api/queue")).status_code == 401
        assert await count(app.db, AgentSession) == 0

        s2 = await app.login("ann@agency.example")
        assert (await s2.client.get("/console/api/queue")).status_code == 200
        async with app.db.write() as db:
            await db.execute(
                update(AgentSession).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
            )
        assert (await s2.client.get("/console/api/queue")).status_code == 401


async def test_wrong_passwords_beyond_the_limit_block_that_address_even_with_the_right_one(
    console_settings: Settings,
) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        stranger = {"X-Forwarded-For": "203.0.113.9"}  # uvicorn trusts it from 127.0.0.1, as behind nginx
        async with httpx.AsyncClient(base_url=app.base, headers=stranger) as client:
            for _ in range(lockout.PAIR_FREE):
                wrong = await sign_in(client, "ann@agency.example", "not the password!")
                assert wrong.status_code == 401
                assert ja("Wrong e-mail or password.") in wrong.text
            blocked = await sign_in(client, "ann@agency.example", PASSWORD)
            assert blocked.status_code == 429
            assert "サインインの失敗が続いています。" in blocked.text
            assert 0 < int(blocked.headers["retry-after"]) <= 30  # the first backoff: 30 s from the failure
            assert auth.COOKIE not in client.cookies
        # Ann at her own address is not locked out by the stranger.
        async with httpx.AsyncClient(base_url=app.base, headers={"X-Forwarded-For": "198.51.100.7"}) as ann:
            assert (await sign_in(ann, "ann@agency.example", PASSWORD)).status_code == 303
        assert await count(app.db, AuditEntry, AuditEntry.action == "login.failed") == lockout.PAIR_FREE
        assert await count(app.db, AuditEntry, AuditEntry.action == "login.lockout") == 1
        assert await count(app.db, AuditEntry, AuditEntry.action == "login.blocked") == 1


async def test_one_address_guessing_many_accounts_is_blocked(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "bob@agency.example", "Bob")
        async with httpx.AsyncClient(base_url=app.base) as client:
            for i in range(lockout.ADDRESS_LIMIT):
                assert (
                    await sign_in(client, f"guess{i}@agency.example", "whatever-password")
                ).status_code == 401
            # Bob's account never failed, but this address is out of tries.
            assert (await sign_in(client, "bob@agency.example", PASSWORD)).status_code == 429


async def test_a_disabled_agent_cannot_sign_in(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        admin = await add_agent(app.db, "root@agency.example", "Root", "admin")
        s = await app.login("root@agency.example")
        ann = await app.login("ann@agency.example")
        target = (await s.client.get("/console/admin/agents")).text
        assert "ann@agency.example" in target
        from tests.console.support import agent_id

        ann_id = await agent_id(app.db, "ann@agency.example")
        assert (await s.post(f"/console/admin/agents/{ann_id}", {"action": "disable"})).status_code == 303
        assert (await ann.client.get("/console/api/queue")).status_code == 401  # sessions ended
        async with httpx.AsyncClient(base_url=app.base) as client:
            assert (await sign_in(client, "ann@agency.example")).status_code == 401
        assert admin > 0


async def test_sign_in_without_the_form_token_is_refused(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        async with httpx.AsyncClient(base_url=app.base) as client:
            await login_form(client)
            response = await client.post(
                "/console/login", data={"email": "ann@agency.example", "password": PASSWORD}
            )
            assert response.status_code == 403
            assert auth.COOKIE not in client.cookies


async def test_state_changes_without_csrf_or_from_another_origin_get_403(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        s = await app.login("ann@agency.example")
        before = await count(app.db, AuditEntry)
        no_token = await s.client.post("/console/customers/new", data={"full_name": "Mallory"})
        assert no_token.status_code == 403
        wrong_token = await s.client.post(
            "/console/customers/new", data={"full_name": "Mallory", "csrf": "x" * 43}
        )
        assert wrong_token.status_code == 403
        json_no_token = await s.client.post(
            "/console/tickets/1/claim", json={}, headers={"Accept": "application/json"}
        )
        assert json_no_token.status_code == 403
        cross = await s.client.post(
            "/console/customers/new",
            data={"full_name": "Mallory", "csrf": s.csrf},
            headers={"Origin": "https://evil.example"},
        )
        assert cross.status_code == 403
        logout = await s.client.post("/console/logout")
        assert logout.status_code == 403
        assert await count(app.db, AuditEntry) == before  # nothing happened
        ok = await s.post("/console/customers/new", {"full_name": "Real Customer"})
        assert ok.status_code == 303


async def test_an_agent_cannot_reach_admin_pages_or_actions_by_url(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        s = await app.login("ann@agency.example")
        for path in ("/console/admin/agents", "/console/admin/texts", "/console/admin/audit"):
            response = await s.client.get(path)
            assert response.status_code == 403, path
            assert ja("Only admins may open this page.") in response.text
        queue = await s.client.get("/console/")
        assert "/console/admin/" not in queue.text  # not even offered
        posts = {
            "/console/admin/agents": {"email": "eve@agency.example", "name": "Eve", "role": "admin"},
            "/console/admin/texts": {"kind": "payment", "locale": "en", "text": "Pay me"},
            "/console/customers/1/erase": {"mode": "delete", "confirm": "1"},
        }
        for path, data in posts.items():
            assert (await s.post(path, data)).status_code == 403, path
        async with app.db.read() as db:
            denied = (
                (await db.execute(select(AuditEntry).where(AuditEntry.action == "access.denied")))
                .scalars()
                .all()
            )
        assert len(denied) == 6


async def test_an_admin_reaches_admin_pages(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "root@agency.example", "Root", "admin")
        s = await app.login("root@agency.example")
        for path in ("/console/admin/agents", "/console/admin/texts", "/console/admin/audit"):
            assert (await s.client.get(path)).status_code == 200, path
        created = await s.post(
            "/console/admin/agents", {"email": "new@agency.example", "name": "New", "role": "agent"}
        )
        assert created.status_code == 200 and ja("One-time password (shown only now):") in created.text
