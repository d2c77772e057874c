"""Importing bookings from CSV: every row validated first, a reason for each bad row (then nothing is
written), and only then the rows written, a chunk per transaction so the import never holds up the
chats and webhooks that write meanwhile.

Columns (header row required, any order): reference, clinic, kind, service_at are required;
fee_total_jpy, requested_at, confirmed_at, status, paid_at, notes and the customer's customer_email,
customer_name, customer_birth_date, customer_gender, customer_phone, customer_timezone,
customer_locale, customer_contract_ends_on are optional. Times without a UTC offset are JST.
A customer is matched by e-mail (created when new; an existing customer's data is left as it is).
The file is UTF-8 (with or without a BOM) or Shift_JIS (cp932), detected or chosen (bot/console/csv_text.py);
phone numbers are stored in E.164 (bot/console/validate.py).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console import csv_text, validate
from bot.console.i18n import N_
from bot.console.web import reading
from storage.db import Database
from storage.repositories import console as audit_repo
from storage.repositories import console_data as data_repo

REQUIRED = ("reference", "clinic", "kind", "service_at")
OPTIONAL = (
    "fee_total_jpy",
    "requested_at",
    "confirmed_at",
    "status",
    "paid_at",
    "notes",
    "customer_email",
    "customer_name",
    "customer_birth_date",
    "customer_gender",
    "customer_phone",
    "customer_timezone",
    "customer_locale",
    "customer_contract_ends_on",
)
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000
# Rows read or written between two turns of the event loop (each chunk holds it some tens of ms), and
# the pause after each: long enough for a request to be read, handled and answered (that takes several
# passes of the loop; `sleep(0)` would give it only one per chunk).
CHUNK = 200
PAUSE = 0.01
# progress(phase, done, total): "checking" then "writing" rows, then "done".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # the line in the file (the header is line 1); 0 for the file as a whole
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    customers_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    encoding: str = ""  # how the file was read, as the user would name it ("Shift_JIS (cp932)")

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if not self.ok:
            return N_(
                "%(problems)s problem(s) in %(rows)s row(s): nothing was imported",
                problems=len(self.errors),
                rows=self.rows,
            )
        return N_(
            "imported %(rows)s row(s): %(created)s booking(s) created, %(updated)s updated, "
            "%(customers)s customer(s) created (the file was read as %(encoding)s)",
            rows=self.rows,
            created=self.created,
            updated=self.updated,
            customers=self.customers_created,
            encoding=self.encoding,
        )


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    booking: dict[str, Any]
    customer_email: str | None
    customer: dict[str, Any]


def parse(data: bytes, encoding: str = "auto") -> tuple[list[Row], ImportReport]:
    report = ImportReport()
    if len(data) > MAX_BYTES:
        report.errors.append(
            RowError(0, N_("the file is larger than %(n)s MB", n=MAX_BYTES // (1024 * 1024)))
        )
        return [], report
    decoded = csv_text.decode(data, encoding)
    if decoded.text is None:
        report.errors.append(RowError(decoded.line, decoded.reason))
        return [], report
    report.encoding = decoded.label
    content = decoded.text
    reader = csv.DictReader(io.StringIO(content, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c and c not in REQUIRED + OPTIONAL]
    if missing:
        report.errors.append(RowError(1, N_("missing column(s): %(columns)s", columns=", ".join(missing))))
    if unknown:
        report.errors.append(
            RowError(1, N_("unknown column(s): %(columns)s", columns=", ".join(unknown[:10])[:300]))
        )
    if report.errors:
        return [], report
    rows: list[Row] = []
    seen: dict[str, int] = {}
    try:
        for record in reader:
            line = reader.line_num
            report.rows += 1
            if report.rows > MAX_ROWS:
                report.errors.append(RowError(line, N_("more than %(n)s rows: split the file", n=MAX_ROWS)))
                break
            if None in record:
                report.errors.append(RowError(line, N_("more values than columns")))
                continue
            row = _row(line, record, report)
            if row is None:
                continue
            ref = row.booking["reference"]
            if ref in seen:
                report.errors.append(
                    RowError(line, N_("reference %(ref)s is also on line %(line)s", ref=ref, line=seen[ref]))
                )
                continue
            seen[ref] = line
            rows.append(row)
    except csv.Error as exc:
        report.errors.append(RowError(reader.line_num, N_("not valid CSV (%(why)s)", why=str(exc))))
    return rows, report


def _row(line: int, record: dict[str, Any], report: ImportReport) -> Row | None:
    def get(name: str) -> str:
        value = record.get(name)
        return value if isinstance(value, str) else ""

    try:
        booking = validate.booking_fields(get)
        customer = validate.customer_fields(get, "customer_")
    except validate.FieldError as exc:
        report.errors.append(RowError(line, exc.message))
        return None
    email = customer.pop("email")
    if email is None and any(v is not None for v in customer.values()):
        report.errors.append(
            RowError(line, N_("customer_email: required when other customer columns are given"))
        )
        return None
    return Row(line, booking, email, customer)


async def import_bookings(
    db: Database,
    data: bytes,
    *,
    update: bool = False,
    encoding: str = "auto",
    actor: str = "cli",
    agent_id: int | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validates every row (any error: nothing written), then writes them CHUNK rows per transaction.

    The event loop is never held for long: the file is parsed in a worker thread (Python hands the
    loop its turn every few milliseconds), and the database is read and written a chunk at a time,
    giving way to other requests between chunks.
    """
    tell = progress or _silent
    tell("checking", 0, 0)
    rows, report = await asyncio.to_thread(parse, data, encoding)
    if not report.ok:
        return report
    chunks = [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]
    if not update:
        await _refuse_existing(db, chunks, report, tell)
        if not report.ok:
            return report
    try:
        await _write(db, chunks, report, tell)
    except IntegrityError:
        written = report.created + report.updated
        report.errors.append(
            RowError(
                0,
                N_(
                    "another change to the same bookings happened meanwhile: %(n)s row(s) were imported, "
                    "the rest were not; import the file again with update to finish",
                    n=written,
                ),
            )
        )
    async with db.write() as s:
        audit = {
            "created": report.created,
            "updated": report.updated,
            "customers_created": report.customers_created,
        }
        audit_repo.audit(s, actor, "bookings.import", "booking", None, audit, agent_id=agent_id)
    tell("done", len(rows), len(rows))
    return report


