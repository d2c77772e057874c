"""`serve --demo`: a demo customer with upcoming bookings, so every flow can be tried at once."""

from __future__ import annotations

import datetime as dt

from bot.config import Settings
from bot.i18n import JST
from storage.db import Database
from storage.models import Booking, Customer
from storage.repositories import bookings

DEMO_BIRTH_DATE = dt.date(1990, 4, 1)
DEMO_REFERENCES = ("DEMO-SURGERY", "DEMO-TREATMENT", "DEMO-ONLINE")


async def seed_demo(settings: Settings, now: dt.datetime | None = None) -> str:
    """Create (or move forward) the demo bookings; returns what to type to link in the chat."""
    now = now or dt.datetime.now(dt.UTC)
    today = now.astimezone(JST).date()

    def at(days: int, hour: int) -> dt.datetime:
        return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour), JST)

    plan = {
        "DEMO-SURGERY": ("surgery", "Ginza Aesthetic Surgery Clinic", at(2, 10), 120_000),
        "DEMO-TREATMENT": ("treatment", "Shibuya Skin Clinic", at(10, 14), 40_000),
        "DEMO-ONLINE": ("online_consultation", "Omotesando Beauty Clinic (online)", at(1, 11), 8_000),
    }
    db = Database(settings.database_url)
    try:
        async with db.write() as s:
            existing = await bookings.by_references(s, list(plan))
            customer_id = next((b.customer_id for b in existing if b.customer_id), None)
            if customer_id is None:
                customer = Customer(
                    full_name="Demo Customer",
                    birth_date=DEMO_BIRTH_DATE,
                    timezone="Asia/Taipei",
                    locale="en",
                    email="demo@example.com",
                    no_show_count=0,
                    contract_ends_on=today.replace(year=today.year + 1),
                )
                s.add(customer)
                await s.flush()
                customer_id = customer.id
            by_ref = {b.reference: b for b in existing}
            for ref, (kind, clinic, when, fee) in plan.items():
                b = by_ref.get(ref) or Booking(reference=ref)
                b.customer_id, b.kind, b.clinic, b.service_at, b.fee_total_jpy = (
                    customer_id,
                    kind,
                    clinic,
                    when,
                    fee,
                )
                b.status = "confirmed"
                b.requested_at = now - dt.timedelta(days=3)
                b.confirmed_at = now - dt.timedelta(days=2)
                if ref not in by_ref:
                    s.add(b)
    finally:
        await db.dispose()
    return (
        "Demo data: link the chat with booking reference DEMO-TREATMENT and date of birth "
        f"{DEMO_BIRTH_DATE.isoformat()} (bookings: surgery in 2 days, treatment in 10 days, online consultation tomorrow)."
    )
