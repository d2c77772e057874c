"""Cancellations through the web chat: the fee explained with its numbers, one request however often
confirm is pressed, the surgery waiver."""

from __future__ import annotations

from bot.config import Settings
from storage.models import Request, Ticket
from tests.dialogs.webchat import chat, seed


async def test_cancelling_a_treatment_two_days_ahead_costs_half_the_fee(settings: Settings) -> None:
    ids = await seed(
        settings, ("CX-TREAT-2", "treatment", 2, 14, 40_000), ("CX-SURG-9", "surgery", 9, 10, 90_000)
    )
    async with chat(settings) as c:
        assert "How can I help you?" in c.text()
        await c.say("I want to cancel my booking")
        assert "Before I ask for any personal data" in c.text()
        await c.link("cx-treat-2")
        assert c.options() == [f"b{ids['CX-TREAT-2']}", f"b{ids['CX-SURG-9']}", "menu"]
        await c.press(f"b{ids['CX-TREAT-2']}")
        said = c.text()
        assert "Appointment: Treatment (CX-TREAT-2) at Shibuya Skin Clinic" in said
        assert "(JST)" in said and "(Taipei)" in said and "Asia/Taipei" not in said
        assert "You are cancelling 2 days before the appointment" in said
        assert "Rule: from 3 days before the appointment, the fee is 50% of the interpretation fee." in said
        assert "Cancellation fee: 50% of ¥40,000 = ¥20,000" in said
        confirm_token = c.token
        await c.press("confirm")
        assert "Your cancellation request has been sent" in c.text()
        await c.press("confirm", token=confirm_token)
        assert "That button belongs to an earlier message" in c.text()
        [request] = await c.requests()
        assert (request.kind, request.booking_id, request.fee_jpy) == (
            "cancellation",
            ids["CX-TREAT-2"],
            20_000,
        )
        assert request.details["fee"]["rule"] == "partial" and request.status == "filed"
        assert await c.count(Ticket, Ticket.request_id == request.id) == 1
        assert await c.mode() == "bot", "the bot carries on; an agent confirms with the clinic"


async def test_calling_off_a_surgery_the_day_before_waives_the_fee(settings: Settings) -> None:
    ids = await seed(settings, ("CX-SURG-1", "surgery", 1, 10, 120_000))
    async with chat(settings) as c:
        await c.press("cancellation")
        await c.link("CX-SURG-1")
        assert "Have you decided not to have the surgery at all?" in c.text()
        await c.press("called_off")
        said = c.text()
        assert "You are cancelling 1 day before the appointment" in said
        assert (
            "Rule: you have decided not to have the surgery itself, so the cancellation fee is waived."
            in said
        )
        assert "Cancellation fee: ¥0" in said
        await c.say("yes")
        [request] = await c.requests()
        assert request.fee_jpy == 0 and request.booking_id == ids["CX-SURG-1"]
        assert (
            request.details["surgery_called_off"] is True
            and request.details["fee"]["rule"] == "surgery_waiver"
        )


async def test_keeping_the_surgery_the_day_before_costs_the_whole_fee_and_declining_files_nothing(
    settings: Settings,
) -> None:
    await seed(settings, ("CX-SURG-1B", "surgery", 1, 10, 120_000))
    async with chat(settings) as c:
        await c.say("cancel")
        await c.link("CX-SURG-1B")
        await c.press("this_only")
        assert "Cancellation fee: 100% of ¥120,000 = ¥120,000" in c.text()
        await c.press("keep")
        assert "your booking stays as it is" in c.text() and "How can I help you?" in c.text()
        assert await c.count(Request) == 0


async def test_the_first_fee_summary_after_linking_shows_the_customers_own_time(settings: Settings) -> None:
    """Regression: the summary in the same event as the link was rendered with the zone from before it
    (none), so the customer's time only appeared when the fee was shown again."""
    await seed(settings, ("CX-ONE-TZ", "treatment", 2, 14, 40_000))
    async with chat(settings) as c:
        await c.say("I want to cancel my booking")
        await c.link("CX-ONE-TZ")
        said = c.text()
        assert "Cancellation fee: 50% of ¥40,000 = ¥20,000" in said
        assert "(JST)" in said and "(Taipei)" in said
