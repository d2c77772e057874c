"""The queue: open tickets, urgent first then longest waiting, live over SSE; claim, release, reassign.

The queue shows no names or message text (language, channel, reason, waiting time only), so looking
at it is not a view of anyone's personal data; opening a conversation is, and is audited.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot import availability, modes
from bot.console import sse
from bot.console import team as team_panel
from bot.console.i18n import N_
from bot.console.web import (
    PREFIX,
    Console,
    Me,
    Page,
    field,
    form_data,
    inert,
    json_error,
    language,
    reading,
    redirect,
    wants_json,
)
from storage.models import Agent, Label
from storage.repositories import console as audit_repo
from storage.repositories import conversation_list, tickets

REASONS = {
    "human": "Asked for a person",
    "cancellation": "Cancellation to confirm",
    "change": "Booking change to confirm",
    "late": "Late arrival",
    "special": "Special circumstances",
    "data": "Personal data request",
    "link_locked": "Identity check locked",
    "delivery_failed": "A reply could not be delivered",
    "agent": "Taken up by an agent",
}


def reason_label(reason: str) -> str:
    return REASONS.get(reason, reason.replace("_", " ").capitalize())


def row_json(row: tickets.QueueRow, me: Me, labels: list[Label] | None = None) -> dict[str, Any]:
    return {
        "id": row.ticket_id,
        "conversation_id": row.conversation_id,
        "reason": row.reason,
        "reason_label": reason_label(row.reason),
        "priority": row.priority,
        "status": row.status,
        "created_at": row.created_at.isoformat(),
        "channel": row.channel or "",
        "locale": row.locale or "",
        "language": language(row.locale) if row.locale else "",
        # The code agents' languages are matched on (ja, en, zh, ko, th, vi): the "my languages" filter.
        "language_code": availability.language_of(row.locale),
        "claimed_by": inert(row.claimed_by_name),  # an agent's name: bidi controls shown as codes
        "mine": row.claimed_by == me.agent_id,
        # A label's name is staff text (set by admins); its colour a key of the fixed palette.
        "labels": [{"name": inert(label.name), "colour": label.colour} for label in labels or []],
    }


async def snapshot(console: Console, me: Me) -> list[dict[str, Any]]:
    async with reading(console.db) as s:
        rows = await tickets.queue(s)
        labels = await conversation_list.labels_of(
            s, sorted({r.conversation_id for r in rows if r.conversation_id})
        )
    return [row_json(r, me, labels.get(r.conversation_id or 0)) for r in rows]


async def team_snapshot(console: Console) -> list[dict[str, Any]]:
    async with reading(console.db) as s:
        return await team_panel.team_rows(s, console, dt.datetime.now(dt.UTC))


async def page(console: Console, request: Request, me: Me) -> Response:
    async with reading(console.db) as s:
        agent = await s.get(Agent, me.agent_id)
    mine = agent.languages if agent is not None else ""
    # Signing in (or coming back to the queue) makes an agent available: what waits may be theirs now.
    await team_panel.offer_waiting_now(console)
    return console.render("queue.html", me, active="queue", my_languages=mine)


async def api_queue(console: Console, request: Request, me: Me) -> Response:
    return JSONResponse({"tickets": await snapshot(console, me), "team": await team_snapshot(console)})


async def stream(console: Console, request: Request, me: Me) -> Response:
    last: list[str] = [""]

    async def produce() -> list[tuple[str, Any]]:
        data = {"tickets": await snapshot(console, me), "team": await team_snapshot(console)}
        encoded = json.dumps(data)
        if encoded == last[0]:
            return []
        last[0] = encoded
        return [("queue", data)]

    return sse.response(request, console.bus, ["tickets"], produce, alive=sse.session_check(console.db, me))


def _ticket_id(request: Request) -> int:
    return int(request.path_params["ticket_id"])


async def _changed(console: Console, ticket_id: int, conversation_id: int | None) -> None:
    await console.bus.publish("tickets", {"ticket_id": ticket_id})
    if conversation_id is not None:
        await console.bus.publish(f"conversation:{conversation_id}", {"conversation_id": conversation_id})


def _answer(request: Request, console: Console, me: Me, status: int, message: str, **extra: Any) -> Response:
    if wants_json(request):
        return json_error(message, status, **extra)
    return console.error(me, status, message)


async def claim(console: Console, request: Request, me: Me) -> Response:
    ticket_id = _ticket_id(request)
    async with console.db.write() as s:
        won = await modes.claim(s, ticket_id, me.agent_id, dt.datetime.now(dt.UTC))
        found = await tickets.holder(s, ticket_id)
        if won and found is not None:
            audit_repo.audit(
                s,
                me.actor,
                "ticket.claim",
                "ticket",
                ticket_id,
                {"conversation_id": found[0].conversation_id},
                agent_id=me.agent_id,
            )
    if found is None:
        return _answer(request, console, me, 404, "No such ticket.")
    ticket, holder_name = found
    if not won:
        if ticket.status == "claimed":
            who = "you" if ticket.claimed_by == me.agent_id else (holder_name or "another agent")
            return _answer(
                request,
                console,
                me,
                409,
                f"Already claimed by {who}.",
                by=holder_name or "",
                mine=ticket.claimed_by == me.agent_id,
                conversation_id=ticket.conversation_id,
            )
        return _answer(request, console, me, 409, "This ticket is already resolved.")
    await _changed(console, ticket_id, ticket.conversation_id)
    url = f"{PREFIX}/conversations/{ticket.conversation_id}" if ticket.conversation_id else f"{PREFIX}/"
    if wants_json(request):
        return JSONResponse({"ok": True, "conversation_id": ticket.conversation_id, "url": url})
    return redirect(url)


async def release(console: Console, request: Request, me: Me) -> Response:
    ticket_id = _ticket_id(request)
    async with console.db.write() as s:
        done = await modes.release(s, ticket_id, None if me.is_admin else me.agent_id)
        found = await tickets.holder(s, ticket_id)
        if done:
            audit_repo.audit(s, me.actor, "ticket.release", "ticket", ticket_id, agent_id=me.agent_id)
            # Back in the queue, and a place freed: the round robin may hand it (or another) on.
            assigned = await team_panel.offer_waiting(s, console, dt.datetime.now(dt.UTC))
    if not done or found is None:
        return _answer(
            request, console, me, 409, "Only the agent holding this ticket (or an admin) can release it."
        )
    await _changed(console, ticket_id, found[0].conversation_id)
    await team_panel.publish_assigned(console, assigned)
    if wants_json(request):
        return JSONResponse({"ok": True})
    return redirect(f"{PREFIX}/")


async def reassign(console: Console, request: Request, me: Me) -> Response:
    ticket_id = _ticket_id(request)
    form = await form_data(request)
    try:
        to_agent = int(field(form, "agent_id", 20))
    except ValueError:
        return _answer(request, console, me, 400, "Choose the agent to hand this ticket to.")
    async with console.db.write() as s:
        target = await s.get(Agent, to_agent)
        if target is None or target.disabled_at is not None:
            return _answer(request, console, me, 400, "That agent does not exist or is disabled.")
        if not await team_panel.is_signed_in(s, to_agent):
            return _answer(
                request, console, me, 409, N_("That agent is offline: nothing is assigned to them.")
            )
        done = await modes.reassign(
            s, ticket_id, None if me.is_admin else me.agent_id, to_agent, dt.datetime.now(dt.UTC)
        )
        found = await tickets.holder(s, ticket_id)
        if done:
            audit_repo.audit(
                s,
                me.actor,
                "ticket.reassign",
                "ticket",
                ticket_id,
                {"to_agent": to_agent},
                agent_id=me.agent_id,
            )
    if not done or found is None:
        return _answer(
            request, console, me, 409, "Only the agent holding this ticket (or an admin) can reassign it."
        )
    await _changed(console, ticket_id, found[0].conversation_id)
    if wants_json(request):
        return JSONResponse({"ok": True})
    conv = found[0].conversation_id
    return redirect(f"{PREFIX}/conversations/{conv}" if conv else f"{PREFIX}/")


PAGES = [
    Page("/", page),
    Page("/api/queue", api_queue),
    Page("/api/queue/stream", stream),
    Page("/tickets/{ticket_id:int}/claim", claim, ("POST",)),
    Page("/tickets/{ticket_id:int}/release", release, ("POST",)),
    Page("/tickets/{ticket_id:int}/reassign", reassign, ("POST",)),
]
