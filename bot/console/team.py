"""Availability in the console: the header's online/away toggle, the queue's team panel, and the admins'
page for business hours, holidays, assignment, and each agent's languages and capacity.

Whenever someone may have become available (they chose "online", or a ticket left their hands) the
waiting tickets are offered to the round robin again (bot.modes.assign_waiting), in the same
transaction, so what waits is assigned as soon as someone fits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot import availability, hours, modes, team
from bot.console.i18n import N_
from bot.console.web import (
    PREFIX,
    Console,
    Me,
    Page,
    day_param,
    field,
    form_data,
    inert,
    reading,
    redirect,
    wants_json,
)
from storage.models import Agent
from storage.repositories import availability as team_repo
from storage.repositories import console as audit_repo
from storage.repositories import hours as repo

HOLIDAYS_AHEAD = 120
STATUS_LABELS = {"online": N_("Online"), "away": N_("Away"), "offline": N_("Offline")}


async def team_rows(s: AsyncSession, console: Console, now: dt.datetime) -> list[dict[str, Any]]:
    """Each enabled agent's availability and load, for the queue (names are inert text)."""
    rules = await modes.assignment(s, team.away_after(console.settings))
    out = []
    for a in await team_repo.team(s, now, now - modes.SESSION_IDLE):
        out.append(
            {
                "id": a.id,
                "name": inert(a.name),
                "status": availability.status(a, now, rules.away_after).value,
                "languages": list(a.languages),
                "load": a.load,
                "capacity": a.capacity if a.capacity is not None else rules.default_capacity,
            }
        )
    return out


async def is_signed_in(s: AsyncSession, agent_id: int) -> bool:
    """Not offline: a live session (an away agent may still be handed a ticket on purpose)."""
    now = dt.datetime.now(dt.UTC)
    rows = await team_repo.team(s, now, now - modes.SESSION_IDLE)
    return any(a.id == agent_id and a.last_seen_at is not None for a in rows)


async def offer_waiting(s: AsyncSession, console: Console, now: dt.datetime) -> list[tuple[int, int]]:
    """Someone may have become available: the round robin takes what waits (auto mode only)."""
    rules = await modes.assignment(s, team.away_after(console.settings))
    return await modes.assign_waiting(s, now, rules)


async def offer_waiting_now(console: Console) -> None:
    """`offer_waiting` in its own transaction, taken only in auto mode (a read decides first)."""
    now = dt.datetime.now(dt.UTC)
    async with reading(console.db) as s:
        auto = (await modes.assignment(s, team.away_after(console.settings))).auto
    if not auto:
        return
    async with console.db.write() as s:
        done = await offer_waiting(s, console, now)
    await publish_assigned(console, done)


async def publish_assigned(console: Console, done: list[tuple[int, int]]) -> None:
    await console.bus.publish("tickets", {"team": True})
    for ticket_id, _agent in done:
        await console.bus.publish("tickets", {"ticket_id": ticket_id})


async def presence(console: Console, request: Request, me: Me) -> Response:
    form = await form_data(request)
    chosen = field(form, "presence", 8)
    if chosen not in ("online", "away"):
        return console.error(me, 400, N_("Choose online or away."))
    now = dt.datetime.now(dt.UTC)
    async with console.db.write() as s:
        await team_repo.set_presence(s, me.agent_id, chosen)
        audit_repo.audit(
            s, me.actor, "agent.presence", "agent", me.agent_id, {"presence": chosen}, me.agent_id
        )
        done = await offer_waiting(s, console, now) if chosen == "online" else []
    await publish_assigned(console, done)
    if wants_json(request):
        return JSONResponse({"ok": True, "presence": chosen})
    return redirect(f"{PREFIX}/")


async def admin_page(console: Console, request: Request, me: Me, error: str | None = None) -> Response:
    now = dt.datetime.now(dt.UTC)
    async with reading(console.db) as s:
        rules = await team.load_rules(s)
        notes = {o.day: o.note for o in await repo.overrides(s)}
        assignment = await modes.assignment(s, team.away_after(console.settings))
        agents = await team_repo.team(s, now, now - modes.SESSION_IDLE)
    today = now.astimezone(hours.JST).date()
    days = [hours.day(rules, today + dt.timedelta(days=n)) for n in range(HOLIDAYS_AHEAD)]
    special = [d for d in days if d.holiday is not None or d.date in rules.overrides]
    return console.render(
        "admin_hours.html",
        me,
        status=400 if error else 200,
        active="admin",
        week=[
            (n, name, ", ".join(str(i) for i in rules.weekly.get(n, ())))
            for n, name in enumerate(hours.WEEKDAYS)
        ],
        special=special,
        notes=notes,
        open_now=team.open_now(rules, now),
        next_opening=hours.next_opening(rules, now),
        assignment=assignment,
        agents=agents,
        languages=availability.LANGUAGES,
        error=error,
        done=request.query_params.get("done", "")[:20],
    )


