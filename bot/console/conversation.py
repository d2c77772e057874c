"""A conversation: transcript (live), customer card, the request behind the ticket, reply, notes, take-over."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot import modes
from bot.console import attachments as console_attachments
from bot.console import sse
from bot.console.cards import booking_card
from bot.console.i18n import N_, Translations, translator
from bot.console.queue import reason_label
from bot.console.resolve import OUTCOMES, default_fee
from bot.console.web import (
    PREFIX,
    Console,
    Me,
    Page,
    audited,
    field,
    form_data,
    inert,
    int_param,
    json_error,
    reading,
    redirect,
    wants_json,
)
from bot.reads import agent_read
from storage.models import Agent, Booking, ChannelIdentity, Conversation, Customer, Ticket, TranscriptMessage
from storage.models import Request as FiledRequest
from storage.repositories import bookings, texts, tickets
from storage.repositories import console as audit_repo
from storage.repositories import console_customers as customers
from storage.repositories import labels as label_repo
from storage.repositories.conversations import add_transcript

FINAL = ("sent", "dead", "cancelled")
SUGGESTED = {"cancellation": "cancel_confirm", "change": "change_confirm", "data": "data_closed"}
AUTHORS = {
    "customer": N_("Customer"),
    "bot": N_("Bot"),
    "agent": N_("Agent"),
    "note": N_("Internal note"),
    "system": N_("System"),
}


def entry_json(
    m: TranscriptMessage, agent_name: str | None, status: str | None, who: str, tr: Translations
) -> dict[str, Any]:
    label = tr(who if m.author == "customer" else AUTHORS.get(m.author, m.author))
    if m.author in ("agent", "note") and agent_name:
        label = f"{label} · {agent_name}"
    return {
        "id": m.id,
        "author": m.author,
        "label": inert(label),
        "text": inert(m.text),
        "at": tr.datetime(m.created_at, "minute"),
        "outbox_id": m.outbox_id if m.author == "agent" else None,
        "delivery": status if m.author == "agent" else None,
    }


def ticket_json(ticket: Ticket | None, holder: str | None, mode: str, me: Me) -> dict[str, Any] | None:
    if ticket is None:
        return {"id": None, "mode": mode}
    return {
        "id": ticket.id,
        "status": ticket.status,
        "priority": ticket.priority,
        "reason": translator(me.locale)(reason_label(ticket.reason)),
        "claimed_by": inert(holder),
        "mine": ticket.claimed_by == me.agent_id,
        "mode": mode,
    }


def _conv_id(request: Request) -> int:
    return int(request.path_params["conversation_id"])


async def page(console: Console, request: Request, me: Me) -> Response:
    conv_id = _conv_id(request)
    now = dt.datetime.now(dt.UTC)
    async with reading(console.db) as s:
        conv = await s.get(Conversation, conv_id)
        if conv is None:
            return console.error(me, 404, N_("No such conversation."))
        identity = await s.get(ChannelIdentity, conv.identity_id) if conv.identity_id else None
        customer = await s.get(Customer, identity.customer_id) if identity and identity.customer_id else None
        cards, channels = [], []
        if customer is not None:
            cards = [booking_card(b, now) for b in await bookings.of_customer(s, customer.id)]
            channels = await customers.identities_of(s, customer.id)
        ticket = await tickets.active_ticket(s, conv_id)
        holder = (await s.get(Agent, ticket.claimed_by)) if ticket and ticket.claimed_by else None
        filed = await s.get(FiledRequest, ticket.request_id) if ticket and ticket.request_id else None
        filed_booking = await s.get(Booking, filed.booking_id) if filed and filed.booking_id else None
        filed_card = booking_card(filed_booking, now) if filed_booking else None
        canned = await texts.all_texts(
            s, "canned:", conv.locale or (identity.locale_hint if identity else None)
        )
        agents = await audit_repo.active_agents(s)
        history = await tickets.ticket_history(s, conv_id, 10)
        conv_labels = await label_repo.labels_of_conversation(s, conv_id)
        all_labels = await label_repo.all_labels(s)
        customer_notes = await label_repo.customer_notes(s, customer.id, 20) if customer else []
    await audited(
        console.db,
        me,
        "conversation.view",
        "conversation",
        conv_id,
        {"customer_id": customer.id if customer else None},
    )
    # The agent has now read what the customer wrote: "seen" in the web chat, LINE's read mark (a job).
    await agent_read(console.db, console.bus, conv_id, me.agent_id)
    return console.render(
        "conversation.html",
        me,
        active="queue",
        conv=conv,
        identity=identity,
        customer=customer,
        cards=cards,
        channels=channels,
        ticket=ticket,
        holder=holder,
        filed=filed,
        filed_card=filed_card,
        filed_details=json.dumps(filed.details, ensure_ascii=False, indent=1) if filed else "",
        canned=canned,
        agents=agents,
        history=history,
        conv_labels=conv_labels,
        all_labels=all_labels,
        customer_notes=customer_notes,
        reason_label=reason_label,
        now=now,
        max_chars=console.settings.max_message_chars,
        outcomes=OUTCOMES,
        suggested=SUGGESTED.get(filed.kind if filed else "", "done"),
        fee_default=default_fee(filed_booking, filed, now) if filed_booking else None,
    )


async def stream(console: Console, request: Request, me: Me) -> Response:
    conv_id = _conv_id(request)
    after = int_param(request.headers.get("last-event-id") or request.query_params.get("after")) or 0
    async with reading(console.db) as s:
        conv = await s.get(Conversation, conv_id)
        identity = await s.get(ChannelIdentity, conv.identity_id) if conv and conv.identity_id else None
    if conv is None:
        return json_error(N_("no such conversation"), 404, me.locale)
    # The transcript is personal data too: reading it through the stream is a view of its own.
    await audited(console.db, me, "conversation.stream", "conversation", conv_id, {"after": after})
    who: str = N_("Customer")
    if identity and identity.display_name:
        who = N_("Customer · %(name)s", name=identity.display_name)
    tr = translator(me.locale)
    state: dict[str, Any] = {"after": after, "pending": {}, "ticket": None, "started": False, "files": {}}

    async def produce() -> list[tuple[str, Any]]:
        events: list[tuple[str, Any]] = []
        async with reading(console.db) as s:
            rows = await customers.transcript_with_state(s, conv_id, state["after"])
            pending: dict[int, str] = state["pending"]
            changed = await customers.outbox_states(s, list(pending))
            current = await s.get(Conversation, conv_id, populate_existing=True)
            ticket = await tickets.active_ticket(s, conv_id)
            holder = await s.get(Agent, ticket.claimed_by) if ticket and ticket.claimed_by else None
        if state["started"] and any(m.author == "customer" for m, _, _ in rows):
            # The customer wrote while the agent has the conversation open: read as it arrives.
            await agent_read(console.db, console.bus, conv_id, me.agent_id)
        if rows or not state["started"]:
            # The first event is sent even when empty: the page then knows the transcript is loaded.
            state["started"] = True
            entries = [entry_json(m, name, status, who, tr) for m, name, status in rows]
            state["after"] = rows[-1][0].id if rows else state["after"]
            for e in entries:
                if e["outbox_id"] and e["delivery"] not in FINAL:
                    pending[e["outbox_id"]] = e["delivery"]
            events.append(("transcript", {"entries": entries, "last_id": state["after"]}))
        updates = {str(i): st for i, st in changed.items() if pending.get(i) != st}
        for i, st in changed.items():
            if st in FINAL:
                pending.pop(i, None)
            else:
                pending[i] = st
        if updates:
            events.append(("delivery", {"states": updates}))
        files = await console_attachments.for_stream(console, conv_id, me, state["files"])
        if files:
            events.append(("attachments", {"attachments": files}))
        info = ticket_json(ticket, holder.name if holder else None, current.mode if current else "bot", me)
        if info != state["ticket"]:
            state["ticket"] = info
            events.append(("ticket", info))
        return events

    topics = [f"conversation:{conv_id}", f"delivery:{conv_id}", "tickets"]
    # 30 minutes per connection: each (re)connection is audited, so not too many of them.
    alive = sse.session_check(console.db, me)
    return sse.response(request, console.bus, topics, produce, alive=alive, refresh=3.0, lifetime=1800.0)


async def _mine(console: Console, conv_id: int, me: Me) -> Ticket | None:
    async with reading(console.db) as s:
        ticket = await tickets.active_ticket(s, conv_id)
    if ticket is None or ticket.status != "claimed" or ticket.claimed_by != me.agent_id:
        return None
    return ticket


async def _text(request: Request, limit: int) -> str | None:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(await request.body())
        except ValueError:
            return None
        text = data.get("text") if isinstance(data, dict) else None
        return text.strip() if isinstance(text, str) else None
    return field(await form_data(request), "text", limit + 1)


async def reply(console: Console, request: Request, me: Me) -> Response:
    conv_id = _conv_id(request)
    limit = console.settings.max_message_chars
    text = await _text(request, limit)
    if not text:
        return json_error(N_("Write a message first."), 400, me.locale)
    if len(text) > limit:
        return json_error(N_("The message is too long (at most %(n)s characters).", n=limit), 413, me.locale)
    if await _mine(console, conv_id, me) is None:
        return json_error(N_("Claim this conversation before replying."), 409, me.locale)
    outbox_id = await console.engine.send_from_agent(conv_id, me.agent_id, text)
    async with console.db.write() as s:
        audit_repo.audit(
            s,
            me.actor,
            "conversation.reply",
            "conversation",
            conv_id,
            {"outbox_id": outbox_id},
            agent_id=me.agent_id,
        )
    if wants_json(request):
        return JSONResponse({"ok": True, "outbox_id": outbox_id})
    return redirect(f"{PREFIX}/conversations/{conv_id}")


async def note(console: Console, request: Request, me: Me) -> Response:
    conv_id = _conv_id(request)
    text = await _text(request, 4000)
    if not text:
        return json_error(N_("Write the note first."), 400, me.locale)
    async with console.db.write() as s:
        if await s.get(Conversation, conv_id) is None:
            return json_error(N_("No such conversation."), 404, me.locale)
        add_transcript(s, conv_id, "note", text[:4000], agent_id=me.agent_id)
        audit_repo.audit(s, me.actor, "conversation.note", "conversation", conv_id, agent_id=me.agent_id)
    await console.bus.publish(f"conversation:{conv_id}", {"conversation_id": conv_id})
    if wants_json(request):
        return JSONResponse({"ok": True})
    return redirect(f"{PREFIX}/conversations/{conv_id}")


async def retry_delivery(console: Console, request: Request, me: Me) -> Response:
    """The agent chose to retry a dead letter: queued as a job, so it happens once whoever presses."""
    from bot.ops.housekeeping import RETRY_DEAD, retry_dead_key
    from storage.models import OutboxMessage
    from storage.repositories import jobs

    conv_id = _conv_id(request)
    outbox_id = int(request.path_params["outbox_id"])
    now = dt.datetime.now(dt.UTC)
    async with console.db.write() as s:
        row = await s.get(OutboxMessage, outbox_id)
        if row is None or row.conversation_id != conv_id:
            return json_error(N_("No such message."), 404, me.locale)
        if row.status != "dead":
            return json_error(N_("This message is not failed."), 409, me.locale)
        key = retry_dead_key(outbox_id, row.attempts)
        await jobs.plan(s, [jobs.Planned(key, RETRY_DEAD, now, {"outbox_id": outbox_id})])
        audit_repo.audit(s, me.actor, "outbox.retry", "outbox", outbox_id, agent_id=me.agent_id)
    if wants_json(request):
        return JSONResponse({"ok": True})
    return redirect(f"{PREFIX}/conversations/{conv_id}")


async def take(console: Console, request: Request, me: Me) -> Response:
    """Take up a conversation nobody asked about (e.g. to write to a customer first)."""
    conv_id = _conv_id(request)
    now = dt.datetime.now(dt.UTC)
    async with console.db.write() as s:
        if await s.get(Conversation, conv_id) is None:
            return console.error(me, 404, N_("No such conversation."))
        if await tickets.active_ticket(s, conv_id) is not None:
            return console.error(me, 409, N_("This conversation already has a ticket: claim it instead."))
        ticket = await modes.take_over(s, conv_id, me.agent_id, now)
        audit_repo.audit(
            s,
            me.actor,
            "ticket.take",
            "ticket",
            ticket.id,
            {"conversation_id": conv_id},
            agent_id=me.agent_id,
        )
    await console.bus.publish("tickets", {"ticket_id": ticket.id})
    await console.bus.publish(f"conversation:{conv_id}", {"conversation_id": conv_id})
    return redirect(f"{PREFIX}/conversations/{conv_id}")


PAGES = [
    Page("/conversations/{conversation_id:int}", page),
    Page("/api/conversations/{conversation_id:int}/stream", stream),
    Page("/conversations/{conversation_id:int}/reply", reply, ("POST",)),
    Page("/conversations/{conversation_id:int}/note", note, ("POST",)),
    Page("/conversations/{conversation_id:int}/retry/{outbox_id:int}", retry_delivery, ("POST",)),
    Page("/conversations/{conversation_id:int}/take", take, ("POST",)),
    Page("/conversations/{conversation_id:int}/attach", console_attachments.send, ("POST",)),
    Page("/api/files/{token:str}", console_attachments.content),
    Page("/api/files/{token:str}/thumb", console_attachments.content),
]
