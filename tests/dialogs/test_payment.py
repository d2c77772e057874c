from __future__ import annotations

from bot.dialogs import registry
from bot.dialogs.base import Done, Facts, Frame, Push, Transition
from bot.dialogs.payment import how_to_pay
from bot.i18n import Translator
from tests.dialogs.edges import Edges
from tests.dialogs.support import bk, ctx, facts, start, text_of

E = Edges("payment")
D = registry.get("payment")
# Requested today (4 March), confirmed tomorrow; the appointment within a week of the request: 3 days.
SHORT = bk("treatment", 6, id=61, reference="BK-SHORT", fee=40_000, requested_days=0, confirmed_days=1)
# Requested 20 days ago, confirmed 19 days ago, appointment in 10 days: 7 days, already past.
LONG = bk("surgery", 10, id=62, reference="BK-LONG", fee=120_000, requested_days=-20, confirmed_days=-19)
PAID = bk("treatment", 12, id=63, reference="BK-PAID", paid=True)
UNKNOWN = bk(
    "online_consultation", 20, id=64, reference="BK-NEW", fee=None, requested_days=-1, confirmed_days=0
)


def resume(f: Facts, result: dict[str, object]) -> Transition:
    return D.resume(Frame("payment", "identity", {}), result, ctx("x", f))


@E("start", "not linked")
def _not_linked() -> Transition:
    t = start("payment", facts(linked=False))
    assert isinstance(t.next, Push)
    return t


@E("start", "linked: due dates, amounts, how to pay")
def _linked() -> Transition:
    t = start("payment", facts(SHORT, LONG, PAID, UNKNOWN))
    said = text_of(t.replies)
    assert "Treatment, Mar 10, 2026 (BK-SHORT): ¥40,000, due by Mar 8, 2026" in said
    assert "(3 days after the clinic confirmed the booking)" in said
    assert "(BK-LONG): ¥120,000, was due by Feb 20, 2026" in said
    assert "(BK-PAID): paid, thank you." in said
    assert "(BK-NEW): amount to be confirmed, due by Mar 11, 2026" in said
    assert said.endswith("How to pay:\nPay by bank transfer to account 123.")
    assert isinstance(t.next, Done) and t.effects == ()
    return t


@E("identity", "linked: due dates, amounts, how to pay")
def _l_linked() -> Transition:
    t = resume(facts(), {"linked": True})
    assert "no upcoming bookings" in text_of(t.replies)
    return t


@E("identity", "not linked: the general rule, how to pay")
def _l_unlinked() -> Transition:
    t = resume(facts(linked=False), {"linked": False, "declined": True})
    said = text_of(t.replies)
    assert "within 1 week" in said and "within 3 days" in said and "How to pay" in said
    return t


@E("identity", "locked")
def _l_locked() -> Transition:
    t = resume(facts(linked=False), {"linked": False, "locked": True})
    assert t.replies == ()
    return t


test_transition = E.test()


def test_instructions_are_shown_verbatim_and_missing_ones_are_ours_in_the_customers_language() -> None:
    odd = "Bank: {not a placeholder} 100% <b>"
    t = start("payment", facts(SHORT, instructions=odd))
    assert text_of(t.replies).endswith(odd)
    t = start("payment", facts(SHORT, instructions=None))
    assert "by bank transfer to the account in your booking confirmation e-mail" in text_of(t.replies)
    korean = Translator("ko").render(how_to_pay(ctx("", facts(SHORT, instructions=None))).text)
    assert "계좌이체" in korean and "bank transfer" not in korean


def test_a_booking_not_yet_confirmed_by_the_clinic_has_no_due_date_yet() -> None:
    from dataclasses import replace

    pending = replace(SHORT, confirmed_at=None)
    assert "the due date is set once the clinic has confirmed" in text_of(
        start("payment", facts(pending)).replies
    )
