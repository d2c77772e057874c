"""Loads the read-only facts a dialog step sees (customer, bookings, settings texts)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.dialogs.base import BookingFact, CustomerFact, Facts
from storage.models import ChannelIdentity, Conversation, Customer
from storage.repositories import bookings as bookings_repo
from storage.repositories import texts


async def load_facts(
    session: AsyncSession, settings: Settings, identity: ChannelIdentity, conv: Conversation, locale: str
) -> Facts:
    customer: CustomerFact | None = None
    bookings: tuple[BookingFact, ...] = ()
    if identity.customer_id is not None:
        c = await session.get(Customer, identity.customer_id)
        if c is not None and c.anonymized_at is None:
            customer = CustomerFact(
                id=c.id,
                name=c.full_name,
                timezone=c.timezone,
                no_show_count=c.no_show_count,
                consent=identity.consent_at is not None or c.consent_at is not None,
            )
            rows = await bookings_repo.of_customer(session, c.id)
            waiting = await bookings_repo.cancellations_waiting(
                session, [b.id for b in rows if b.status == "confirmed"]
            )
            bookings = tuple(
                BookingFact(
                    id=b.id,
                    reference=b.reference,
                    kind=b.kind,
                    clinic=b.clinic,
                    service_at=b.service_at,
                    fee_total_jpy=b.fee_total_jpy,
                    requested_at=b.requested_at,
                    confirmed_at=b.confirmed_at,
                    status=b.status,
                    paid=b.paid_at is not None,
                    cancellation_requested_at=waiting.get(b.id),
                )
                for b in rows
            )
    instructions = await texts.text(session, "payment_instructions", locale)
    return Facts(
        channel=conv.channel,
        locale=locale,
        customer=customer,
        bookings=bookings,
        link_locked_until=conv.link_locked_until,
        consented=identity.consent_at is not None or (customer is not None and customer.consent),
        payment_instructions=instructions or settings.payment_instructions,
    )
