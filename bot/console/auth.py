"""Sign-in, sessions and the guard every console route goes through.

A session is a random cookie value; the database keeps only its sha256 (a copied database hands out
no live sessions). Each sign-in makes a new session id (no fixation); sign-out deletes the row, so the
cookie is dead even if it was copied. Sessions end after IDLE_TIMEOUT without a request and after
ABSOLUTE_TIMEOUT whatever happens. Failed sign-ins are limited per (account, address) with backoff
(bot/console/account_lockout.py). Passwords are verified in argon2's own threads, never on the loop.

A session goes through stages before it reaches the console (`stage`): "code" — the password was
right and the agent has two-factor authentication: only the code page, for CODE_TIMEOUT; "password" —
an admin reset the password: only the change-password page; "enrol" — an admin (or an agent whose
second factor is required) without one: only the enrolment pages; then "ok". `current()` returns an
agent only for an "ok" session, so every other route and stream refuses the earlier stages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from bot.console import account_lockout as lockout
from bot.console import csrf, passwords
from bot.console.web import (
    PREFIX,
    SECURITY_HEADERS,
    Console,
    Me,
    Page,
    field,
    form_data,
    json_error,
    reading,
    redirect,
    wants_json,
)
from bot.logs import hashed
from storage.models import Agent, AgentSession
from storage.repositories import accounts
from storage.repositories import console as repo

COOKIE = "cb_console"
IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)
CODE_TIMEOUT = dt.timedelta(minutes=5)
# last_seen_at is written at most this often: a page's SSE and fetches must not each cost a write.
TOUCH_EVERY = dt.timedelta(seconds=30)
# Where each stage may go (paths under PREFIX); the first is where it is sent.
STAGE_PAGES = {
    "code": ("/login/code", "/logout"),
    "password": ("/account/password", "/logout"),
    "enrol": ("/account/2fa", "/account/2fa/confirm", "/logout"),
}


def session_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _secure(console: Console, request: Request) -> bool:
    if request.url.scheme == "https":
        return True
    public = console.settings.public_url or ""
    return public.startswith("https://") and urlsplit(public).hostname == request.url.hostname


async def stage(s: AsyncSession, agent: Agent, sess: AgentSession) -> str:
    if agent.totp_enabled_at is not None and sess.verified_at is None:
        return "code"
    if agent.must_change_password:
        return "password"
    if agent.totp_enabled_at is None and (
        agent.role == "admin" or agent.totp_required or await accounts.require_2fa_for_all(s)
    ):
        return "enrol"
    return "ok"


async def lookup(console: Console, request: Request) -> tuple[Me, str] | None:
    """The request's session at whatever stage it is, or None (also ending an expired one)."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 100:
        return None
    key = session_key(token)
    now = dt.datetime.now(dt.UTC)
    async with reading(console.db) as s:
        found = await repo.session_with_agent(s, key)
        if found is None:
            return None
        sess, agent = found
        where = await stage(s, agent, sess)
    expired = (
        sess.expires_at <= now or sess.last_seen_at + IDLE_TIMEOUT <= now or agent.disabled_at is not None
    )
    if expired or now - sess.last_seen_at > TOUCH_EVERY:
        async with console.db.write() as s:
            if expired:
                await repo.end_session(s, key)
                return None
            stored = await repo.session_with_agent(s, key)
            if stored is not None:
                stored[0].last_seen_at = now
    return Me(agent.id, agent.email, agent.name, agent.role, sess.csrf_token, key, agent.presence), where


async def current(console: Console, request: Request) -> Me | None:
    """The signed-in agent, only once every stage of the sign-in is passed."""
    found = await lookup(console, request)
    return found[0] if found is not None and found[1] == "ok" else None


