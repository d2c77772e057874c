"""Agents' accounts: argon2 off the loop, the password policy, changing and resetting passwords,
lockout per (account, address) with backoff — over HTTP against the real app."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import time

import httpx
import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.console import account_lockout as lockout
from bot.console import auth, passwords
from storage.models import Agent, AgentSession, AuditEntry, LoginAttempt
from tests.console.support import (
    CSRF_FIELD,
    PASSWORD,
    add_agent,
    agent_id,
    count,
    ja,
    running,
    sign_in,
)

NEW_PASSWORD = "lantern kyoto maple 1987"


async def actions(app_db: object) -> list[str]:
    from storage.db import Database

    assert isinstance(app_db, Database)
    async with app_db.read() as s:
        return list((await s.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars())


def test_the_policy_names_each_rule_it_refuses() -> None:
    cases = {
        "short-one": "at least 12 characters",
        "ann.smith@agency.example1": "e-mail address",
        "my-ann.smith-secret": "e-mail address",
        "aaaaaaaaaaaaaaaa": "5 different characters",
        "qwertyuiop2024!": "commonly used",
        "Password1234": "commonly used",
        " padded password ": "spaces",
    }
    for password, message in cases.items():
        with pytest.raises(passwords.WeakPassword, match=message):
            passwords.check_policy(password, "ann.smith@agency.example")
    passwords.check_policy(NEW_PASSWORD, "ann.smith@agency.example")  # a few unrelated words: fine


def test_backoff_doubles_from_the_sixth_failure_up_to_a_ceiling() -> None:
    delays = [lockout.backoff(n).total_seconds() for n in range(4, 12)]
    assert delays == [0, 30, 60, 120, 240, 480, 900, 900]


async def test_twenty_concurrent_wrong_sign_ins_do_not_stall_the_loop(sqlite_settings: Settings) -> None:
    """argon2 runs in its threads: the event loop (the test's own, which also runs the server) keeps
    ticking while twenty hashes are computed, and is held far less than the hashes take."""
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        stored = passwords.hash_password(PASSWORD)
        started = time.perf_counter()
        passwords.verify(stored, "wrong password!!")
        one_hash = time.perf_counter() - started  # what one verification would hold the loop for
        ticks: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            while not stop.is_set():
                ticks.append(time.perf_counter())
                await asyncio.sleep(0.005)

        finished: list[float] = []

        async def timed(client: httpx.AsyncClient, i: int) -> httpx.Response:
            response = await sign_in(client, "ann@agency.example", f"wrong password {i:02}")
            finished.append(time.perf_counter())
            return response

        async with contextlib.AsyncExitStack() as stack:
            # Made before the ticker starts: creating a client (its TLS context) is the test's own stall.
            clients = [
                await stack.enter_async_context(
                    # Each from its own address: the per-address and per-pair limits stay out of the way.
                    httpx.AsyncClient(
                        base_url=app.base, headers={"X-Forwarded-For": f"192.0.2.{i + 1}"}, timeout=60
                    )
                )
                for i in range(20)
            ]
            # Warm up (templates compiled, connections open): what is left to measure is the flood itself.
            await sign_in(clients[0], "ann@agency.example", "warming up the app")
            tick = asyncio.create_task(ticker())
            flood_started = time.perf_counter()
            responses = await asyncio.gather(*(timed(c, i) for i, c in enumerate(clients)))
            flood = time.perf_counter() - flood_started
            stop.set()
            await tick
        statuses = [r.status_code for r in responses]
        assert statuses == [401] * 20
        # From the first answer to the last, the requests mostly wait for the hashes (one thread per
        # spare core). With argon2 on the loop, that whole stretch would be the loop held one hash at a
        # time; in threads, the loop is free and ticks all along. Long gaps (half a hash or more, which a
        # busy machine makes now and then) cover only a small part of it.
        start, end = min(finished), max(finished)
        gaps = [(a, b - a) for a, b in itertools.pairwise(ticks) if start <= a <= end]
        held = sum(gap for _, gap in gaps if gap >= one_hash / 2)
        assert end - start > 2 * one_hash  # the hashes did run one after another in that stretch
        assert held < 0.25 * (end - start), (held, end - start, one_hash, flood)
        assert len(gaps) > 20  # it kept ticking all through
        assert await count(app.db, AuditEntry, AuditEntry.action == "login.failed") == 21


async def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(
    sqlite_settings: Settings,
) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        here = await app.login("ann@agency.example")
        elsewhere = await app.login("ann@agency.example")
        page = await here.client.get("/console/account/password")
        assert page.status_code == 200 and ja("Change your password") in page.text
        wrong = await here.post(
            "/console/account/password",
            {"current": "not it at all!", "new": NEW_PASSWORD, "repeat": NEW_PASSWORD},
        )
        assert wrong.status_code == 400 and ja("The current password is not right.") in wrong.text
        weak = await here.post(
            "/console/account/password",
            {"current": PASSWORD, "new": "qwertyuiop123", "repeat": "qwertyuiop123"},
        )
        assert (
            weak.status_code == 400
            and ja("that password is on the list of commonly used passwords; choose another") in weak.text
        )
        differ = await here.post(
            "/console/account/password",
            {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD + "x"},
        )
        assert differ.status_code == 400 and ja("the two new passwords are not the same") in differ.text
        assert (await elsewhere.client.get("/console/api/queue")).status_code == 200  # nothing changed yet

        done = await here.post(
            "/console/account/password", {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}
        )
        assert done.status_code == 303 and done.headers["location"] == "/console/account?done=password"
        assert (await here.client.get("/console/api/queue")).status_code == 200  # this session goes on
        assert (await elsewhere.client.get("/console/api/queue")).status_code == 401  # the other is ended
        async with httpx.AsyncClient(base_url=app.base) as client:
            assert (await sign_in(client, "ann@agency.example", PASSWORD)).status_code == 401
            assert (await sign_in(client, "ann@agency.example", NEW_PASSWORD)).status_code == 303
        log = await actions(app.db)
        assert log.count("password.change") == 1 and log.count("password.change_failed") == 1


async def _reset_by_admin(app: object, root: object, target: int) -> str:
    from tests.console.support import Session

    assert isinstance(root, Session)
    response = await root.post(f"/console/admin/agents/{target}/password")
    assert response.status_code == 200, response.text
    marker = 'id="one-time">'
    return response.text.split(marker, 1)[1].split("<", 1)[0]


async def test_an_admin_reset_issues_a_one_time_password_that_must_be_changed_first(
    console_settings: Settings,
) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "root@agency.example", "Root", "admin")
        ann_id = await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        root = await app.login("root@agency.example")
        one_time = await _reset_by_admin(app, root, ann_id)
        assert len(one_time) == 20
        assert (await ann.client.get("/console/api/queue")).status_code == 401  # her sessions ended
        async with app.db.read() as s:
            stored = await s.get(Agent, ann_id)
            assert stored is not None and stored.must_change_password
            assert one_time not in stored.password_hash

        async with httpx.AsyncClient(base_url=app.base) as client:
            assert (await sign_in(client, "ann@agency.example", PASSWORD)).status_code == 401
            assert (await sign_in(client, "ann@agency.example", one_time)).status_code == 303
            # Only the change-password page until she has chosen her own.
            for path in ("/console/", "/console/customers", "/console/account"):
                response = await client.get(path)
                assert (
                    response.status_code == 303
                    and response.headers["location"] == "/console/account/password"
                )
            assert (await client.get("/console/api/queue")).status_code == 401
            page = await client.get("/console/account/password")
            assert ja("An admin reset your password. Choose your own before you go on.") in page.text
            token = CSRF_FIELD.search(page.text)
            assert token
            changed = await client.post(
                "/console/account/password",
                data={
                    "csrf": token.group(1),
                    "current": one_time,
                    "new": NEW_PASSWORD,
                    "repeat": NEW_PASSWORD,
                },
            )
            assert changed.status_code == 303
            assert (await client.get("/console/api/queue")).status_code == 200
        log = await actions(app.db)
        assert "agent.password_reset" in log and "password.change" in log


async def test_lockout_is_per_account_and_address_and_the_ceiling_spares_known_addresses(
    sqlite_settings: Settings,
) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        home = {"X-Forwarded-For": "198.51.100.7"}
        async with httpx.AsyncClient(base_url=app.base, headers=home) as client:
            assert (await sign_in(client, "ann@agency.example")).status_code == 303  # her usual address
        # A botnet: failures for Ann from a hundred addresses, past the account's ceiling.
        now = dt.datetime.now(dt.UTC)
        async with app.db.write() as s:
            for i in range(lockout.ACCOUNT_CEILING + 10):
                keys = lockout.Keys.of("ann@agency.example", f"203.0.113.{i}")
                s.add_all(LoginAttempt(key=k, at=now) for k in (keys.pair, keys.account, keys.address))
        async with httpx.AsyncClient(base_url=app.base, headers={"X-Forwarded-For": "192.0.2.200"}) as new:
            refused = await sign_in(new, "ann@agency.example")
            assert refused.status_code == 429  # a new address, during the attack
        async with httpx.AsyncClient(base_url=app.base, headers=home) as client:
            assert (await sign_in(client, "ann@agency.example")).status_code == 303  # her own still works
        async with app.db.read() as s:
            limits = (
                await s.execute(select(AuditEntry.detail).where(AuditEntry.action == "login.blocked"))
            ).scalars()
            assert [d["limit"] for d in limits if d] == ["account"]


async def test_the_backoff_lets_the_pair_try_again_after_the_wait(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        keys = lockout.Keys.of("ann@agency.example", "127.0.0.1")
        # Six failures, the last 31 s ago: the 30 s wait after the fifth... is the sixth's 60 s wait.
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=61)
        async with app.db.write() as s:
            s.add_all(LoginAttempt(key=keys.pair, at=past) for _ in range(lockout.PAIR_FREE + 1))
        async with httpx.AsyncClient(base_url=app.base) as client:
            assert (await sign_in(client, "ann@agency.example")).status_code == 303
            # A success clears the pair's failures.
            assert await count(app.db, LoginAttempt, LoginAttempt.key == keys.pair) == 0


async def test_sessions_are_new_after_a_reset_and_the_cli_reset_works_too(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        await app.login("ann@agency.example")
        from bot.cli import main

        code = await asyncio.to_thread(
            main,
            ["agents", "reset", "ann@agency.example", "--database-url", str(sqlite_settings.database_url)],
        )
        assert code == 0
        assert await count(app.db, AgentSession) == 0
        ann = await agent_id(app.db, "ann@agency.example")
        async with app.db.read() as s:
            stored = await s.get(Agent, ann)
            assert stored is not None and stored.must_change_password
        assert auth.STAGE_PAGES["password"][0] == "/account/password"


async def test_concurrent_guesses_from_one_address_get_no_more_tries_than_one_at_a_time(
    settings: Settings,
) -> None:
    """Regression: 50 wrong passwords sent at once were all verified (each checked the count before any
    had added to it), so the pair's five free tries became fifty."""
    async with running(settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        attacker = {"X-Forwarded-For": "203.0.113.9"}
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(
                    httpx.AsyncClient(base_url=app.base, headers=attacker, timeout=60)
                )
                for _ in range(30)
            ]
            responses = await asyncio.gather(
                *(
                    sign_in(c, "ann@agency.example", f"a wrong guess number {i}")
                    for i, c in enumerate(clients)
                )
            )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [401] * lockout.PAIR_FREE + [429] * (30 - lockout.PAIR_FREE)
        # Ann, elsewhere, is not locked out by it.
        async with httpx.AsyncClient(base_url=app.base, headers={"X-Forwarded-For": "198.51.100.7"}) as ann:
            assert (await sign_in(ann, "ann@agency.example")).status_code == 303
