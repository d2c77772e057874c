"""A conversation in the console: the page, the live transcript, replies, notes, resolving, linking."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.events import ChoiceIn, FollowIn
from storage.models import (
    AuditEntry,
    Booking,
    ChannelIdentity,
    Conversation,
    Customer,
    OutboxMessage,
    Request,
    Ticket,
    TranscriptMessage,
)
from storage.repositories.tickets import open_ticket
from tests.console.support import Running, add_agent, count, link, running, seed_customer
from tests.console.test_queue import sse_events
from tests.support.collecting import event
from tests.support.wait import eventually

JST = ZoneInfo("Asia/Tokyo")


async def filed(
    app: Running, user: str, kind: str = "cancellation", days_out: int = 2
) -> tuple[int, int, int, int]:
    """A linked customer whose chat filed a request: (conversation, ticket, booking, customer)."""
    now = dt.datetime.now(dt.UTC)
    customer_id, (booking_id,) = await seed_customer(
        app.db, email=f"{user}@example.com", service_at=now + dt.timedelta(days=days_out)
    )
    result = await app.engine.handle(event(user, FollowIn(), locale_hint="en"))
    conv_id = result.conversation_id
    assert conv_id is not None
    await link(app.db, "webchat", user, customer_id)
    async with app.db.write() as s:
        request = Request(
            conversation_id=conv_id,
            customer_id=customer_id,
            booking_id=booking_id,
            kind=kind,
            status="filed",
            details={"reason": "schedule"},
            dedupe_key=f"{conv_id}:{kind}:1",
            requested_at=now,
            created_at=now,
        )
        s.add(request)
        await s.flush()
        ticket = await open_ticket(s, conv_id, kind, "normal", "The customer asks to cancel.", request.id)
        conv = await s.get(Conversation, conv_id)
        assert conv is not None
        conv.mode = "queued"
        ticket_id = ticket.id
    return conv_id, ticket_id, booking_id, customer_id


async def texts_to(app: Running, conv_id: int) -> list[str]:
    async with app.db.read() as s:
        rows = (
            await s.execute(
                select(OutboxMessage)
                .where(OutboxMessage.conversation_id == conv_id)
                .order_by(OutboxMessage.id)
            )
        ).scalars()
        return [m["text"] for row in rows for m in row.payload["messages"]]


async def test_the_page_shows_the_card_with_todays_fee_and_deadline_and_is_audited(
    console_settings: Settings,
) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        conv_id, ticket_id, _, customer_id = await filed(app, "carol")
        page = await ann.client.get(f"/console/conversations/{conv_id}")
        assert page.status_code == 200
        html = page.text
        assert "Li Wei" in html and "Ginza Clinic" in html
        assert "¥15,000 (50%, 2 days before)" in html  # RULES §2 on today's JST date
        assert "(3-day)" in html and "overdue" in html  # RULES §3: within a week of the request
        assert "The customer asks to cancel." in html and "cancellation" in html
        assert f"Ticket #{ticket_id}" in html and "Claim" in html
        async with app.db.read() as s:
            entry = (
                await s.execute(select(AuditEntry).where(AuditEntry.action == "conversation.view"))
            ).scalar_one()
        assert entry.target_id == str(conv_id) and entry.detail == {"customer_id": customer_id}
        assert entry.actor == "agent:ann@agency.example"


async def test_reply_needs_the_claim_then_goes_out_through_the_outbox(console_settings: Settings) -> None:
    async with running(console_settings) as app:
        ann_id = await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        conv_id, ticket_id, _, _ = await filed(app, "dave")
        reply = f"/console/conversations/{conv_id}/reply"
        early = await ann.post_json(reply, {"text": "Hello"})
        assert early.status_code == 409
        assert (await ann.post_json(f"/console/tickets/{ticket_id}/claim")).status_code == 200
        assert (await ann.post_json(reply, {"text": "   "})).status_code == 400
        too_long = "x" * (app.settings.max_message_chars + 1)
        assert (await ann.post_json(reply, {"text": too_long})).status_code == 413
        sent = await ann.post_json(reply, {"text": "Hello, this is Ann from the agency."})
        assert sent.status_code == 200
        outbox_id = sent.json()["outbox_id"]

        async def delivered() -> bool:
            async with app.db.read() as s:
                row = await s.get(OutboxMessage, outbox_id, populate_existing=True)
                return row is not None and row.status == "sent"

        await eventually(delivered)
        async with app.db.read() as s:
            row = await s.get(OutboxMessage, outbox_id)
            entry = (
                await s.execute(select(TranscriptMessage).where(TranscriptMessage.outbox_id == outbox_id))
            ).scalar_one()
        assert row is not None and row.source == "agent"
        assert (entry.author, entry.agent_id, entry.text) == (
            "agent",
            ann_id,
            "Hello, this is Ann from the agency.",
        )
        assert await count(app.db, AuditEntry, AuditEntry.action == "conversation.reply") == 1


async def test_an_internal_note_is_never_sent(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        conv_id, _, _, _ = await filed(app, "erin")
        rows = await count(app.db, OutboxMessage)
        assert (
            await ann.post_json(f"/console/conversations/{conv_id}/note", {"text": "VIP, be gentle"})
        ).is_success
        assert await count(app.db, OutboxMessage) == rows
        assert await count(app.db, TranscriptMessage, TranscriptMessage.author == "note") == 1


async def test_the_transcript_streams_live_with_delivery_state(console_settings: Settings) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        conv_id, ticket_id, _, _ = await filed(app, "fred")
        assert (await ann.post_json(f"/console/tickets/{ticket_id}/claim")).status_code == 200
        async with ann.client.stream("GET", f"/console/api/conversations/{conv_id}/stream") as stream:
            events = sse_events(stream)
            seen: dict[str, object] = {}
            await app.engine.handle(event("fred", "I need to cancel, my flight moved"))
            await ann.post_json(f"/console/conversations/{conv_id}/reply", {"text": "Let me check that."})

            async def until_sent() -> None:
                state: dict[int, str] = {}
                async for name, data in events:
                    if name == "transcript":
                        for e in data["entries"]:
                            seen[e["author"] + ":" + e["text"]] = e
                            if e["outbox_id"]:
                                state[e["outbox_id"]] = e["delivery"]
                    if name == "delivery":
                        state.update({int(k): v for k, v in data["states"].items()})
                    if name == "ticket":
                        seen["ticket"] = data
                    if "sent" in state.values():
                        return

            await asyncio.wait_for(until_sent(), 30)
        assert await count(app.db, AuditEntry, AuditEntry.action == "conversation.stream") == 1
        assert "customer:I need to cancel, my flight moved" in seen
        assert "agent:Let me check that." in seen
        assert seen["ticket"] == {  # the ticket as this agent sees it
            "id": ticket_id,
            "status": "claimed",
            "priority": "normal",
            "reason": "Cancellation to confirm",
            "claimed_by": "Ann",
            "mine": True,
            "mode": "agent",
        }


async def resolve(app: Running, email: str, ticket_id: int, form: dict[str, str]) -> int:
    s = await app.login(email)
    return (await s.post(f"/console/tickets/{ticket_id}/resolve", form)).status_code


async def test_confirming_a_cancellation_charges_the_rule_fee_tells_the_customer_and_hands_back(
    console_settings: Settings,
) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        conv_id, ticket_id, booking_id, _ = await filed(app, "gina")
        assert (await ann.post_json(f"/console/tickets/{ticket_id}/claim")).status_code == 200
        status = await resolve(
            app, "ann@agency.example", ticket_id, {"outcome": "cancel_confirm", "fee_mode": "charge"}
        )
        assert status == 303
        async with app.db.read() as s:
            booking = await s.get(Booking, booking_id)
            ticket = await s.get(Ticket, ticket_id)
            request = (await s.execute(select(Request))).scalar_one()
            conv = await s.get(Conversation, conv_id)
        assert booking is not None and ticket is not None and conv is not None
        assert booking.status == "cancelled"
        assert (ticket.status, ticket.outcome) == ("resolved", "cancel_confirm")
        assert (request.status, request.fee_jpy, request.outcome["waived"]) == ("confirmed", 15000, False)  # type: ignore[index]
        assert conv.mode == "bot"
        texts = await texts_to(app, conv_id)
        assert any(
            t.startswith(f"Your cancellation of booking {booking.reference} on ")
            and t.endswith("is confirmed. The cancellation fee is ¥15,000.")
            for t in texts
        ), texts
        # The bot has it again: its first words are the satisfaction question (bot.dialogs.csat).
        assert texts[-1].startswith("How satisfied are you with the help you received")
        before = await count(app.db, OutboxMessage, OutboxMessage.source == "bot")
        await app.engine.handle(event("gina", ChoiceIn("human")))
        assert await count(app.db, OutboxMessage, OutboxMessage.source == "bot") == before + 1


async def test_a_waiver_needs_a_reason(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        conv_id, ticket_id, booking_id, _ = await filed(app, "hugo")
        await ann.post_json(f"/console/tickets/{ticket_id}/claim")
        assert (
            await resolve(
                app, "ann@agency.example", ticket_id, {"outcome": "cancel_confirm", "fee_mode": "waive"}
            )
            == 400
        )
        async with app.db.read() as s:
            booking = await s.get(Booking, booking_id)
            ticket = await s.get(Ticket, ticket_id)
        assert booking is not None and ticket is not None
        assert (booking.status, ticket.status) == ("confirmed", "claimed")  # nothing half-done
        form = {"outcome": "cancel_confirm", "fee_mode": "waive", "reason": "hospitalised, doctor's note"}
        assert await resolve(app, "ann@agency.example", ticket_id, form) == 303
        texts = await texts_to(app, conv_id)
        assert any(t.endswith("is confirmed. The cancellation fee has been waived.") for t in texts)
        async with app.db.read() as s:
            entry = (
                await s.execute(select(AuditEntry).where(AuditEntry.action == "ticket.resolve"))
            ).scalar_one()
        assert entry.detail == {
            "outcome": "cancel_confirm",
            "request_id": 1,
            "booking_id": booking_id,
            "fee_jpy": 0,
            "waived": True,
        }  # codes and ids only: no free text in the audit log


async def test_confirming_a_change_moves_the_booking(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        conv_id, ticket_id, booking_id, _ = await filed(app, "ivy", kind="change")
        await ann.post_json(f"/console/tickets/{ticket_id}/claim")
        form = {"outcome": "change_confirm", "new_at": "2027-01-05T14:30"}
        assert await resolve(app, "ann@agency.example", ticket_id, form) == 303
        async with app.db.read() as s:
            booking = await s.get(Booking, booking_id)
        assert booking is not None
        assert booking.service_at == dt.datetime(2027, 1, 5, 14, 30, tzinfo=JST)
        texts = await texts_to(app, conv_id)
        assert any(t.startswith(f"Your booking {booking.reference} has been changed to ") for t in texts)


async def test_a_no_show_counts_and_a_decline_needs_a_reason(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        _, ticket_id, booking_id, customer_id = await filed(app, "jack", kind="late")
        await ann.post_json(f"/console/tickets/{ticket_id}/claim")
        assert await resolve(app, "ann@agency.example", ticket_id, {"outcome": "cancel_decline"}) == 400
        assert await resolve(app, "ann@agency.example", ticket_id, {"outcome": "no_show"}) == 303
        async with app.db.read() as s:
            customer = await s.get(Customer, customer_id)
            booking = await s.get(Booking, booking_id)
        assert customer is not None and booking is not None
        assert (customer.no_show_count, booking.status) == (1, "no_show")


async def test_only_the_holder_resolves(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        await add_agent(app.db, "ben@agency.example", "Ben")
        ann = await app.login("ann@agency.example")
        _, ticket_id, _, _ = await filed(app, "kim", kind="data")
        await ann.post_json(f"/console/tickets/{ticket_id}/claim")
        assert await resolve(app, "ben@agency.example", ticket_id, {"outcome": "data_closed"}) == 409
        assert await resolve(app, "ann@agency.example", ticket_id, {"outcome": "data_closed"}) == 303
        async with app.db.read() as s:
            request = (await s.execute(select(Request))).scalar_one()
        assert request.status == "closed"


async def test_a_failed_hand_back_after_resolve_leaves_no_agent_owned_conversation_without_a_ticket(
    console_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bug: resolve committed, then the hand-back failed: mode `agent`, no ticket, a silent bot.

    Resolve and hand back are one transaction now: when composing the hand-back fails, the ticket is
    still claimed by its agent and the conversation still theirs; resolving again then works.
    """
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        conv_id, ticket_id, _, _ = await filed(app, "lou", kind="data")
        assert (await ann.post_json(f"/console/tickets/{ticket_id}/claim")).status_code == 200
        sent_before = await texts_to(app, conv_id)

        async def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("the outbox could not be written")

        with monkeypatch.context() as patch:
            patch.setattr(app.engine, "_proactive", broken)
            assert await resolve(app, "ann@agency.example", ticket_id, {"outcome": "data_closed"}) == 500
        async with app.db.read() as s:
            ticket = await s.get(Ticket, ticket_id)
            conv = await s.get(Conversation, conv_id)
            request = (await s.execute(select(Request))).scalar_one()
        assert ticket is not None and conv is not None
        assert (ticket.status, conv.mode, request.status) == ("claimed", "agent", "filed")
        assert await texts_to(app, conv_id) == sent_before

        assert await resolve(app, "ann@agency.example", ticket_id, {"outcome": "data_closed"}) == 303
        async with app.db.read() as s:
            ticket = await s.get(Ticket, ticket_id)
            conv = await s.get(Conversation, conv_id)
        assert ticket is not None and conv is not None
        assert (ticket.status, conv.mode) == ("resolved", "bot")
        assert (await texts_to(app, conv_id))[-1].startswith("How satisfied are you")