def guard(console: Console, page: Page) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint for a page: signed in, CSRF on every non-GET, the role, then the security headers."""

    async def endpoint(request: Request) -> Response:
        try:
            response = await _checked(console, page, request)
        finally:
            await request.close()  # an uploaded file's temporary file goes now, not at garbage collection
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return endpoint


async def _checked(console: Console, page: Page, request: Request) -> Response:
    found = await lookup(console, request)
    if found is not None and found[1] != "ok" and page.path not in STAGE_PAGES[found[1]]:
        if request.method in ("GET", "HEAD") and not wants_json(request):
            return redirect(PREFIX + STAGE_PAGES[found[1]][0])
        return json_error("finish signing in first", 401)
    if found is None:
        if request.method in ("GET", "HEAD") and not wants_json(request):
            return redirect(f"{PREFIX}/login?next={quote(request.url.path)}")
        return json_error("sign in first", 401)
    me = found[0]
    if request.method not in ("GET", "HEAD") and not await csrf.valid(request, me.csrf):
        if wants_json(request) or request.headers.get(csrf.HEADER) is not None:
            return json_error("missing or wrong CSRF token", 403)
        return console.error(
            me, 403, "This form has expired or did not come from the console. Reload and try again."
        )
    if page.role == "admin" and not me.is_admin:
        async with console.db.write() as s:
            repo.audit(s, me.actor, "access.denied", "path", request.url.path[:64], agent_id=me.agent_id)
        if wants_json(request):
            return json_error("admins only", 403)
        return console.error(me, 403, "Only admins may open this page.")
    return await page.handler(console, request, me)


def safe_next(value: str) -> str:
    # Only somewhere inside the console: never an open redirect to another site.
    if value.startswith(f"{PREFIX}/") and not value.startswith("//") and "\\" not in value:
        return value
    return f"{PREFIX}/"


async def login_page(console: Console, request: Request) -> Response:
    token = request.cookies.get(csrf.LOGIN_COOKIE) or csrf.new_token()
    response = console.render(
        "login.html", None, login_csrf=token, next=safe_next(request.query_params.get("next", ""))
    )
    _login_cookie(console, request, response, token)
    return headers(response)


def _login_cookie(console: Console, request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        csrf.LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(console, request),
        path=f"{PREFIX}/login",
    )


def headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _audit_failure(s: AsyncSession, action: str, email: str, agent: Agent | None, **extra: object) -> None:
    repo.audit(
        s,
        "anonymous",
        action,
        "agent",
        agent.id if agent else None,
        {"account": hashed(email), **extra},
        agent_id=agent.id if agent else None,
    )


async def login(console: Console, request: Request) -> Response:
    form = await form_data(request, max_files=0)  # the sign-in form has no file: none is spooled
    cookie_token = request.cookies.get(csrf.LOGIN_COOKIE, "")
    if (
        not cookie_token
        or not csrf.same_origin(request)
        or not secrets.compare_digest(field(form, "csrf", 200).encode(), cookie_token.encode())
    ):
        return headers(console.error(None, 403, "The sign-in form expired. Reload the page and try again."))
    email = field(form, "email", 254).lower()
    password = form.get("password", "")
    password = password if isinstance(password, str) else ""
    nxt = safe_next(field(form, "next", 500))
    now = dt.datetime.now(dt.UTC)
    keys = lockout.Keys.of(email, address(request))

    def again(message: str, status: int, retry_after: int = 0) -> Response:
        token = csrf.new_token()
        response = console.render(
            "login.html", None, status=status, error=message, email=email, login_csrf=token, next=nxt
        )
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        _login_cookie(console, request, response, token)
        return headers(response)

    async with console.db.write() as s:
        agent = await repo.agent_by_email(s, email) if email else None
        verdict = await lockout.check(s, keys, now)
        if verdict.reason is not None:
            _audit_failure(s, "login.blocked", email, agent, limit=verdict.reason)
    if verdict.reason is not None:
        return again(lockout.wait_message(verdict.retry_after), 429, verdict.retry_after)

    ok = await passwords.verify_async(agent.password_hash if agent else None, password) and bool(password)
    if agent is None or agent.disabled_at is not None or not ok:
        async with console.db.write() as s:
            n = await lockout.failed(s, keys, now)
            _audit_failure(s, "login.failed", email, agent)
            if n >= lockout.PAIR_FREE:
                _audit_failure(
                    s, "login.lockout", email, agent, seconds=int(lockout.backoff(n).total_seconds())
                )
        return again("Wrong e-mail or password.", 401)
    rehash = await passwords.hash_async(password) if passwords.needs_rehash(agent.password_hash) else None
    token = secrets.token_urlsafe(32)
    async with console.db.write() as s:
        stored = await s.get(Agent, agent.id)
        assert stored is not None
        stored.failed_logins, stored.locked_until = 0, None
        if rehash is not None:
            stored.password_hash = rehash
        await lockout.succeeded(s, keys, now)
        old = request.cookies.get(COOKIE)
        if old:
            await repo.end_session(s, session_key(old))
        await repo.prune_sessions(s, now, now - IDLE_TIMEOUT)
        two_factor = stored.totp_enabled_at is not None
        open_session(s, agent.id, token, now, verified=not two_factor)
        action = "login.password" if two_factor else "login"
        repo.audit(s, f"agent:{agent.email}", action, "agent", agent.id, agent_id=agent.id)
    response = redirect(f"{PREFIX}/login/code?next={quote(nxt)}" if two_factor else nxt)
    set_session_cookie(console, request, response, token)
    response.delete_cookie(csrf.LOGIN_COOKIE, path=f"{PREFIX}/login")
    return headers(response)


def open_session(s: AsyncSession, agent_id: int, token: str, now: dt.datetime, *, verified: bool) -> None:
    """A new session row; one waiting for its code lives only CODE_TIMEOUT."""
    s.add(
        AgentSession(
            id=session_key(token),
            agent_id=agent_id,
            csrf_token=csrf.new_token(),
            created_at=now,
            last_seen_at=now,
            expires_at=now + (ABSOLUTE_TIMEOUT if verified else CODE_TIMEOUT),
            verified_at=now if verified else None,
        )
    )


def set_session_cookie(console: Console, request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(console, request),
        path=PREFIX,
        max_age=int(ABSOLUTE_TIMEOUT.total_seconds()),
    )


async def logout(console: Console, request: Request, me: Me) -> Response:
    async with console.db.write() as s:
        await repo.end_session(s, me.session_id)
        repo.audit(s, me.actor, "logout", "agent", me.agent_id, agent_id=me.agent_id)
    response = redirect(f"{PREFIX}/login")
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict")
    return response


PAGES = [Page("/logout", logout, ("POST",))]
