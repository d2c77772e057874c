"""Sign-in, sessions and the guard every console route goes through.

A session is a random cookie value; the database keeps only its sha256 (a copied database hands out
no live sessions). Each sign-in makes a new session id (no fixation); sign-out deletes the row, so the
cookie is dead even if it was copied. Sessions end after IDLE_TIMEOUT without a request and after
ABSOLUTE_TIMEOUT whatever happens. Failed sign-ins are counted per address and per account in a
sliding window; beyond the limit that address or account is refused for a while, right password or not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import Response

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
from storage.repositories import console as repo

COOKIE = "cb_console"
IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)
ATTEMPT_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
ACCOUNT_LOCK = dt.timedelta(minutes=15)
# last_seen_at is written at most this often: a page's SSE and fetches must not each cost a write.
TOUCH_EVERY = dt.timedelta(seconds=30)
BLOCKED_MESSAGE = "Too many failed sign-ins. Please wait 15 minutes and try again."


def session_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _secure(console: Console, request: Request) -> bool:
    if request.url.scheme == "https":
        return True
    public = console.settings.public_url or ""
    return public.startswith("https://") and urlsplit(public).hostname == request.url.hostname


async def current(console: Console, request: Request) -> Me | None:
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
    return Me(agent.id, agent.email, agent.name, agent.role, sess.csrf_token, key)


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
    me = await current(console, request)
    if me is None:
        if request.method in ("GET", "HEAD") and not wants_json(request):
            return redirect(f"{PREFIX}/login?next={quote(request.url.path)}")
        return json_error("sign in first", 401)
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


def _safe_next(value: str) -> str:
    # Only somewhere inside the console: never an open redirect to another site.
    if value.startswith(f"{PREFIX}/") and not value.startswith("//") and "\\" not in value:
        return value
    return f"{PREFIX}/"


async def login_page(console: Console, request: Request) -> Response:
    token = request.cookies.get(csrf.LOGIN_COOKIE) or csrf.new_token()
    response = console.render(
        "login.html", None, login_csrf=token, next=_safe_next(request.query_params.get("next", ""))
    )
    _login_cookie(console, request, response, token)
    return _headers(response)


def _login_cookie(console: Console, request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        csrf.LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(console, request),
        path=f"{PREFIX}/login",
    )


def _headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def login(console: Console, request: Request) -> Response:
    form = await form_data(request, max_files=0)  # the sign-in form has no file: none is spooled
    cookie_token = request.cookies.get(csrf.LOGIN_COOKIE, "")
    if (
        not cookie_token
        or not csrf.same_origin(request)
        or not secrets.compare_digest(field(form, "csrf", 200).encode(), cookie_token.encode())
    ):
        return _headers(console.error(None, 403, "The sign-in form expired. Reload the page and try again."))
    email = field(form, "email", 254).lower()
    password = form.get("password", "")
    password = password if isinstance(password, str) else ""
    nxt = _safe_next(field(form, "next", 500))
    now = dt.datetime.now(dt.UTC)
    address_key = f"ip:{_address(request)}"[:100]
    account_key = f"email:{session_key(email)}"

    def again(message: str, status: int) -> Response:
        token = csrf.new_token()
        response = console.render(
            "login.html", None, status=status, error=message, email=email, login_csrf=token, next=nxt
        )
        _login_cookie(console, request, response, token)
        return _headers(response)

    async with console.db.write() as s:
        since = now - ATTEMPT_WINDOW
        agent = await repo.agent_by_email(s, email) if email else None
        blocked = (
            await repo.count_attempts(s, address_key, since) >= MAX_FAILURES_PER_ADDRESS
            or await repo.count_attempts(s, account_key, since) >= MAX_FAILURES_PER_ACCOUNT
            or (agent is not None and agent.locked_until is not None and agent.locked_until > now)
        )
        if blocked:
            repo.audit(
                s,
                "anonymous",
                "login.blocked",
                "agent",
                agent.id if agent else None,
                {"account": hashed(email)},
                agent_id=agent.id if agent else None,
            )
    if blocked:
        return again(BLOCKED_MESSAGE, 429)

    ok = passwords.verify(agent.password_hash if agent else None, password) and bool(password)
    if agent is None or agent.disabled_at is not None or not ok:
        async with console.db.write() as s:
            repo.record_attempt(s, address_key, now)
            repo.record_attempt(s, account_key, now)
            await repo.prune_attempts(s, now - dt.timedelta(days=1))
            if agent is not None:
                stored = await s.get(Agent, agent.id)
                if stored is not None:
                    stored.failed_logins += 1
                    if (
                        await repo.count_attempts(s, account_key, now - ATTEMPT_WINDOW)
                        >= MAX_FAILURES_PER_ACCOUNT
                    ):
                        stored.locked_until = now + ACCOUNT_LOCK
            repo.audit(
                s,
                "anonymous",
                "login.failed",
                "agent",
                agent.id if agent else None,
                {"account": hashed(email)},
                agent_id=agent.id if agent else None,
            )
        return again("Wrong e-mail or password.", 401)

    token = secrets.token_urlsafe(32)
    async with console.db.write() as s:
        stored = await s.get(Agent, agent.id)
        assert stored is not None
        stored.failed_logins, stored.locked_until = 0, None
        if passwords.needs_rehash(stored.password_hash):
            stored.password_hash = passwords.hash_password(password)
        await repo.clear_attempts(s, account_key)
        old = request.cookies.get(COOKIE)
        if old:
            await repo.end_session(s, session_key(old))
        await repo.prune_sessions(s, now, now - IDLE_TIMEOUT)
        s.add(
            AgentSession(
                id=session_key(token),
                agent_id=agent.id,
                csrf_token=csrf.new_token(),
                created_at=now,
                last_seen_at=now,
                expires_at=now + ABSOLUTE_TIMEOUT,
            )
        )
        repo.audit(s, f"agent:{agent.email}", "login", "agent", agent.id, agent_id=agent.id)
    response = redirect(nxt)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(console, request),
        path=PREFIX,
        max_age=int(ABSOLUTE_TIMEOUT.total_seconds()),
    )
    response.delete_cookie(csrf.LOGIN_COOKIE, path=f"{PREFIX}/login")
    return _headers(response)


async def logout(console: Console, request: Request, me: Me) -> Response:
    async with console.db.write() as s:
        await repo.end_session(s, me.session_id)
        repo.audit(s, me.actor, "logout", "agent", me.agent_id, agent_id=me.agent_id)
    response = redirect(f"{PREFIX}/login")
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict")
    return response


PAGES = [Page("/logout", logout, ("POST",))]
