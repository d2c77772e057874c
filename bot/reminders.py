"""Reminders, in the customer's language and channel, each sent once (bot.scheduler runs them).

* The day before an appointment, at `settings.reminder_time` (JST): the time in JST and the customer's
  zone, the clinic, and buttons that enter the late-arrival, change and cancellation flows directly
  (their option ids are flow names: the menu starts a flow for a ChoiceIn naming one).
* Two days before a payment deadline (bot.policy.payment_due), if the booking is not marked paid.

Never for a booking that is no longer confirmed, never to an unreachable identity. The reminder goes
to the customer's most recently active conversation that can still be reached.

A job's key holds the date it is about ("reminder:appointment:<booking>:<service date>"): a booking
moved to another day gets a new job, and the old one finds the date changed and skips.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import policy
from bot.config import Settings
from bot.dialogs.common import kind_label
from bot.dialogs.menu import human_option
from bot.engine import Engine
from bot.i18n import JST, Msg, When, Yen, msg
from bot.replies import Choices, Option, Reply
from bot.scheduler import Handler, JobRun, Permanent
from storage.db import Database
from storage.models import Booking
from storage.repositories import reminders as repo
from storage.repositories.jobs import Planned

log = logging.getLogger(__name__)

APPOINTMENT = "reminder.appointment"
PAYMENT = "reminder.payment"
PAYMENT_DAYS_BEFORE = 2
# The options of each reminder: also how a retried job recognises a reminder it already wrote.
APPOINTMENT_OPTIONS = ("late_arrival", "booking_change", "cancellation")
PAYMENT_OPTIONS = ("payment", "human")


def jst_day(at: dt.datetime) -> dt.date:
    return at.astimezone(JST).date()


def at_jst(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=JST).astimezone(dt.UTC)


class Reminders:
    def __init__(self, engine: Engine, settings: Settings, db: Database | None = None) -> None:
        self.engine, self.settings = engine, settings
        self.db = db or engine.db

    def handlers(self) -> dict[str, Handler]:
        return {APPOINTMENT: self.appointment, PAYMENT: self.payment}

    # -- planning ----------------------------------------------------------------------------------
    async def plan(self, session: AsyncSession, now: dt.datetime) -> list[Planned]:
        """The reminder jobs due today or tomorrow (JST); planned a day early so a restart loses none."""
        today = jst_day(now)
        time = self.settings.reminder_time
        planned: list[Planned] = []
        horizon = at_jst(today + dt.timedelta(days=3), dt.time(0))
        for b in await repo.appointments_between(session, now, horizon):
            day = jst_day(b.service_at)
            remind_on = day - dt.timedelta(days=1)
            if remind_on < today:
                continue  # the appointment is today: "tomorrow" is past
            planned.append(
                Planned(
                    f"reminder:appointment:{b.id}:{day.isoformat()}",
                    APPOINTMENT,
                    at_jst(remind_on, time),
                    {"booking_id": b.id, "day": day.isoformat()},
                )
            )
        for b in await repo.unpaid_confirmed_since(session, now - dt.timedelta(days=8)):
            due = _due_date(b)
            if due is None:
                continue
            remind_on = due - dt.timedelta(days=PAYMENT_DAYS_BEFORE)
            if not today <= remind_on <= today + dt.timedelta(days=1):
                continue
            planned.append(
                Planned(
                    f"reminder:payment:{b.id}:{due.isoformat()}",
                    PAYMENT,
                    at_jst(remind_on, time),
                    {"booking_id": b.id, "due": due.isoformat()},
                )
            )
        return planned

    # -- running -----------------------------------------------------------------------------------
    async def appointment(self, run: JobRun) -> str:
        day = _date(run.job.data, "day")
        async with self.db.read() as s:
            b = await repo.booking(s, _booking_id(run.job.data))
            why = _not_for(b)
            if why is None and b is not None:
                if jst_day(b.service_at) != day:
                    why = "skipped: booking moved"
                elif jst_day(run.now) > day - dt.timedelta(days=1) or run.now >= b.service_at:
                    why = "skipped: too late"
        if why is not None or b is None:
            return why or "skipped: no booking"
        prompt = msg(
            "Reminder for tomorrow: {kind} at {clinic}, {when} (booking {reference}). "
            "If anything has changed, tell us here:",
            kind=kind_label(b.kind),
            clinic=b.clinic,
            when=When(b.service_at),
            reference=b.reference,
        )
        options = (
            Option("late_arrival", msg("I'll be late")),
            Option("booking_change", msg("I need to change")),
            Option("cancellation", msg("I need to cancel")),
        )
        return await self._send(run, b, [Choices(prompt, options)], APPOINTMENT_OPTIONS)

    async def payment(self, run: JobRun) -> str:
        due = _date(run.job.data, "due")
        async with self.db.read() as s:
            b = await repo.booking(s, _booking_id(run.job.data))
            why = _not_for(b)
            if why is None and b is not None:
                if b.paid_at is not None:
                    why = "skipped: paid"
                elif _due_date(b) != due:
                    why = "skipped: due date changed"
                elif jst_day(run.now) > due:
                    why = "skipped: too late"
        if why is not None or b is None:
            return why or "skipped: no booking"
        amount: Yen | Msg = (
            Yen(b.fee_total_jpy) if b.fee_total_jpy is not None else msg("amount to be confirmed")
        )
        prompt = msg(
            "Reminder: payment for your booking {reference} ({kind} at {clinic} on {date}) is due by {due}, "
            "end of the day Japan time. Amount: {amount}. If you have already paid, thank you, and please "
            "ignore this message.",
            reference=b.reference,
            kind=kind_label(b.kind),
            clinic=b.clinic,
            date=When(b.service_at, date_only=True),
            due=due,
            amount=amount,
        )
        options = (Option("payment", msg("How to pay")), human_option())
        return await self._send(run, b, [Choices(prompt, options)], PAYMENT_OPTIONS)

    async def _send(self, run: JobRun, b: Booking, replies: list[Reply], marker: tuple[str, ...]) -> str:
        if b.customer_id is None:
            return "skipped: no customer"
        data: dict[str, Any] = dict(run.job.data)
        async with self.db.read() as s:
            conversation_id = await repo.reachable_conversation(s, b.customer_id)
            if conversation_id is None:
                return "skipped: no reachable conversation"
            if data.get("conversation_id") is not None and run.job.attempts > 1:
                # An earlier attempt got this far and its process died: did its reminder get written?
                earlier = await repo.reminders_after(
                    s, int(data["conversation_id"]), int(data["outbox_floor"])
                )
                if any(_is_this_reminder(p, b.reference, marker) for p in earlier):
                    return "sent (by an earlier attempt)"
            floor = await repo.last_outbox_id(s, conversation_id)
        if not await run.save({**data, "conversation_id": conversation_id, "outbox_floor": floor}):
            raise Permanent("claim lost")  # another process has the job now
        outbox_id = await self.engine.send_proactive(conversation_id, replies, source="reminder")
        if outbox_id is None:
            return "skipped: unreachable"
        log.info("reminder written", extra={"job": run.job.key, "outbox_id": outbox_id})
        return f"sent (outbox {outbox_id})"


def _not_for(b: Booking | None) -> str | None:
    if b is None:
        return "skipped: booking gone"
    if b.status != "confirmed":
        return f"skipped: booking {b.status}"[:60]
    if b.customer_id is None:
        return "skipped: no customer"
    return None


def _due_date(b: Booking) -> dt.date | None:
    if b.requested_at is None or b.confirmed_at is None:
        return None
    return policy.payment_due(b.requested_at, b.confirmed_at, b.service_at).due_date


def _booking_id(data: dict[str, Any]) -> int:
    try:
        return int(data["booking_id"])
    except (KeyError, TypeError, ValueError):
        raise Permanent("job without a booking id") from None


def _date(data: dict[str, Any], name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(data[name]))
    except (KeyError, ValueError):
        raise Permanent(f"job without a valid {name}") from None


def _is_this_reminder(payload: dict[str, Any], reference: str, marker: tuple[str, ...]) -> bool:
    for m in payload.get("messages", ()):
        ids = tuple(o.get("id") for o in m.get("options", ()))
        if ids == marker and reference in str(m.get("text", "")):
            return True
    return False
