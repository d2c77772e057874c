"""Admins only: agents, settings texts (payment instructions, canned replies per language), the audit log."""

from __future__ import annotations

import datetime as dt
import re

from starlette.requests import Request
from starlette.responses import Response

from bot.console import passwords, sse
from bot.console.i18n import N_
from bot.console.web import PREFIX, Console, Me, Page, field, form_data, int_param, reading, redirect
from bot.i18n import SUPPORTED
from storage.models import Agent
from storage.repositories import console as repo
from storage.repositories import texts as text_repo

ROLES = ("agent", "admin")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")


async def agents(
    console: Console,
    request: Request,
    me: Me,
    *,
    created: tuple[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    async with reading(console.db) as s:
        found = await repo.list_agents(s)
    return console.render(
        "admin_agents.html",
        me,
        status=status,
        active="admin",
        agents=found,
        roles=ROLES,
        created=created,
        error=error,
    )


async def create_agent(console: Console, request: Request, me: Me) -> Response:
    form = await form_data(request)
    email, name, role = field(form, "email", 254).lower(), field(form, "name", 200), field(form, "role", 8)
    if "@" not in email or not name or role not in ROLES:
        return await agents(
            console, request, me, error=N_("Give an e-mail address, a name and a role."), status=400
        )
    one_time = passwords.generate()
    hashed = await passwords.hash_async(one_time)  # argon2 off the event loop
    async with console.db.write() as s:
        if await repo.agent_by_email(s, email) is not None:
            return await agents(
                console, request, me, error=N_("An agent with that e-mail exists."), status=400
            )
        # A one-time password: the agent must choose their own at the first sign-in.
        agent = repo.add_agent(s, email, name, role, hashed, must_change_password=True)
        await s.flush()
        repo.audit(s, me.actor, "agent.create", "agent", agent.id, {"role": role}, agent_id=me.agent_id)
    # Shown once, on this response only; never stored in clear or logged.
    return await agents(console, request, me, created=(email, one_time))


async def change_agent(console: Console, request: Request, me: Me) -> Response:
    agent_id = int(request.path_params["agent_id"])
    form = await form_data(request)
    action = field(form, "action", 10)
    async with console.db.write() as s:
        agent = await s.get(Agent, agent_id)
        if agent is None:
            return console.error(me, 404, N_("No such agent."))
        if agent.id == me.agent_id and action in ("disable", "role"):
            return console.error(me, 400, N_("You cannot disable yourself or change your own role."))
        if action == "disable":
            agent.disabled_at = dt.datetime.now(dt.UTC)
            await repo.end_sessions_of(s, agent.id)
        elif action == "enable":
            agent.disabled_at, agent.locked_until, agent.failed_logins = None, None, 0
        elif action == "role" and field(form, "role", 8) in ROLES:
            agent.role = field(form, "role", 8)
            await repo.end_sessions_of(s, agent.id)  # the new rights apply from a fresh sign-in
        else:
            return console.error(me, 400, N_("Unknown change."))
        repo.audit(
            s, me.actor, f"agent.{action}", "agent", agent.id, {"role": agent.role}, agent_id=me.agent_id
        )
    await console.bus.publish(sse.AGENTS_TOPIC, {"agent_id": agent_id})  # their open streams end now
    return redirect(f"{PREFIX}/admin/agents")


async def texts(
    console: Console, request: Request, me: Me, *, error: str | None = None, status: int = 200
) -> Response:
    async with reading(console.db) as s:
        rows = await text_repo.all_texts(s)
    return console.render(
        "admin_texts.html", me, status=status, active="admin", texts=rows, locales=SUPPORTED, error=error
    )


async def save_text(console: Console, request: Request, me: Me) -> Response:
    form = await form_data(request)
    kind, slug, locale = field(form, "kind", 20), field(form, "slug", 41).lower(), field(form, "locale", 16)
    body = field(form, "text", 4001)
    if kind == "payment":
        key = "payment_instructions"
    elif kind == "canned" and SLUG.match(slug):
        key = f"canned:{slug}"
    else:
        return await texts(
            console,
            request,
            me,
            error=N_(
                "Choose payment instructions, or name the canned reply (lower-case letters, digits, - or _)."
            ),
            status=400,
        )
    if locale not in SUPPORTED:
        return await texts(console, request, me, error=N_("Choose a language."), status=400)
    if len(body) > 4000:
        return await texts(
            console, request, me, error=N_("The text is too long (at most 4000 characters)."), status=400
        )
    async with console.db.write() as s:
        row = await text_repo.set_text(s, key, locale, body, me.agent_id)
        repo.audit(
            s,
            me.actor,
            "text.delete" if row is None else "text.save",
            "text",
            f"{key}/{locale}",
            agent_id=me.agent_id,
        )
    return redirect(f"{PREFIX}/admin/texts")


async def audit(console: Console, request: Request, me: Me) -> Response:
    q = request.query_params
    async with reading(console.db) as s:
        entries = await repo.audit_page(
            s,
            action=q.get("action", "")[:64] or None,
            target_type=q.get("target_type", "")[:32] or None,
            target_id=q.get("target_id", "")[:64] or None,
            before_id=int_param(q.get("before")),
        )
        names = {a.id: a.name for a in await repo.list_agents(s)}
    return console.render(
        "admin_audit.html",
        me,
        active="admin",
        entries=entries,
        names=names,
        filters={k: q.get(k, "") for k in ("action", "target_type", "target_id")},
    )


PAGES = [
    Page("/admin/agents", agents, role="admin"),
    Page("/admin/agents", create_agent, ("POST",), role="admin"),
    Page("/admin/agents/{agent_id:int}", change_agent, ("POST",), role="admin"),
    Page("/admin/texts", texts, role="admin"),
    Page("/admin/texts", save_text, ("POST",), role="admin"),
    Page("/admin/audit", audit, role="admin"),
]
