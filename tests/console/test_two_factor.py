"""Two-factor authentication (TOTP): enrolment, the code step of signing in, no replay, recovery
codes, required for admins, required per agent or for all, reset by an admin — over HTTP."""

from __future__ import annotations

import re

import httpx
import pyotp
from sqlalchemy import select

from bot.config import Settings
from bot.console import auth
from storage.db import Database
from storage.models import Agent, AgentRecoveryCode, AuditEntry
from tests.console.support import (
    CSRF_FIELD,
    TOTP_SECRET,
    Session,
    add_agent,
    agent_id,
    count,
    enter_code,
    ja,
    next_code,
    running,
    sign_in,
)

SECRET_TEXT = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')
CODES = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


async def actions(db: Database, prefix: str = "") -> list[str]:
    async with db.read() as s:
        rows = await s.execute(select(AuditEntry.action).where(AuditEntry.action.startswith(prefix)))
        return list(rows.scalars())


async def enrol(client: httpx.AsyncClient) -> tuple[str, list[str]]:
    """Through the enrolment page: the secret as the page shows it, then the recovery codes."""
    page = await client.get("/console/account/2fa")
    assert page.status_code == 200, page.text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text and "style=" not in page.text
    found, token = SECRET_TEXT.search(page.text), CSRF_FIELD.search(page.text)
    assert found and token
    secret = found.group(1).replace(" ", "")
    wrong = await client.post("/console/account/2fa/confirm", data={"csrf": token.group(1), "code": "000000"})
    assert wrong.status_code == 400 and ja("That code is not right. Try the newest one.") in wrong.text
    assert SECRET_TEXT.search(wrong.text) and secret in SECRET_TEXT.search(wrong.text).group(1).replace(
        " ", ""
    )  # type: ignore[union-attr]
    done = await client.post(
        "/console/account/2fa/confirm", data={"csrf": token.group(1), "code": pyotp.TOTP(secret).now()}
    )
    assert done.status_code == 200 and ja("Two-factor authentication is on.") in done.text
    codes = CODES.findall(done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


async def test_an_admin_without_two_factor_is_sent_to_enrolment_and_enrols(
    console_settings: Settings,
) -> None:
    async with running(console_settings) as app:
        root = await add_agent(app.db, "root@agency.example", "Root", "admin", two_factor=False)
        async with httpx.AsyncClient(base_url=app.base) as client:
            assert (await sign_in(client, "root@agency.example")).status_code == 303
            for path in ("/console/", "/console/admin/agents", "/console/account"):
                response = await client.get(path)
                assert response.status_code == 303 and response.headers["location"] == "/console/account/2fa"
            assert (await client.get("/console/api/queue")).status_code == 401
            secret, _ = await enrol(client)
            assert (await client.get("/console/admin/agents")).status_code == 200
        async with app.db.read() as s:
            stored = await s.get(Agent, root)
            assert stored is not None and stored.totp_enabled_at is not None
            assert stored.totp_secret and secret not in stored.totp_secret  # sealed, never in clear
            hashes = list((await s.execute(select(AgentRecoveryCode.code_hash))).scalars())
            assert len(hashes) == 10
        assert await actions(app.db, "totp.") == ["totp.enrol"]


async def test_sign_in_asks_the_code_after_the_password_and_a_code_works_once(
    sqlite_settings: Settings,
) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann", two_factor=True)
        async with httpx.AsyncClient(base_url=app.base) as client:
            first = await sign_in(client, "ann@agency.example")
            assert first.status_code == 303 and first.headers["location"].startswith("/console/login/code")
            waiting = client.cookies[auth.COOKIE]
            # Between the two steps the session reaches nothing but the code page.
            assert (await client.get("/console/")).headers["location"] == "/console/login/code"
            assert (await client.get("/console/api/queue")).status_code == 401
            wrong = await enter_code(
                client, "123456" if pyotp.TOTP(TOTP_SECRET).now() != "123456" else "654321"
            )
            assert (
                wrong.status_code == 401 and ja("That code is not right (or was used already).") in wrong.text
            )
            code = await next_code(app.db, "ann@agency.example")
            ok = await enter_code(client, code)
            assert ok.status_code == 303 and ok.headers["location"] == "/console/"
            assert client.cookies[auth.COOKIE] != waiting  # a new session id once fully signed in
            assert (await client.get("/console/api/queue")).status_code == 200
        async with httpx.AsyncClient(base_url=app.base) as other:
            # The same code again (a replay, or someone who saw it): refused within its window.
            assert (await sign_in(other, "ann@agency.example")).status_code == 303
            assert (await enter_code(other, code)).status_code == 401
        log = await actions(app.db, "login")
        assert log.count("login.password") == 2 and log.count("login.code_failed") == 2
        assert log.count("login") == 1


async def test_a_recovery_code_signs_in_once(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        _, codes = await enrol(ann.client)
        for expected in (303, 401):
            async with httpx.AsyncClient(base_url=app.base) as client:
                assert (await sign_in(client, "ann@agency.example")).status_code == 303
                assert (await enter_code(client, codes[3].upper())).status_code == expected
        assert await actions(app.db, "totp.recovery_used") == ["totp.recovery_used"]
        async with app.db.read() as s:
            used = (
                await s.execute(select(AgentRecoveryCode).where(AgentRecoveryCode.used_at.is_not(None)))
            ).scalars()
            assert len(list(used)) == 1


async def test_admins_require_two_factor_of_one_agent_or_of_all(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "root@agency.example", "Root", "admin")
        ann_id = await add_agent(app.db, "ann@agency.example", "Ann")
        await add_agent(app.db, "ben@agency.example", "Ben")
        root = await app.login("root@agency.example")
        ann, ben = await app.login("ann@agency.example"), await app.login("ben@agency.example")
        assert (await ann.client.get("/console/")).status_code == 200  # optional for agents
        assert (
            await root.post(f"/console/admin/agents/{ann_id}/2fa", {"action": "require"})
        ).status_code == 303
        assert (await ann.client.get("/console/")).headers["location"] == "/console/account/2fa"
        assert (await ben.client.get("/console/")).status_code == 200
        assert (await root.post("/console/admin/security", {"require_2fa": "on"})).status_code == 303
        assert (await ben.client.get("/console/")).headers["location"] == "/console/account/2fa"
        assert "checked" in (await root.client.get("/console/admin/security")).text
        await enrol(ben.client)
        assert (await ben.client.get("/console/")).status_code == 200
        assert (await root.post("/console/admin/security", {})).status_code == 303
        assert (
            await root.post(f"/console/admin/agents/{ann_id}/2fa", {"action": "optional"})
        ).status_code == 303
        assert (await ann.client.get("/console/")).status_code == 200
        log = await actions(app.db)
        assert log.count("agent.totp_require") == 1 and log.count("agent.totp_optional") == 1
        assert log.count("settings.require_2fa") == 2


async def test_an_admin_resets_an_agents_second_factor(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "root@agency.example", "Root", "admin")
        await add_agent(app.db, "ann@agency.example", "Ann", two_factor=True)
        root = await app.login("root@agency.example")
        ann = await app.login("ann@agency.example")
        target = await agent_id(app.db, "ann@agency.example")
        agents_page = (await root.client.get("/console/admin/agents")).text
        assert ja("Reset two-factor") in agents_page
        assert (
            await root.post(f"/console/admin/agents/{target}/2fa", {"action": "reset"})
        ).status_code == 303
        assert (await ann.client.get("/console/api/queue")).status_code == 401  # her sessions ended
        async with httpx.AsyncClient(base_url=app.base) as client:
            signed = await sign_in(client, "ann@agency.example")
            assert signed.status_code == 303 and signed.headers["location"] == "/console/"  # no code asked
        async with app.db.read() as s:
            stored = await s.get(Agent, target)
            assert stored is not None and stored.totp_secret is None and stored.totp_enabled_at is None
        assert await count(app.db, AgentRecoveryCode) == 0
        assert await actions(app.db, "agent.totp_reset") == ["agent.totp_reset"]
        own = await root.post(
            f"/console/admin/agents/{await agent_id(app.db, 'root@agency.example')}/2fa", {"action": "reset"}
        )
        assert own.status_code == 400


async def test_an_agent_may_turn_an_optional_second_factor_off_with_the_password(
    sqlite_settings: Settings,
) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann", two_factor=True)
        ann: Session = await app.login("ann@agency.example")
        page = await ann.client.get("/console/account")
        assert "から有効です" in page.text and ja("Turn off") in page.text
        assert (
            await ann.post("/console/account/2fa/disable", {"current": "wrong password!"})
        ).status_code == 400
        assert (
            await ann.post("/console/account/2fa/disable", {"current": "correct horse battery staple"})
        ).status_code == 303
        assert await actions(app.db, "totp.disable") == ["totp.disable"]
