"""Payment through the web chat: each upcoming booking's due date (RULES.md §3) and amount, then how
to pay — the admins' text, verbatim."""

from __future__ import annotations

import datetime as dt

from bot.config import Settings
from bot.i18n import JST
from storage.db import Database
from storage.models import Booking
from tests.dialogs.webchat import chat, jst_today, seed


async def test_due_dates_amounts_and_how_to_pay(settings: Settings) -> None:
    ids = await seed(
        settings, ("PY-SOON", "treatment", 5, 14, 40_000), ("PY-LATER", "surgery", 30, 10, 150_000)
    )
    # PY-SOON was requested today and confirmed today: the appointment is within a week, so 3 days.
    now = dt.datetime.now(JST)
    db = Database(settings.database_url)
    try:
        async with db.write() as s:
            soon = await s.get(Booking, ids["PY-SOON"])
            assert soon is not None
            soon.requested_at = soon.confirmed_at = now
    finally:
        await db.dispose()
    async with chat(settings) as c:
        await c.say("how do I pay?")
        await c.link("PY-LATER")
        said = c.text()
        today = jst_today()
        assert "Payment for your upcoming bookings:" in said
        assert (
            "(PY-SOON): ¥40,000, due by" in said and "(3 days after the clinic confirmed the booking)" in said
        )
        assert f"{(today + dt.timedelta(days=3)):%b} {(today + dt.timedelta(days=3)).day}," in said
        assert "(PY-LATER): ¥150,000, was due by" in said, "confirmed 19 days ago with a 7-day deadline"
        assert (
            "How to pay:\nPlease pay by bank transfer to the account in your booking confirmation e-mail"
            in said
        )
        assert "How can I help you?" in said
