"""An agent's own account: change the password, enrol in (or leave) two-factor authentication.

Changing the password needs the current one (also after an admin's reset: the one-time password) and
ends every other session of the agent. Enrolment shows a QR code drawn here as inline SVG — nothing
from another site — and the secret as text; a code from the app confirms it, and ten recovery codes
are shown once. Every change is audited.
"""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response

from bot.console import account_lockout as lockout
from bot.console import auth, passwords, totp
from bot.console.account_signin import app_secret
from bot.console.i18n import N_, translator
from bot.console.web import PREFIX, Console, Me, Page, field, form_data, reading, redirect
from storage.models import Agent
from storage.repositories import accounts
from storage.repositories import console as repo

QR_TITLE = N_("QR code for your authenticator app")


async def _agent(console: Console, me: Me) -> Agent:
    async with reading(console.db) as s:
        agent = await s.get(Agent, me.agent_id)
    assert agent is not None  # the guard found this agent a moment ago
    return agent


async def overview(console: Console, request: Request, me: Me) -> Response:
    agent = await _agent(console, me)
    async with reading(console.db) as s:
        left = await accounts.recovery_codes_left(s, agent.id)
        required = agent.role == "admin" or agent.totp_required or await accounts.require_2fa_for_all(s)
    return console.render(
        "account.html",
        me,
        active="account",
        agent=agent,
        left=left,
        required=required,
        done=request.query_params.get("done", "")[:20],
        error=None,
    )


def _password_page(
    console: Console, me: Me, agent: Agent, error: str | None = None, status: int = 200
) -> Response:
    # Rendered without `me`: a session that must change its password sees no navigation.
    return console.render(
        "account_password.html",
        None,
        status=status,
        locale=me.locale,
        error=error,
        forced=agent.must_change_password,
        csrf_token=me.csrf,
        min_length=passwords.MIN_LENGTH,
    )


async def password_page(console: Console, request: Request, me: Me) -> Response:
    return _password_page(console, me, await _agent(console, me))


async def change_password(console: Console, request: Request, me: Me) -> Response:
    form = await form_data(request, max_files=0)
    current, new, repeat = (_raw(form, k) for k in ("current", "new", "repeat"))
    agent = await _agent(console, me)
    now = dt.datetime.now(dt.UTC)
    if not await passwords.verify_async(agent.password_hash, current):
        async with console.db.write() as s:
            await lockout.failed(s, lockout.Keys.of(me.email, auth.address(request)), now, checked=False)
            repo.audit(s, me.actor, "password.change_failed", "agent", agent.id, agent_id=agent.id)
        return _password_page(console, me, agent, N_("The current password is not right."), 400)
    try:
        if new != repeat:
            raise passwords.WeakPassword(N_("the two new passwords are not the same"))
        if new == current:
            raise passwords.WeakPassword(N_("the new password must differ from the current one"))
        passwords.check_policy(new, me.email)
    except passwords.WeakPassword as exc:
        return _password_page(console, me, agent, N_("Not changed: %(reason)s.", reason=exc.args[0]), 400)
    hashed = await passwords.hash_async(new)
    async with console.db.write() as s:
        stored = await s.get(Agent, agent.id)
        assert stored is not None
        forced = stored.must_change_password
        stored.password_hash, stored.must_change_password, stored.password_changed_at = hashed, False, now
        await accounts.end_other_sessions(s, agent.id, keep=me.session_id)
        repo.audit(s, me.actor, "password.change", "agent", agent.id, {"forced": forced}, agent_id=agent.id)
    return redirect(f"{PREFIX}/account?done=password")


def _raw(form: object, name: str) -> str:
    value = form.get(name, "") if hasattr(form, "get") else ""
    return value[: passwords.MAX_LENGTH + 1] if isinstance(value, str) else ""


async def enrol_page(
    console: Console, request: Request, me: Me, *, error: str | None = None, status: int = 200
) -> Response:
    agent = await _agent(console, me)
    if agent.totp_enabled_at is not None:
        return redirect(f"{PREFIX}/account")
    key = await app_secret(console)
    secret = totp.unseal(key, agent.totp_secret) if agent.totp_secret else None
    if secret is None:  # a new enrolment (or one sealed with an older app secret): a fresh secret
        secret = totp.new_secret()
        async with console.db.write() as s:
            stored = await s.get(Agent, agent.id)
            assert stored is not None
            stored.totp_secret = totp.seal(key, secret)
    return console.render(
        "account_2fa.html",
        None,
        status=status,
        locale=me.locale,
        error=error,
        csrf_token=me.csrf,
        qr=totp.qr_svg(totp.uri(secret, me.email), translator(me.locale)(QR_TITLE)),
        secret=totp.grouped(secret),
        codes=None,
    )


async def confirm(console: Console, request: Request, me: Me) -> Response:
    form = await form_data(request, max_files=0)
    agent = await _agent(console, me)
    if agent.totp_enabled_at is not None or not agent.totp_secret:
        return redirect(f"{PREFIX}/account/2fa")
    secret = totp.unseal(await app_secret(console), agent.totp_secret)
    step = totp.matching_step(secret, field(form, "code", 20)) if secret else None
    if step is None:
        return await enrol_page(
            console, request, me, error=N_("That code is not right. Try the newest one."), status=400
        )
    codes = totp.new_recovery_codes()
    now = dt.datetime.now(dt.UTC)
    async with console.db.write() as s:
        stored = await s.get(Agent, agent.id)
        assert stored is not None
        stored.totp_enabled_at, stored.totp_last_step = now, step
        await accounts.replace_recovery_codes(s, agent.id, [totp.recovery_hash(c) for c in codes], now)
        await accounts.end_other_sessions(s, agent.id, keep=me.session_id)
        repo.audit(s, me.actor, "totp.enrol", "agent", agent.id, agent_id=agent.id)
    # The codes are on this response only: stored as hashes, never shown again.
    return console.render(
        "account_2fa.html",
        None,
        locale=me.locale,
        csrf_token=me.csrf,
        qr=None,
        secret=None,
        codes=codes,
        error=None,
    )


async def disable(console: Console, request: Request, me: Me) -> Response:
    """An agent may leave two-factor authentication when nobody requires it (their password again)."""
    form = await form_data(request, max_files=0)
    agent = await _agent(console, me)
    async with reading(console.db) as s:
        required = agent.role == "admin" or agent.totp_required or await accounts.require_2fa_for_all(s)
    if required:
        return console.error(me, 403, N_("Two-factor authentication is required for your account."))
    if not await passwords.verify_async(agent.password_hash, _raw(form, "current")):
        return console.error(me, 400, N_("The password is not right; two-factor authentication stays on."))
    async with console.db.write() as s:
        stored = await s.get(Agent, agent.id)
        assert stored is not None
        await accounts.clear_second_factor(s, stored)
        repo.audit(s, me.actor, "totp.disable", "agent", agent.id, {"by": "self"}, agent_id=agent.id)
    return redirect(f"{PREFIX}/account?done=2fa-off")


PAGES = [
    Page("/account", overview),
    Page("/account/password", password_page),
    Page("/account/password", change_password, ("POST",)),
    Page("/account/2fa", enrol_page),
    Page("/account/2fa/confirm", confirm, ("POST",)),
    Page("/account/2fa/disable", disable, ("POST",)),
]
