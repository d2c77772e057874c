"""The second step of signing in: the authenticator's code, or one of the recovery codes.

The session from the password step reaches only this page, for auth.CODE_TIMEOUT. A right code opens a
new session (new id, full lifetime) and ends the waiting one; a wrong code counts as a failed sign-in
of the (account, address) pair, with the same backoff as a wrong password.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets

from starlette.requests import Request
from starlette.responses import Response

from bot.console import account_lockout as lockout
from bot.console import auth, totp
from bot.console.i18n import N_
from bot.console.web import PREFIX, Console, Me, Page, field, form_data, redirect
from bot.logs import hashed
from storage.models import Agent
from storage.repositories import accounts
from storage.repositories import console as repo


async def app_secret(console: Console) -> str:
    # Settings.secret() may read the secret file: not on the loop.
    return await asyncio.to_thread(console.settings.secret)


def _page(
    console: Console, request: Request, me: Me, *, error: str | None = None, status: int = 200
) -> Response:
    return console.render(
        "login_code.html",
        None,
        status=status,
        locale=me.locale,
        error=error,
        csrf_token=me.csrf,
        next=auth.safe_next(request.query_params.get("next", "")),
    )


async def code_page(console: Console, request: Request, me: Me) -> Response:
    return _page(console, request, me)


async def _accept(console: Console, agent: Agent, code: str, now: dt.datetime) -> str | None:
    """Which factor the code passed ("totp", "recovery"), or None."""
    if totp.looks_like_recovery(code):
        async with console.db.write() as s:
            if await accounts.use_recovery_code(s, agent.id, totp.recovery_hash(code), now):
                left = await accounts.recovery_codes_left(s, agent.id)
                repo.audit(
                    s,
                    f"agent:{agent.email}",
                    "totp.recovery_used",
                    "agent",
                    agent.id,
                    {"left": left},
                    agent_id=agent.id,
                )
                return "recovery"
        return None
    secret = totp.unseal(await app_secret(console), agent.totp_secret or "")
    step = totp.matching_step(secret, code) if secret else None
    if step is None:
        return None
    async with console.db.write() as s:
        return "totp" if await accounts.take_step(s, agent.id, step) else None


async def submit_code(console: Console, request: Request, me: Me) -> Response:
    form = await form_data(request, max_files=0)
    code = field(form, "code", 40)
    nxt = auth.safe_next(field(form, "next", 500))
    now = dt.datetime.now(dt.UTC)
    keys = lockout.Keys.of(me.email, auth.address(request))
    async with console.db.write() as s:
        verdict = await lockout.check(s, keys, now)
        agent = await s.get(Agent, me.agent_id)
        if verdict.reason is not None:
            repo.audit(
                s,
                "anonymous",
                "login.blocked",
                "agent",
                me.agent_id,
                {"account": hashed(me.email), "limit": verdict.reason, "step": "code"},
                agent_id=me.agent_id,
            )
    if agent is None:
        return redirect(f"{PREFIX}/login")
    if verdict.reason is not None:
        response = _page(console, request, me, error=lockout.wait_message(verdict.retry_after), status=429)
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    factor = await _accept(console, agent, code, now) if code else None
    if factor is None:
        async with console.db.write() as s:
            n = await lockout.failed(s, keys, now)
            repo.audit(
                s,
                "anonymous",
                "login.code_failed",
                "agent",
                agent.id,
                {"account": hashed(me.email)},
                agent_id=agent.id,
            )
            if n >= lockout.PAIR_FREE:
                repo.audit(
                    s,
                    "anonymous",
                    "login.lockout",
                    "agent",
                    agent.id,
                    {"account": hashed(me.email), "seconds": int(lockout.backoff(n).total_seconds())},
                    agent_id=agent.id,
                )
        return _page(
            console, request, me, error=N_("That code is not right (or was used already)."), status=401
        )
    token = secrets.token_urlsafe(32)
    async with console.db.write() as s:
        await repo.end_session(s, me.session_id)  # a new id once fully signed in
        await lockout.succeeded(s, keys, now)
        auth.open_session(s, agent.id, token, now, verified=True)
        repo.audit(s, me.actor, "login", "agent", agent.id, {"second_factor": factor}, agent_id=agent.id)
    response = redirect(nxt)
    auth.set_session_cookie(console, request, response, token)
    return response


PAGES = [
    Page("/login/code", code_page),
    Page("/login/code", submit_code, ("POST",)),
]