async def test_take_over_link_and_unlink(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        customer_id, _ = await seed_customer(app.db)
        conv_id = (await app.engine.handle(event("lee", FollowIn()))).conversation_id
        async with app.db.read() as s:
            identity = (await s.execute(select(ChannelIdentity))).scalar_one()
        back = f"/console/conversations/{conv_id}"
        linked = await ann.post(
            f"/console/identities/{identity.id}/link", {"customer": f"BK-{customer_id}-0", "back": back}
        )
        assert linked.status_code == 303 and linked.headers["location"] == back
        assert "Li Wei" in (await ann.client.get(back)).text
        assert (await ann.post(f"/console/conversations/{conv_id}/take")).status_code == 303
        async with app.db.read() as s:
            ticket = (await s.execute(select(Ticket))).scalar_one()
            conv = await s.get(Conversation, conv_id)
        assert conv is not None and (ticket.reason, ticket.status, conv.mode) == ("agent", "claimed", "agent")
        assert (
            await ann.post(f"/console/identities/{identity.id}/unlink", {"back": back})
        ).status_code == 303
        assert "not linked to a customer" in (await ann.client.get(back)).text
        actions = {"identity.link", "identity.unlink", "ticket.take"}
        assert await count(app.db, AuditEntry, AuditEntry.action.in_(actions)) == 3


async def test_an_agent_can_retry_a_dead_letter_once(sqlite_settings: Settings) -> None:
    from bot.ops.housekeeping import RETRY_DEAD
    from storage.models import Job

    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        conv_id, _, _, _ = await filed(app, "dora")
        async with app.db.write() as s:
            row = (
                (await s.execute(select(OutboxMessage).where(OutboxMessage.conversation_id == conv_id)))
                .scalars()
                .first()
            )
            assert row is not None
            row.status, row.last_error = "dead", "400 bad request"
            outbox_id = row.id
        path = f"/console/conversations/{conv_id}/retry/{outbox_id}"
        assert (await ann.post_json(path)).is_success
        assert (await ann.post_json(path)).is_success  # a second press queues nothing more
        assert await count(app.db, Job, Job.kind == RETRY_DEAD) == 1
        assert await count(app.db, AuditEntry, AuditEntry.action == "outbox.retry") == 2
        assert (await ann.client.post(path)).status_code == 403  # no CSRF token
