"""Customers: search, create, view (audited), edit, link or unlink chat identities, export, erase."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.attachments.store import ContentStore
from bot.console import dataops, validate
from bot.console.cards import booking_card
from bot.console.i18n import N_
from bot.console.web import PREFIX, Console, Me, Page, audited, field, form_data, int_param, reading, redirect
from storage.models import ChannelIdentity, Customer
from storage.repositories import bookings
from storage.repositories import console as audit_repo
from storage.repositories import console_customers as customers
from storage.repositories import console_data as data
from storage.repositories import customers as customer_repo
from storage.repositories import labels as label_repo

EDITABLE = ("full_name", "birth_date", "gender", "phone", "email", "timezone", "locale", "contract_ends_on")


def _id(request: Request, name: str = "customer_id") -> int:
    return int(request.path_params[name])


async def search(console: Console, request: Request, me: Me) -> Response:
    q = request.query_params.get("q", "")[:100]
    async with reading(console.db) as s:
        found = await customer_repo.search_customers(s, q, phone=_as_phone(q))
    await audited(
        console.db, me, "customer.search", "customer", None, {"results": len(found), "query": bool(q.strip())}
    )
    return console.render("customers.html", me, active="customers", customers=found, q=q)


async def new_form(console: Console, request: Request, me: Me) -> Response:
    return console.render("customer_new.html", me, active="customers", values={}, error=None)


def _parse(form: Any) -> dict[str, Any]:
    def get(name: str) -> str:
        return field(form, name, 500)

    values = validate.customer_fields(get)
    if "treatment_history" in form:
        values["treatment_history"] = validate.text(
            field(form, "treatment_history", 8001), "treatment_history", limit=8000
        )
    values["no_show_count"] = validate.count(get("no_show_count"), "no_show_count")
    return values


async def create(console: Console, request: Request, me: Me) -> Response:
    form = await form_data(request)
    try:
        values = _parse(form)
    except validate.FieldError as exc:
        return console.render(
            "customer_new.html",
            me,
            status=400,
            active="customers",
            values={k: field(form, k, 500) for k in form},
            error=exc.message,
        )
    now = dt.datetime.now(dt.UTC)
    async with console.db.write() as s:
        customer = Customer(created_at=now, updated_at=now, **values)
        s.add(customer)
        await s.flush()
        audit_repo.audit(s, me.actor, "customer.create", "customer", customer.id, agent_id=me.agent_id)
    return redirect(f"{PREFIX}/customers/{customer.id}")


async def view(
    console: Console, request: Request, me: Me, *, error: str | None = None, status: int = 200
) -> Response:
    customer_id = _id(request)
    show_health = request.query_params.get("show") == "treatment"
    now = dt.datetime.now(dt.UTC)
    async with reading(console.db) as s:
        customer = await s.get(Customer, customer_id)
        if customer is None:
            return console.error(me, 404, N_("No such customer."))
        cards = [booking_card(b, now) for b in await bookings.of_customer(s, customer_id)]
        identities = await customers.identities_of(s, customer_id)
        conversations = await customers.conversations_of(s, [i.id for i in identities])
        requests = await customers.requests_of_customer(s, customer_id)
        unlinked = await customers.unlinked_identities(s, 30)
        plan = await data.erase_plan(s, customer_id)
        customer_notes = await label_repo.customer_notes(s, customer_id)
    action = "customer.view_treatment" if show_health else "customer.view"
    await audited(console.db, me, action, "customer", customer_id)
    return console.render(
        "customer.html",
        me,
        status=status,
        active="customers",
        customer=customer,
        cards=cards,
        identities=identities,
        conversations=conversations,
        requests=requests,
        unlinked=unlinked,
        show_health=show_health,
        plan=plan,
        default_mode=data.default_mode(plan),
        customer_notes=customer_notes,
        error=error,
    )


async def update(console: Console, request: Request, me: Me) -> Response:
    customer_id = _id(request)
    form = await form_data(request)
    try:
        values = _parse(form)
    except validate.FieldError as exc:
        return await view(console, request, me, error=exc.message, status=400)
    async with console.db.write() as s:
        customer = await s.get(Customer, customer_id)
        if customer is None:
            return console.error(me, 404, N_("No such customer."))
        if customer.anonymized_at is not None:
            return console.error(me, 409, N_("This customer's data was erased; it cannot be edited."))
        changed = [k for k, v in values.items() if getattr(customer, k) != v]
        for key in changed:
            setattr(customer, key, values[key])
        customer.updated_at = dt.datetime.now(dt.UTC)
        # Field names only: the audit log must not become a copy of the personal data.
        audit_repo.audit(
            s, me.actor, "customer.update", "customer", customer_id, {"fields": changed}, agent_id=me.agent_id
        )
    return redirect(f"{PREFIX}/customers/{customer_id}")


async def export(console: Console, request: Request, me: Me) -> Response:
    customer_id = _id(request)
    out = await dataops.export(console.db, customer_id, me.actor, me.agent_id)
    if out is None:
        return console.error(me, 404, N_("No such customer."))
    body = json.dumps(out, ensure_ascii=False, indent=2)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="customer-{customer_id}.json"'},
    )


async def erase(console: Console, request: Request, me: Me) -> Response:
    customer_id = _id(request)
    form = await form_data(request)
    mode = field(form, "mode", 10)
    if mode not in ("delete", "anonymize"):
        return console.error(me, 400, N_("Choose delete or anonymize."))
    if field(form, "confirm", 20) != str(customer_id):
        return console.error(me, 400, N_("Type the customer number to confirm."))
    item = await dataops.erase(
        console.db,
        customer_id,
        "delete" if mode == "delete" else "anonymize",
        me.actor,
        me.agent_id,
        store=ContentStore(console.settings),
    )
    if item is None:
        return console.error(me, 404, N_("No such customer."))
    await console.bus.publish("tickets", {"customer_id": customer_id})
    if mode == "delete":
        return redirect(f"{PREFIX}/customers")
    return redirect(f"{PREFIX}/customers/{customer_id}")


async def link(console: Console, request: Request, me: Me) -> Response:
    identity_id = _id(request, "identity_id")
    form = await form_data(request)
    target = field(form, "customer", 40)
    back = field(form, "back", 200)
    async with console.db.write() as s:
        identity = await s.get(ChannelIdentity, identity_id)
        if identity is None:
            return console.error(me, 404, N_("No such chat identity."))
        customer_id = int_param(target)
        if customer_id is None and target:
            booking = await bookings.by_reference(s, target)
            customer_id = booking.customer_id if booking else None
        customer = await s.get(Customer, customer_id) if customer_id else None
        if customer is None or customer.anonymized_at is not None:
            return console.error(me, 400, N_("No customer with that number or booking reference."))
        identity.customer_id, identity.linked_at = customer.id, dt.datetime.now(dt.UTC)
        audit_repo.audit(
            s,
            me.actor,
            "identity.link",
            "identity",
            identity_id,
            {"customer_id": customer.id},
            agent_id=me.agent_id,
        )
    return redirect(back if back.startswith(f"{PREFIX}/") else f"{PREFIX}/customers/{customer.id}")


async def unlink(console: Console, request: Request, me: Me) -> Response:
    identity_id = _id(request, "identity_id")
    form = await form_data(request)
    back = field(form, "back", 200)
    async with console.db.write() as s:
        identity = await s.get(ChannelIdentity, identity_id)
        if identity is None:
            return console.error(me, 404, N_("No such chat identity."))
        previous = identity.customer_id
        identity.customer_id, identity.linked_at = None, None
        audit_repo.audit(
            s,
            me.actor,
            "identity.unlink",
            "identity",
            identity_id,
            {"customer_id": previous},
            agent_id=me.agent_id,
        )
    return redirect(back if back.startswith(f"{PREFIX}/") else f"{PREFIX}/customers")


PAGES = [
    Page("/customers", search),
    Page("/customers/new", new_form),
    Page("/customers/new", create, ("POST",)),
    Page("/customers/{customer_id:int}", view),
    Page("/customers/{customer_id:int}", update, ("POST",)),
    Page("/customers/{customer_id:int}/export", export),
    Page("/customers/{customer_id:int}/erase", erase, ("POST",), role="admin"),
    Page("/identities/{identity_id:int}/link", link, ("POST",)),
    Page("/identities/{identity_id:int}/unlink", unlink, ("POST",)),
]


def _as_phone(q: str) -> str | None:
    """The search text as a stored phone number ("090-1234-5678" finds "+819012345678"), if it is one."""
    if sum(c.isdigit() for c in q) < 6:
        return None
    try:
        return validate.phone(q)
    except validate.FieldError:
        return None
