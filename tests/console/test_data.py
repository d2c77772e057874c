"""Bookings CSV import, data export, erasing and the retention purge — through the CLI and the console."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bus import Bus
from bot.cli import main
from bot.config import Settings
from bot.engine import Engine
from bot.events import FollowIn
from storage.db import Database
from storage.models import AuditEntry, Booking, ChannelIdentity, Conversation, Customer, TranscriptMessage
from tests.console.support import add_agent, count, link, running, seed_customer
from tests.support.collecting import event

GOOD = """reference,clinic,kind,service_at,fee_total_jpy,requested_at,confirmed_at,customer_email,customer_name,customer_locale
bk-100,Ginza Clinic,surgery,2027-02-01 10:00,30000,2027-01-02 09:00,2027-01-03 12:00,ana@example.com,Ana Souza,en
BK-101,Shibuya Skin,online_consultation,2027-02-03T15:30+09:00,8000,,,ana@example.com,,
BK-102,Ginza Clinic,treatment,2027-02-05 09:00,,,,,,
"""

BAD = """reference,clinic,kind,service_at,fee_total_jpy,customer_email,customer_birth_date
BK-200,Ginza Clinic,surgery,2027-02-01 10:00,30000,bo@example.com,1990-01-01
BK-201,Ginza Clinic,massage,2027-02-01 10:00,30000,,
BK-202,,surgery,2027-02-01 10:00,30000,,
BK-203,Ginza Clinic,surgery,next tuesday,30000,,
BK-204,Ginza Clinic,surgery,2027-02-01 10:00,thirty,,
BK-200,Ginza Clinic,surgery,2027-02-01 10:00,30000,,
BK-205,Ginza Clinic,surgery,2027-02-01 10:00,30000,not-an-email,
BK-206,Ginza Clinic,surgery,2027-02-01 10:00,30000,,1990-13-01
"""


def cli(*args: str) -> int:
    return main(list(args))


async def bookings(db: Database) -> list[Booking]:
    async with db.read() as s:
        return list((await s.execute(select(Booking).order_by(Booking.reference))).scalars())


def test_cli_import_of_a_good_file(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bookings.csv"
    path.write_text(GOOD, encoding="utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    assert cli("bookings", "import", str(path), "--database-url", sqlite_url) == 0
    assert "3 booking(s) created, 0 updated, 1 customer(s) created" in capsys.readouterr().out

    async def check() -> None:
        db = Database(sqlite_url)
        try:
            rows = await bookings(db)
            assert [b.reference for b in rows] == ["BK-100", "BK-101", "BK-102"]
            assert rows[0].service_at == dt.datetime(2027, 2, 1, 1, 0, tzinfo=dt.UTC)  # 10:00 JST
            assert rows[0].customer_id == rows[1].customer_id is not None and rows[2].customer_id is None
            async with db.read() as s:
                customer = await s.get(Customer, rows[0].customer_id)
                assert customer is not None and (customer.full_name, customer.locale) == ("Ana Souza", "en")
                entry = (await s.execute(select(AuditEntry))).scalar_one()
                assert (entry.actor, entry.action, entry.detail) == (
                    "cli",
                    "bookings.import",
                    {"created": 3, "updated": 0, "customers_created": 1},
                )
        finally:
            await db.dispose()

    asyncio.run(check())
    # The same file again: every reference exists, nothing changes unless --update.
    assert cli("bookings", "import", str(path), "--database-url", sqlite_url) == 1
    assert "already exists" in capsys.readouterr().err
    assert cli("bookings", "import", str(path), "--update", "--database-url", sqlite_url) == 0
    assert "0 booking(s) created, 3 updated" in capsys.readouterr().out


def test_cli_import_with_bad_rows_reports_each_and_imports_nothing(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    assert cli("bookings", "import", str(path), "--database-url", sqlite_url) == 1
    err = capsys.readouterr().err
    expected = [
        "line 3: kind: must be one of",
        "line 4: clinic: required",
        "line 5: service_at: not a date and time: 'next tuesday'",
        "line 6: fee_total_jpy: not a whole number of yen: 'thirty'",
        "line 7: reference BK-200 is also on line 2",
        "line 8: customer_email: not an e-mail address",
        "line 9: customer_birth_date: not a date: '1990-13-01'",
        "7 problem(s) in 8 row(s): nothing was imported",
    ]
    for line in expected:
        assert line in err, (line, err)

    async def nothing() -> None:
        db = Database(sqlite_url)
        try:
            assert await count(db, Booking) == 0 and await count(db, Customer) == 0  # not even row 2
        finally:
            await db.dispose()

    asyncio.run(nothing())


def test_cli_import_refuses_a_wrong_header_and_a_missing_file(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("reference,clinic,kind,servce_at\nBK-1,A,surgery,2027-01-01 10:00\n", encoding="utf-8")
    assert cli("bookings", "import", str(path), "--database-url", sqlite_url) == 1
    err = capsys.readouterr().err
    assert "missing column(s): service_at" in err and "unknown column(s): servce_at" in err
    assert cli("bookings", "import", str(tmp_path / "nope.csv"), "--database-url", sqlite_url) == 2
    path.write_bytes("reference\n\xff\xfe".encode("latin-1"))
    assert cli("bookings", "import", str(path), "--database-url", sqlite_url) == 1
    assert "odd.csv: line 2: the file is neither UTF-8 nor Shift_JIS (cp932)" in capsys.readouterr().err


async def test_the_upload_form_reports_bad_rows_and_imports_nothing(console_settings: Settings) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        files = {"file": ("bad.csv", BAD.encode(), "text/csv")}
        bad = await ann.client.post("/console/bookings/import", data={"csrf": ann.csrf}, files=files)
        assert bad.status_code == 400
        assert "8行中に7件の問題があるため、何も取り込まれませんでした" in bad.text
        assert "予約番号 BK-200 は2行目にもあります" in bad.text
        assert await count(app.db, Booking) == 0
        files = {"file": ("good.csv", GOOD.encode(), "text/csv")}
        good = await ann.client.post("/console/bookings/import", data={"csrf": ann.csrf}, files=files)
        assert good.status_code == 200 and "予約の新規作成3件" in good.text
        assert await count(app.db, Booking) == 3
        without_csrf = await ann.client.post("/console/bookings/import", files=files)
        assert without_csrf.status_code == 403


async def test_bookings_and_customers_are_created_and_edited_in_the_console(
    sqlite_settings: Settings,
) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        created = await ann.post(
            "/console/customers/new",
            {
                "full_name": "Minh Tran",
                "email": "minh@example.com",
                "locale": "vi",
                "timezone": "Asia/Ho_Chi_Minh",
            },
        )
        assert created.status_code == 303
        customer_path = created.headers["location"]
        customer_id = customer_path.rsplit("/", 1)[1]
        booking = {
            "reference": "vn-7",
            "customer_id": customer_id,
            "clinic": "Omotesando",
            "kind": "consultation",
            "service_at": "2027-03-01T11:00",
            "fee_total_jpy": "12000",
            "status": "confirmed",
        }
        made = await ann.post("/console/bookings/new", booking)
        assert made.status_code == 303
        edit = await ann.post(made.headers["location"], {**booking, "clinic": "Omotesando Annex"})
        assert edit.status_code == 303
        clash = await ann.post("/console/bookings/new", booking)
        assert clash.status_code == 400 and "予約番号：VN-7 は既に使われています" in clash.text
        wrong = await ann.post("/console/bookings/new", {**booking, "reference": "x", "kind": "spa"})
        assert wrong.status_code == 400
        found = await ann.client.get("/console/customers", params={"q": "vn-7"})
        assert "Minh Tran" in found.text
        listing = await ann.client.get("/console/bookings", params={"q": "annex"})
        assert "VN-7" in listing.text
        update = await ann.post(
            customer_path, {"full_name": "Tran Minh", "email": "minh@example.com", "no_show_count": "1"}
        )
        assert update.status_code == 303
        async with app.db.read() as s:
            entry = (
                await s.execute(select(AuditEntry).where(AuditEntry.action == "customer.update"))
            ).scalar_one()
        assert entry.detail == {"fields": ["full_name", "timezone", "locale", "no_show_count"]}
        actions = [
            "customer.create",
            "booking.create",
            "booking.update",
            "customer.search",
            "customer.update",
        ]
        for action in actions:
            assert await count(app.db, AuditEntry, AuditEntry.action == action) >= 1, action


async def test_export_is_audited_and_holds_the_customers_data(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        customer_id, _ = await seed_customer(app.db)
        await app.engine.handle(event("mona", "hello there"))
        await link(app.db, "webchat", "mona", customer_id)
        response = await ann.client.get(f"/console/customers/{customer_id}/export")
        assert response.status_code == 200
        assert (
            response.headers["content-disposition"] == f'attachment; filename="customer-{customer_id}.json"'
        )
        data = json.loads(response.text)
        assert (
            data["customer"]["full_name"] == "Li Wei"
            and data["customer"]["treatment_history"] == "rhinoplasty 2021"
        )
        assert data["bookings"][0]["clinic"] == "Ginza Clinic"
        assert data["identities"][0]["user_id"] == "mona"
        assert "hello there" in [m["text"] for m in data["conversations"][0]["messages"]]
        assert await count(app.db, AuditEntry, AuditEntry.action == "customer.export") == 1


async def test_an_admin_erases_a_customer_and_the_audit_entry_stays(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "root@agency.example", "Root", "admin")
        root = await app.login("root@agency.example")
        customer_id, (booking_id,) = await seed_customer(app.db)
        await app.engine.handle(event("nina", "my phone is +81 90 0000 0000"))
        await link(app.db, "webchat", "nina", customer_id)
        wrong = await root.post(
            f"/console/customers/{customer_id}/erase", {"mode": "anonymize", "confirm": "9999"}
        )
        assert wrong.status_code == 400
        done = await root.post(
            f"/console/customers/{customer_id}/erase", {"mode": "anonymize", "confirm": str(customer_id)}
        )
        assert done.status_code == 303
        async with app.db.read() as s:
            customer = await s.get(Customer, customer_id)
            booking = await s.get(Booking, booking_id)
            entry = (
                await s.execute(select(AuditEntry).where(AuditEntry.action == "customer.erase"))
            ).scalar_one()
        assert customer is not None and booking is not None
        assert (customer.full_name, customer.email, customer.phone, customer.treatment_history) == (None,) * 4
        assert customer.anonymized_at is not None
        assert (booking.customer_id, booking.fee_total_jpy, booking.notes) == (customer_id, 30000, None)
        assert await count(app.db, TranscriptMessage) == 0 and await count(app.db, ChannelIdentity) == 0
        assert entry.detail == {
            "mode": "anonymize",
            "identities": 1,
            "conversations": 1,
            "bookings": 1,
            "requests": 0,
            "attachments": 0,
        }


def test_purge_dry_run_lists_then_purge_erases_and_the_audit_stays(
    sqlite_url: str, settings_for: Callable[..., Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    async def seed() -> tuple[int, int, int]:
        db = Database(sqlite_url)
        try:
            ended, _ = await seed_customer(db, email="old@example.com", contract_ends_on=dt.date(2025, 3, 31))
            nobook, _ = await seed_customer(
                db, email="brief@example.com", contract_ends_on=dt.date(2025, 1, 31), bookings=0
            )
            current, _ = await seed_customer(
                db, email="new@example.com", contract_ends_on=dt.date(2027, 3, 31)
            )
            engine = Engine(db, settings_for(sqlite_url), Bus())
            await engine.handle(event("old-chat", FollowIn()))
            await link(db, "webchat", "old-chat", ended)
            return ended, nobook, current
        finally:
            await db.dispose()

    ended, nobook, current = asyncio.run(seed())
    assert cli("purge", "--ended-before", "2026-01-01", "--dry-run", "--database-url", sqlite_url) == 0
    out = capsys.readouterr().out
    assert (
        f"customer {ended} (contract ended 2025-03-31): would anonymize — 1 chat(s), 1 conversation(s), "
        "1 booking(s), 0 request(s)" in out
    )
    assert f"customer {nobook} (contract ended 2025-01-31): would delete" in out
    assert f"customer {current} " not in out and "Li Wei" not in out  # numbers only, no names
    assert "2 customer(s) would be erased" in out

    async def state() -> tuple[list[Customer], int, list[AuditEntry]]:
        db = Database(sqlite_url)
        try:
            async with db.read() as s:
                customers = list((await s.execute(select(Customer).order_by(Customer.id))).scalars())
                audit = list((await s.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars())
            return customers, await count(db, Conversation), audit
        finally:
            await db.dispose()

    customers, conversations, _ = asyncio.run(state())
    assert [c.full_name for c in customers] == [
        "Li Wei"
    ] * 3 and conversations == 1  # the dry run changed nothing

    assert cli("purge", "--ended-before", "2026-01-01", "--database-url", sqlite_url) == 0
    assert "2 customer(s) erased" in capsys.readouterr().out
    customers, conversations, audit = asyncio.run(state())
    assert [(c.id, c.full_name, c.anonymized_at is not None) for c in customers] == [
        (ended, None, True),
        (current, "Li Wei", False),
    ]
    assert conversations == 0
    purged = sorted((e.target_id or "", e.actor) for e in audit if e.action == "customer.purge")
    assert purged == sorted([(str(nobook), "cli"), (str(ended), "cli")])
    assert [e.action for e in audit if e.action.startswith("purge.")] == ["purge.dry_run", "purge.run"]
    # Run again: nothing left to purge.
    assert cli("purge", "--ended-before", "2026-01-01", "--database-url", sqlite_url) == 0
    assert "0 customer(s) erased" in capsys.readouterr().out
    assert cli("purge", "--ended-before", "soon", "--database-url", sqlite_url) == 2


async def test_a_phone_typed_as_the_customer_wrote_it_finds_the_stored_e164_number(
    sqlite_settings: Settings,
) -> None:
    """Regression: phones are stored in E.164, so searching "090-1234-5678" found nobody."""
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        customer_id, _ = await seed_customer(app.db, name="Sato Hanako")
        async with app.db.write() as s:
            customer = await s.get(Customer, customer_id)
            assert customer is not None
            customer.phone = "+819012345678"
        for typed in ("090-1234-5678", "+81 90 1234 5678", "０９０１２３４５６７８"):
            page = await ann.client.get("/console/customers", params={"q": typed})
            assert page.status_code == 200 and "Sato Hanako" in page.text, typed
        nobody = await ann.client.get("/console/customers", params={"q": "090-9999-0000"})
        assert "Sato Hanako" not in nobody.text