async def save_week(console: Console, request: Request, me: Me) -> Response:
    form = await form_data(request)
    try:
        week = {n: hours.parse_intervals(field(form, f"day-{n}", 200)) for n in range(7)}
    except ValueError as exc:
        return await admin_page(console, request, me, error=str(exc))
    async with console.db.write() as s:
        for n, intervals in week.items():
            await repo.set_weekday(s, n, [(i.start, i.end) for i in intervals])
        audit_repo.audit(s, me.actor, "hours.weekly", agent_id=me.agent_id)
    return redirect(f"{PREFIX}/admin/hours?done=week")


async def save_day(console: Console, request: Request, me: Me) -> Response:
    form = await form_data(request)
    state = field(form, "state", 8)
    day = day_param(field(form, "date", 10))
    if day is None:
        return await admin_page(console, request, me, error=N_("Give the date as YYYY-MM-DD."))
    async with console.db.write() as s:
        if state == "rules":
            await repo.clear_override(s, day)
        elif state in ("open", "closed"):
            note = field(form, "note", 200) or None
            await repo.set_override(s, day, state == "open", note, dt.datetime.now(dt.UTC))
        else:
            return await admin_page(console, request, me, error=N_("Choose open, closed or the usual rules."))
        audit_repo.audit(s, me.actor, "hours.day", "day", day.isoformat(), {"state": state}, me.agent_id)
    return redirect(f"{PREFIX}/admin/hours?done=day")


async def save_assignment(console: Console, request: Request, me: Me) -> Response:
    form = await form_data(request)
    mode, capacity = field(form, "mode", 8), field(form, "capacity", 4)
    if mode not in ("auto", "manual") or not capacity.isdigit() or int(capacity) < 1:
        return await admin_page(
            console, request, me, error=N_("Choose auto or manual and a capacity of 1 or more.")
        )
    async with console.db.write() as s:
        await repo.set_setting(s, "assignment", mode)
        await repo.set_setting(s, "capacity", str(int(capacity)))
        audit_repo.audit(s, me.actor, "team.assignment", detail={"mode": mode}, agent_id=me.agent_id)
        done = await offer_waiting(s, console, dt.datetime.now(dt.UTC))
    await publish_assigned(console, done)
    return redirect(f"{PREFIX}/admin/hours?done=assignment")


async def save_agent(console: Console, request: Request, me: Me) -> Response:
    agent_id = int(request.path_params["agent_id"])
    form = await form_data(request)
    codes = tuple(code for code in availability.LANGUAGES if form.get(f"lang-{code}") == "on")
    raw = field(form, "capacity", 4)
    if raw and (not raw.isdigit() or int(raw) < 1):
        return await admin_page(
            console, request, me, error=N_("A capacity is a number of 1 or more, or empty.")
        )
    async with console.db.write() as s:
        if await s.get(Agent, agent_id) is None:
            return console.error(me, 404, N_("No such agent."))
        await team_repo.set_languages(s, agent_id, codes)
        await team_repo.set_capacity(s, agent_id, int(raw) if raw else None)
        audit_repo.audit(
            s, me.actor, "agent.languages", "agent", agent_id, {"languages": list(codes)}, me.agent_id
        )
        done = await offer_waiting(s, console, dt.datetime.now(dt.UTC))
    await publish_assigned(console, done)
    return redirect(f"{PREFIX}/admin/hours?done=agent")


PAGES = [
    Page("/presence", presence, ("POST",)),
    Page("/admin/hours", admin_page, role="admin"),
    Page("/admin/hours/week", save_week, ("POST",), role="admin"),
    Page("/admin/hours/day", save_day, ("POST",), role="admin"),
    Page("/admin/team", save_assignment, ("POST",), role="admin"),
    Page("/admin/team/{agent_id:int}", save_agent, ("POST",), role="admin"),
]
