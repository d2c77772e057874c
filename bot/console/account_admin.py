"""Admins on other agents' accounts: reset a password, reset or require two-factor authentication,
and require it of every agent.

A reset password is a generated one-time password, shown once on the response and never stored in
clear; the agent must replace it at their next sign-in (they reach nothing else until then), and
every session of theirs ends at once. Resetting the second factor deletes the secret and the recovery
codes (the agent enrols again, at once if it is required). Each action is audited.
"""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response

from bot.console import passwords
from bot.console.i18n import N_
from bot.console.web import PREFIX, Console, Me, Page, field, form_data, reading, redirect
from storage.models import Agent
from storage.repositories import accounts
from storage.repositories import console as repo


async def reset_password(console: Console, request: Request, me: Me) -> Response:
    agent_id = int(request.path_params["agent_id"])
    if agent_id == me.agent_id:
        return console.error(me, 400, N_("Change your own password under Account."))
    one_time = passwords.generate()
    hashed = await passwords.hash_async(one_time)
    async with console.db.write() as s:
        agent = await s.get(Agent, agent_id)
        if agent is None:
            return console.error(me, 404, N_("No such agent."))
        agent.password_hash, agent.must_change_password = hashed, True
        agent.password_changed_at = dt.datetime.now(dt.UTC)
        await repo.end_sessions_of(s, agent.id)
        repo.audit(s, me.actor, "agent.password_reset", "agent", agent.id, agent_id=me.agent_id)
        email = agent.email
    # Shown once, on this response only; never stored in clear or logged.
    return console.render("account_reset.html", me, active="admin", email=email, one_time=one_time)


async def second_factor(console: Console, request: Request, me: Me) -> Response:
    agent_id = int(request.path_params["agent_id"])
    action = field(await form_data(request, max_files=0), "action", 10)
    async with console.db.write() as s:
        agent = await s.get(Agent, agent_id)
        if agent is None:
            return console.error(me, 404, N_("No such agent."))
        if action == "reset":
            if agent.id == me.agent_id:
                return console.error(me, 400, N_("Another admin must reset your own second factor."))
            await accounts.clear_second_factor(s, agent)
            await repo.end_sessions_of(s, agent.id)
        elif action == "require":
            agent.totp_required = True
        elif action == "optional":
            agent.totp_required = False
        else:
            return console.error(me, 400, N_("Unknown change."))
        repo.audit(s, me.actor, f"agent.totp_{action}", "agent", agent.id, agent_id=me.agent_id)
    return redirect(f"{PREFIX}/admin/agents")


async def security(console: Console, request: Request, me: Me) -> Response:
    async with reading(console.db) as s:
        required = await accounts.require_2fa_for_all(s)
        agents = await repo.list_agents(s)
    enrolled = sum(1 for a in agents if a.totp_enabled_at is not None and a.disabled_at is None)
    active = sum(1 for a in agents if a.disabled_at is None)
    return console.render(
        "admin_security.html", me, active="admin", required=required, enrolled=enrolled, total=active
    )


async def set_security(console: Console, request: Request, me: Me) -> Response:
    value = field(await form_data(request, max_files=0), "require_2fa", 3) == "on"
    async with console.db.write() as s:
        await accounts.set_require_2fa_for_all(s, value)
        repo.audit(
            s, me.actor, "settings.require_2fa", "setting", "require_2fa", {"on": value}, agent_id=me.agent_id
        )
    return redirect(f"{PREFIX}/admin/security")


PAGES = [
    Page("/admin/agents/{agent_id:int}/password", reset_password, ("POST",), role="admin"),
    Page("/admin/agents/{agent_id:int}/2fa", second_factor, ("POST",), role="admin"),
    Page("/admin/security", security, role="admin"),
    Page("/admin/security", set_security, ("POST",), role="admin"),
]
