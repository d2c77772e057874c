"""`counselbot agents add|disable|list|reset|reset-2fa`."""

from __future__ import annotations

import asyncio
import datetime as dt
import io

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.console import passwords
from storage.db import Database
from storage.models import Agent, AgentSession, AuditEntry


def agents(url: str) -> list[Agent]:
    async def run() -> list[Agent]:
        db = Database(url)
        try:
            async with db.read() as s:
                return list((await s.execute(select(Agent).order_by(Agent.id))).scalars())
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_add_with_a_generated_password_prints_it_once_and_stores_only_an_argon2id_hash(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "agents",
            "add",
            "Ann@Agency.example",
            "--name",
            "Ann",
            "--role",
            "admin",
            "--generate",
            "--database-url",
            sqlite_url,
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "created admin ann@agency.example" in out
    password = out.split("one-time password (shown once): ")[1].strip()
    assert len(password) == 20
    (agent,) = agents(sqlite_url)
    assert (agent.email, agent.name, agent.role) == ("ann@agency.example", "Ann", "admin")
    assert agent.password_hash.startswith("$argon2id$") and password not in agent.password_hash
    assert passwords.verify(agent.password_hash, password)
    assert not passwords.verify(agent.password_hash, password + "x")
    assert agent.must_change_password  # a generated password is for the first sign-in only


def test_add_reads_a_password_from_stdin_and_refuses_weak_ones_and_duplicates(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    args = [
        "agents",
        "add",
        "ben@agency.example",
        "--name",
        "Ben",
        "--password-stdin",
        "--database-url",
        sqlite_url,
    ]
    assert main(args) == 2
    assert "at least 12 characters" in capsys.readouterr().err
    assert agents(sqlite_url) == []
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    assert main(args) == 0
    (agent,) = agents(sqlite_url)
    assert agent.role == "agent" and passwords.verify(agent.password_hash, "a long enough passphrase")
    monkeypatch.setattr("sys.stdin", io.StringIO("another long passphrase\n"))
    assert main(args) == 2
    assert "exists already" in capsys.readouterr().err
    assert (
        main(["agents", "add", "not-an-email", "--name", "X", "--generate", "--database-url", sqlite_url])
        == 2
    )


def test_disable_ends_sessions_and_list_shows_it(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "agents",
                "add",
                "cat@agency.example",
                "--name",
                "Cat",
                "--generate",
                "--database-url",
                sqlite_url,
            ]
        )
        == 0
    )

    async def open_session() -> None:
        db = Database(sqlite_url)
        try:
            async with db.write() as s:
                agent = (await s.execute(select(Agent))).scalar_one()
                now = dt.datetime.now(dt.UTC)
                s.add(
                    AgentSession(
                        id="x" * 64,
                        agent_id=agent.id,
                        csrf_token="t",
                        created_at=now,
                        last_seen_at=now,
                        expires_at=now + dt.timedelta(hours=1),
                    )
                )
        finally:
            await db.dispose()

    asyncio.run(open_session())
    assert main(["agents", "disable", "CAT@agency.example", "--database-url", sqlite_url]) == 0
    assert main(["agents", "disable", "nobody@agency.example", "--database-url", sqlite_url]) == 2
    capsys.readouterr()
    assert main(["agents", "list", "--database-url", sqlite_url]) == 0
    assert capsys.readouterr().out == "cat@agency.example\tCat\tagent\tdisabled\tno-2fa\n"

    async def state() -> tuple[int, list[str]]:
        db = Database(sqlite_url)
        try:
            async with db.read() as s:
                sessions = len((await s.execute(select(AgentSession))).scalars().all())
                actions = list((await s.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars())
            return sessions, actions
        finally:
            await db.dispose()

    assert asyncio.run(state()) == (0, ["agent.create", "agent.disable"])


def test_add_refuses_a_common_password_or_one_with_the_e_mail(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for weak, message in (("qwertyuiop1234", "commonly used"), ("ben.carter-2026!", "e-mail address")):
        monkeypatch.setattr("sys.stdin", io.StringIO(weak + "\n"))
        args = ["agents", "add", "ben.carter@agency.example", "--name", "Ben", "--password-stdin"]
        assert main([*args, "--database-url", sqlite_url]) == 2
        assert message in capsys.readouterr().err
    assert agents(sqlite_url) == []


def test_reset_prints_one_one_time_password_and_reset_2fa_removes_the_second_factor(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "agents",
                "add",
                "dan@agency.example",
                "--name",
                "Dan",
                "--generate",
                "--database-url",
                sqlite_url,
            ]
        )
        == 0
    )
    first = capsys.readouterr().out.split("(shown once): ")[1].strip()
    assert main(["agents", "reset", "dan@agency.example", "--database-url", sqlite_url]) == 0
    out = capsys.readouterr().out
    assert out.count("one-time password") == 1
    one_time = out.split("next sign-in): ")[1].strip()
    assert len(one_time) == 20 and one_time != first
    (agent,) = agents(sqlite_url)
    assert agent.must_change_password and passwords.verify(agent.password_hash, one_time)
    assert not passwords.verify(agent.password_hash, first)
    assert main(["agents", "reset", "nobody@agency.example", "--database-url", sqlite_url]) == 2

    async def enrolled() -> None:
        db = Database(sqlite_url)
        try:
            async with db.write() as s:
                stored = (await s.execute(select(Agent))).scalar_one()
                stored.totp_secret, stored.totp_enabled_at = "v1:sealed", dt.datetime.now(dt.UTC)
        finally:
            await db.dispose()

    asyncio.run(enrolled())
    assert main(["agents", "reset-2fa", "dan@agency.example", "--database-url", sqlite_url]) == 0
    (agent,) = agents(sqlite_url)
    assert agent.totp_secret is None and agent.totp_enabled_at is None

    async def log() -> list[str]:
        db = Database(sqlite_url)
        try:
            async with db.read() as s:
                return list((await s.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars())
        finally:
            await db.dispose()

    assert asyncio.run(log()) == ["agent.create", "agent.password_reset", "agent.totp_reset"]
