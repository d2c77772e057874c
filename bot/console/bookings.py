"""Bookings: list and search, create, edit, and import from CSV (all-or-nothing, with a per-row report)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from bot.console import csv_import, csv_text, import_progress, validate
from bot.console.cards import KINDS, STATUSES, booking_card
from bot.console.i18n import N_
from bot.console.web import (
    PREFIX,
    Console,
    Me,
    Page,
    audited,
    field,
    form_data,
    int_param,
    jst_input,
    reading,
    redirect,
)
from storage.models import Booking, Customer
from storage.repositories import bookings
from storage.repositories import console as audit_repo

FIELDS = (
    "reference",
    "clinic",
    "kind",
    "service_at",
    "fee_total_jpy",
    "requested_at",
    "confirmed_at",
    "status",
    "paid_at",
    "notes",
    "customer_id",
)


async def listing(console: Console, request: Request, me: Me) -> Response:
    q = request.query_params.get("q", "")[:100]
    status = request.query_params.get("status", "")
    status = status if status in STATUSES else ""
    now = dt.datetime.now(dt.UTC)
    async with reading(console.db) as s:
        found = await bookings.search(s, q, status)
    return console.render(
        "bookings.html",
        me,
        active="bookings",
        cards=[booking_card(b, now) for b in found],
        q=q,
        status_filter=status,
        statuses=STATUSES,
    )


def _values(booking: Booking | None) -> dict[str, str]:
    if booking is None:
        return {}
    return {
        "reference": booking.reference,
        "clinic": booking.clinic,
        "kind": booking.kind,
        "service_at": jst_input(booking.service_at),
        "fee_total_jpy": str(booking.fee_total_jpy or ""),
        "requested_at": jst_input(booking.requested_at),
        "confirmed_at": jst_input(booking.confirmed_at),
        "status": booking.status,
        "paid_at": jst_input(booking.paid_at),
        "notes": booking.notes or "",
        "customer_id": str(booking.customer_id or ""),
    }


def _form(
    console: Console,
    me: Me,
    booking: Booking | None,
    values: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> Response:
    return console.render(
        "booking.html",
        me,
        status=status,
        active="bookings",
        booking=booking,
        values=values,
        error=error,
        kinds=KINDS,
        statuses=STATUSES,
        card=booking_card(booking, dt.datetime.now(dt.UTC)) if booking else None,
    )


async def new_form(console: Console, request: Request, me: Me) -> Response:
    values = {"status": "confirmed", "customer_id": request.query_params.get("customer_id", "")[:20]}
    return _form(console, me, None, values)


async def view(console: Console, request: Request, me: Me) -> Response:
    booking_id = int(request.path_params["booking_id"])
    async with reading(console.db) as s:
        booking = await s.get(Booking, booking_id)
    if booking is None:
        return console.error(me, 404, N_("No such booking."))
    # Notes and the customer link are personal data too.
    await audited(console.db, me, "booking.view", "booking", booking_id)
    return _form(console, me, booking, _values(booking))


async def _parse(console: Console, form: Any) -> dict[str, Any]:
    values = validate.booking_fields(lambda name: field(form, name, 4001))
    raw_customer = field(form, "customer_id", 20)
    customer_id = int_param(raw_customer)
    if raw_customer and customer_id is None:
        raise validate.FieldError("customer_id", N_("not a customer number"))
    if customer_id is not None:
        async with reading(console.db) as s:
            customer = await s.get(Customer, customer_id)
        if customer is None or customer.anonymized_at is not None:
            raise validate.FieldError("customer_id", N_("no such customer"))
    values["customer_id"] = customer_id
    return values


async def save(console: Console, request: Request, me: Me) -> Response:
    booking_id = int_param(request.path_params.get("booking_id"))
    form = await form_data(request)
    raw = {k: field(form, k, 4001) for k in FIELDS}
    now = dt.datetime.now(dt.UTC)
    async with reading(console.db) as s:
        booking = await s.get(Booking, booking_id) if booking_id else None
    if booking_id and booking is None:
        return console.error(me, 404, N_("No such booking."))
    try:
        values = await _parse(console, form)
    except validate.FieldError as exc:
        return _form(console, me, booking, raw, exc.message, 400)
    async with console.db.write() as s:
        clash = await bookings.by_reference(s, values["reference"])
        if clash is not None and clash.id != booking_id:
            return _form(
                console,
                me,
                booking,
                raw,
                N_("reference: %(value)s is already used", value=values["reference"]),
                400,
            )
        if booking_id:
            stored = await s.get(Booking, booking_id)
            assert stored is not None
            changed = [k for k, v in values.items() if getattr(stored, k) != v]
            for key in changed:
                setattr(stored, key, values[key])
            stored.updated_at = now
            audit_repo.audit(
                s,
                me.actor,
                "booking.update",
                "booking",
                booking_id,
                {"fields": changed},
                agent_id=me.agent_id,
            )
        else:
            stored = Booking(created_at=now, updated_at=now, **values)
            s.add(stored)
            await s.flush()
            audit_repo.audit(
                s,
                me.actor,
                "booking.create",
                "booking",
                stored.id,
                {"customer_id": values["customer_id"]},
                agent_id=me.agent_id,
            )
        saved_id = stored.id
    return redirect(f"{PREFIX}/bookings/{saved_id}")


def _import_page(
    console: Console, me: Me, report: csv_import.ImportReport | None, encoding: str = "auto"
) -> Response:
    return console.render(
        "import.html",
        me,
        status=200 if report is None or report.ok else 400,
        active="bookings",
        report=report,
        columns=csv_import.REQUIRED,
        optional=csv_import.OPTIONAL,
        encodings=csv_text.ENCODINGS,
        encoding=encoding,
    )


async def import_form(console: Console, request: Request, me: Me) -> Response:
    return _import_page(console, me, None)


async def import_upload(console: Console, request: Request, me: Me) -> Response:
    form = await form_data(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return console.error(me, 400, N_("Choose a CSV file."))
    encoding = csv_text.choice(field(form, "encoding", 20))
    if encoding is None:
        return console.error(
            me, 400, N_("Choose the file's encoding: Automatic, UTF-8 or Shift_JIS (cp932).")
        )
    content = await upload.read(csv_import.MAX_BYTES + 1)
    report = await csv_import.import_bookings(
        console.db,
        content,
        update=field(form, "update", 5) == "on",
        encoding=encoding,
        actor=me.actor,
        agent_id=me.agent_id,
        progress=import_progress.tracker(field(form, "progress", 64), me.agent_id),
    )
    return _import_page(console, me, report, encoding)


PAGES = [
    Page("/bookings", listing),
    Page("/bookings/new", new_form),
    Page("/bookings/new", save, ("POST",)),
    Page("/bookings/import", import_form),
    Page("/bookings/import", import_upload, ("POST",)),
    Page("/bookings/{booking_id:int}", view),
    Page("/bookings/{booking_id:int}", save, ("POST",)),
]
