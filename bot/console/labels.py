"""Labels (admins keep the list; any agent puts them on conversations) and notes on a customer.

A label's colour is one of a fixed palette, drawn by a CSS class (`label-<colour>` in console.css):
the strict CSP allows no inline style, and a class from a closed list cannot carry anything else.
"""

from __future__ import annotations

import datetime as dt

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bot.console.i18n import N_
from bot.console.web import PREFIX, Console, Me, Page, field, form_data, reading, redirect
from storage.models import Conversation, Customer
from storage.repositories import console as audit_repo
from storage.repositories import labels as repo

PALETTE = {
    "grey": N_("Grey"),
    "red": N_("Red"),
    "orange": N_("Orange"),
    "yellow": N_("Yellow"),
    "green": N_("Green"),
    "teal": N_("Teal"),
    "blue": N_("Blue"),
    "purple": N_("Purple"),
}
MAX_NAME = 40
MAX_NOTE = 4000


async def admin_page(
    console: Console, request: Request, me: Me, *, error: str | None = None, status: int = 200
) -> Response:
    async with reading(console.db) as s:
        labels = await repo.all_labels(s)
    return console.render(
        "admin_labels.html", me, status=status, active="admin", labels=labels, palette=PALETTE, error=error
    )


async def create(console: Console, request: Request, me: Me) -> Response:
    form = await form_data(request)
    name, colour = " ".join(field(form, "name", 200).split()), field(form, "colour", 16)
    if not name or len(name) > MAX_NAME or colour not in PALETTE:
        error = N_("Give a name (at most 40 characters) and choose a colour.")
        return await admin_page(console, request, me, error=error, status=400)
    async with console.db.write() as s:
        if await repo.label_named(s, name) is not None:
            taken = N_("A label with this name exists already.")
            return await admin_page(console, request, me, error=taken, status=409)
        label = repo.add_label(s, name, colour, dt.datetime.now(dt.UTC))
        await s.flush()
        audit_repo.audit(
            s, me.actor, "label.create", "label", label.id, {"colour": colour}, agent_id=me.agent_id
        )
    return redirect(f"{PREFIX}/admin/labels")


async def delete(console: Console, request: Request, me: Me) -> Response:
    label_id = int(request.path_params["label_id"])
    async with console.db.write() as s:
        if not await repo.delete_label(s, label_id):
            return console.error(me, 404, N_("No such label."))
        audit_repo.audit(s, me.actor, "label.delete", "label", label_id, agent_id=me.agent_id)
    return redirect(f"{PREFIX}/admin/labels")


async def set_labels(console: Console, request: Request, me: Me) -> Response:
    conv_id = int(request.path_params["conversation_id"])
    form = await form_data(request)
    values = form.getlist("label") if isinstance(form, FormData) else []
    chosen = [int(v) for v in values if isinstance(v, str) and v.isdigit()][:50]
    async with console.db.write() as s:
        if await s.get(Conversation, conv_id) is None:
            return console.error(me, 404, N_("No such conversation."))
        added, removed = await repo.set_conversation_labels(
            s, conv_id, chosen, me.agent_id, dt.datetime.now(dt.UTC)
        )
        if added or removed:
            audit_repo.audit(
                s,
                me.actor,
                "conversation.labels",
                "conversation",
                conv_id,
                {"added": sorted(added), "removed": sorted(removed)},
                agent_id=me.agent_id,
            )
    return redirect(f"{PREFIX}/conversations/{conv_id}")


async def customer_note(console: Console, request: Request, me: Me) -> Response:
    customer_id = int(request.path_params["customer_id"])
    form = await form_data(request)
    text = field(form, "text", MAX_NOTE)
    back = field(form, "back", 200)
    if not text:
        return console.error(me, 400, N_("Write the note first."))
    async with console.db.write() as s:
        customer = await s.get(Customer, customer_id)
        if customer is None:
            return console.error(me, 404, N_("No such customer."))
        if customer.anonymized_at is not None:
            return console.error(me, 409, N_("This customer's data was erased; it cannot be edited."))
        note = repo.add_customer_note(s, customer_id, me.agent_id, text, dt.datetime.now(dt.UTC))
        await s.flush()
        # The note's id only: its text is about the person and stays out of the log.
        audit_repo.audit(
            s, me.actor, "customer.note", "customer", customer_id, {"note_id": note.id}, agent_id=me.agent_id
        )
    # Back to the conversation the note was written from, else the customer page: never elsewhere.
    target = (
        back if back.startswith(f"{PREFIX}/conversations/") and back[len(PREFIX) + 15 :].isdigit() else None
    )
    return redirect(target or f"{PREFIX}/customers/{customer_id}")


PAGES = [
    Page("/admin/labels", admin_page, role="admin"),
    Page("/admin/labels", create, ("POST",), role="admin"),
    Page("/admin/labels/{label_id:int}/delete", delete, ("POST",), role="admin"),
    Page("/conversations/{conversation_id:int}/labels", set_labels, ("POST",)),
    Page("/customers/{customer_id:int}/notes", customer_note, ("POST",)),
]