def _silent(phase: str, done: int, total: int) -> None:
    return None


async def _refuse_existing(
    db: Database, chunks: list[list[Row]], report: ImportReport, tell: Progress
) -> None:
    """Without `update`, a reference already in the database is an error on its line."""
    total, done = sum(len(c) for c in chunks), 0
    for chunk in chunks:
        async with reading(db) as s:
            found = await data_repo.bookings_by_references(s, [r.booking["reference"] for r in chunk])
        for row in chunk:
            if row.booking["reference"].strip().upper() in found:
                report.errors.append(
                    RowError(
                        row.line,
                        N_(
                            "reference %(ref)s already exists (import with update to change existing bookings)",
                            ref=row.booking["reference"],
                        ),
                    )
                )
        done += len(chunk)
        tell("checking", done, total)
        await asyncio.sleep(PAUSE)  # other requests' turn


async def _write(db: Database, chunks: list[list[Row]], report: ImportReport, tell: Progress) -> None:
    """One transaction per chunk: other requests' writes (a chat, a webhook) take their turn between
    chunks instead of waiting for the whole import. Every row was validated before the first chunk, so
    only a concurrent change to the same bookings can stop it half-way (and the report says how far).
    """
    now = dt.datetime.now(dt.UTC)
    total, done = sum(len(c) for c in chunks), 0
    customer_ids: dict[str, int] = {}
    for chunk in chunks:
        async with db.write() as s:
            done += await _write_chunk(s, chunk, customer_ids, now, report)
        tell("writing", done, total)
        await asyncio.sleep(PAUSE)  # other requests' turn


async def _write_chunk(
    s: AsyncSession, chunk: list[Row], customer_ids: dict[str, int], now: dt.datetime, report: ImportReport
) -> int:
    """Writes one chunk; customer ids are remembered only once their chunk is committed."""
    fresh_ids = await _customers(s, chunk, customer_ids, now, report)
    ids = {**customer_ids, **fresh_ids}
    existing = await data_repo.bookings_by_references(s, [r.booking["reference"] for r in chunk])
    new, changed = [], []
    for row in chunk:
        values = {**row.booking, "updated_at": now}
        if row.customer_email:
            values["customer_id"] = ids[row.customer_email.strip().lower()]
        booking = existing.get(row.booking["reference"].strip().upper())
        if booking is None:
            new.append({**values, "created_at": now})
        else:
            changed.append({**values, "id": booking.id})
    await data_repo.insert_bookings(s, new)
    await data_repo.update_bookings(s, changed)
    customer_ids.update(fresh_ids)
    report.created += len(new)
    report.updated += len(changed)
    return len(chunk)


async def _customers(
    s: AsyncSession, chunk: list[Row], known: dict[str, int], now: dt.datetime, report: ImportReport
) -> dict[str, int]:
    """The ids of this chunk's customers not yet known: found by e-mail, else created."""
    wanted = {r.customer_email.strip().lower() for r in chunk if r.customer_email} - known.keys()
    found = {k: c.id for k, c in (await data_repo.customers_by_emails(s, sorted(wanted))).items()}
    fresh: dict[str, dict[str, Any]] = {}
    for row in chunk:
        key = (row.customer_email or "").strip().lower()
        if key in wanted and key not in found and key not in fresh:
            fresh[key] = {
                "email": row.customer_email,
                "no_show_count": 0,
                "created_at": now,
                "updated_at": now,
                **row.customer,
            }
    report.customers_created += len(fresh)
    return {**found, **await data_repo.insert_customers(s, list(fresh.values()))}
