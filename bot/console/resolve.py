"""Resolving a ticket with an outcome: the booking and request updated, the customer told in their own
language, and the conversation handed back to the bot (mode `bot`, the menu)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from bot import modes
from bot.console import team as team_panel
from bot.console.i18n import N_
from bot.console.validate import in_calendar
from bot.console.web import PREFIX, Console, Me, Page, field, form_data, int_param, redirect
from bot.i18n import JST, Msg, When, Yen, msg
from bot.policy import cancellation_fee
from storage.models import Booking, ChannelIdentity, Conversation, Customer, Ticket
from storage.models import Request as FiledRequest
from storage.repositories import console as audit_repo
from storage.repositories.conversations import add_transcript

OUTCOMES = {
    "done": N_("Done (no booking change)"),
    "cancel_confirm": N_("Cancellation confirmed"),
    "cancel_decline": N_("Cancellation declined"),
    "change_confirm": N_("Change confirmed"),
    "change_decline": N_("Change declined"),
    "no_show": N_("No-show recorded"),
    "data_closed": N_("Data request closed"),
}
NEEDS_BOOKING = ("cancel_confirm", "cancel_decline", "change_confirm", "change_decline", "no_show")


class Invalid(Exception):
    pass


@dataclass
class Resolution:
    outcome: str
    notice: Msg
    detail: dict[str, Any]


def default_fee(booking: Booking, filed: FiledRequest | None, now: dt.datetime) -> int | None:
    """The fee the rules give for this cancellation, counted from when the customer asked."""
    if filed is not None and filed.fee_jpy is not None:
        return filed.fee_jpy
    if booking.fee_total_jpy is None:
        return None
    fee = cancellation_fee(booking.service_at, filed.requested_at if filed else now, booking.fee_total_jpy)
    return fee.fee_jpy


def parse_jst(value: str) -> dt.datetime:
    """A datetime-local value (JST wall time) from the form."""
    try:
        naive = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(N_("Give the new date and time (JST).")) from None
    at = naive if naive.tzinfo is not None else naive.replace(tzinfo=JST)
    if not in_calendar(at):
        raise Invalid(N_("Give the new date and time (JST)."))
    return at


async def _booking(
    s: AsyncSession, form: Any, filed: FiledRequest | None, customer_id: int | None
) -> Booking:
    booking_id = filed.booking_id if filed and filed.booking_id else int_param(field(form, "booking_id", 20))
    booking = await s.get(Booking, booking_id) if booking_id else None
    if booking is None:
        raise Invalid(N_("Choose the booking this outcome is about."))
    if filed is None or filed.booking_id != booking.id:
        # A booking picked by hand must be this customer's.
        if customer_id is None or booking.customer_id != customer_id:
            raise Invalid(N_("That booking does not belong to this customer."))
    return booking


async def apply_outcome(
    s: AsyncSession,
    form: Any,
    ticket: Ticket,
    filed: FiledRequest | None,
    customer_id: int | None,
    now: dt.datetime,
) -> Resolution:
    outcome = field(form, "outcome", 32)
    if outcome not in OUTCOMES:
        raise Invalid(N_("Choose an outcome."))
    reason = field(form, "reason", 2000)
    detail: dict[str, Any] = {"outcome": outcome, "request_id": filed.id if filed else None}
    result: dict[str, Any] = {"result": outcome, "at": now.isoformat()}
    booking = await _booking(s, form, filed, customer_id) if outcome in NEEDS_BOOKING else None
    if booking is not None:
        detail["booking_id"] = booking.id
    status, notice = "closed", _closing_notice(outcome)
    if outcome == "cancel_confirm":
        assert booking is not None
        fee, waive = _fee_charged(form, booking, filed, now, reason)
        booking.status, status = "cancelled", "confirmed"
        detail.update(fee_jpy=fee, waived=waive)
        result.update(fee_jpy=fee, waived=waive)
        if filed is not None:
            filed.fee_jpy = fee
        notice = _cancellation_notice(booking, fee, waive)
    elif outcome in ("cancel_decline", "change_decline"):
        assert booking is not None
        if not reason:
            raise Invalid(N_("Say why (the customer sees your message above; this reason stays internal)."))
        status, notice = "declined", _declined_notice(outcome, booking)
    elif outcome == "change_confirm":
        assert booking is not None
        new_at = parse_jst(field(form, "new_at", 40))
        result["previous_service_at"] = booking.service_at.isoformat()
        result["new_service_at"] = new_at.isoformat()
        booking.service_at, booking.updated_at, status = new_at, now, "confirmed"
        notice = msg(
            "Your booking {reference} has been changed to {when}.",
            reference=booking.reference,
            when=When(new_at),
        )
    elif outcome == "no_show":
        assert booking is not None
        notice = await _record_no_show(s, booking)
    if reason:
        result["reason"] = reason
    if filed is not None:
        filed.status, filed.resolved_at, filed.outcome = status, now, result
    return Resolution(outcome, notice, detail)


def _fee_charged(
    form: Any, booking: Booking, filed: FiledRequest | None, now: dt.datetime, reason: str
) -> tuple[int, bool]:
    """The cancellation fee the agent confirms (waived, typed, or the rules' own), and whether waived."""
    waive = field(form, "fee_mode", 10) == "waive"
    if waive and not reason:
        raise Invalid(N_("Say why the fee is waived."))
    fee = 0 if waive else int_param(field(form, "fee_jpy", 12))
    if fee is None:
        fee = default_fee(booking, filed, now)
    if fee is None or fee < 0 or (booking.fee_total_jpy is not None and fee > booking.fee_total_jpy):
        raise Invalid(N_("Give the fee charged in whole yen (at most the interpretation fee total)."))
    return fee, waive


def _cancellation_notice(booking: Booking, fee: int, waive: bool) -> Msg:
    when = When(booking.service_at)
    if waive:
        return msg(
            "Your cancellation of booking {reference} on {when} is confirmed. "
            "The cancellation fee has been waived.",
            reference=booking.reference,
            when=when,
        )
    if fee == 0:
        return msg(
            "Your cancellation of booking {reference} on {when} is confirmed. There is no cancellation fee.",
            reference=booking.reference,
            when=when,
        )
    return msg(
        "Your cancellation of booking {reference} on {when} is confirmed. The cancellation fee is {fee}.",
        reference=booking.reference,
        when=when,
        fee=Yen(fee),
    )


def _declined_notice(outcome: str, booking: Booking) -> Msg:
    if outcome == "cancel_decline":
        return msg(
            "We could not confirm the cancellation of booking {reference} as requested. "
            "Please see our team's message above, and ask us here if anything is unclear.",
            reference=booking.reference,
        )
    return msg(
        "We could not change booking {reference} as requested. "
        "Please see our team's message above, and ask us here if anything is unclear.",
        reference=booking.reference,
    )


async def _record_no_show(s: AsyncSession, booking: Booking) -> Msg:
    booking.status = "no_show"
    if booking.customer_id is not None:
        customer = await s.get(Customer, booking.customer_id)
        if customer is not None:
            customer.no_show_count += 1
    return msg(
        "We have recorded that the appointment for booking {reference} on {when} was missed. "
        "If you would like a new appointment, please tell us here.",
        reference=booking.reference,
        when=When(booking.service_at),
    )


def _closing_notice(outcome: str) -> Msg:
    if outcome == "data_closed":
        return msg("Your request about your personal data has been completed. Thank you for your patience.")
    return msg(
        "Thank you for waiting. Our team has finished helping you, and I am here again if you "
        "need anything else."
    )


async def resolve(console: Console, request: Request, me: Me) -> Response:
    ticket_id = int(request.path_params["ticket_id"])
    form = await form_data(request)
    now = dt.datetime.now(dt.UTC)
    try:
        async with console.db.write() as s:
            ticket = await s.get(Ticket, ticket_id)
            if ticket is None:
                return console.error(me, 404, N_("No such ticket."))
            if ticket.status != "claimed" or (ticket.claimed_by != me.agent_id and not me.is_admin):
                return console.error(me, 409, N_("Claim this ticket before resolving it."))
            filed = await s.get(FiledRequest, ticket.request_id) if ticket.request_id else None
            customer_id = await _customer_of(s, ticket.conversation_id)
            resolution = await apply_outcome(s, form, ticket, filed, customer_id, now)
            try:
                resolved = await modes.resolve(
                    s, ticket_id, None if me.is_admin else me.agent_id, resolution.outcome, now
                )
            except modes.Changed:
                # bot/modes.py says it in English for every caller; the agent reads it in their language.
                raise Invalid(N_("This ticket changed hands meanwhile; reload the page.")) from None
            conv_id = resolved.conversation_id
            if conv_id is not None:
                add_transcript(
                    s,
                    conv_id,
                    "system",
                    f"Resolved by {me.name}: {OUTCOMES[resolution.outcome]}",
                    agent_id=me.agent_id,
                )
            audit_repo.audit(
                s, me.actor, "ticket.resolve", "ticket", ticket_id, resolution.detail, agent_id=me.agent_id
            )
            # The hand-back commits with the resolution: never a resolved ticket with a silent bot.
            publish = await _hand_back(console, s, conv_id, resolution.notice, resolved.survey_id)
            # A place freed: the round robin may hand a waiting ticket on (auto mode only).
            assigned = await team_panel.offer_waiting(s, console, now)
    except Invalid as exc:
        return console.error(me, 400, exc.args[0])
    for topic, payload in publish:
        await console.bus.publish(topic, payload)
    await console.bus.publish("tickets", {"ticket_id": ticket_id})
    await team_panel.publish_assigned(console, assigned)
    return redirect(f"{PREFIX}/conversations/{conv_id}" if conv_id else f"{PREFIX}/")


async def _hand_back(
    console: Console, s: AsyncSession, conv_id: int | None, notice: Msg, survey: int | None
) -> list[tuple[str, dict[str, Any]]]:
    if conv_id is None:
        return []
    try:
        return await console.engine.hand_back_in(s, conv_id, notice, survey=survey)
    except LookupError:  # the conversation was erased meanwhile: nobody left to tell
        return []


async def _customer_of(s: AsyncSession, conversation_id: int | None) -> int | None:
    if conversation_id is None:
        return None
    conv = await s.get(Conversation, conversation_id)
    identity = await s.get(ChannelIdentity, conv.identity_id) if conv and conv.identity_id else None
    return identity.customer_id if identity else None


PAGES = [Page("/tickets/{ticket_id:int}/resolve", resolve, ("POST",))]
