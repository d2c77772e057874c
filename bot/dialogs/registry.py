"""Every dialog by name. A flow listed in FLOWS appears in the menu, in this order."""

from __future__ import annotations

from bot.dialogs.base import Dialog
from bot.dialogs.booking_change import BookingChangeDialog
from bot.dialogs.cancellation import CancellationDialog
from bot.dialogs.csat import CsatDialog
from bot.dialogs.identity import IdentityDialog
from bot.dialogs.language import LanguageDialog
from bot.dialogs.late_arrival import LateArrivalDialog
from bot.dialogs.menu import MenuDialog
from bot.dialogs.payment import PaymentDialog
from bot.dialogs.privacy import PrivacyDialog
from bot.dialogs.special_circumstance import SpecialCircumstanceDialog

MENU = MenuDialog()

DIALOGS: dict[str, Dialog] = {
    d.name: d
    for d in (
        MENU,
        CancellationDialog(),
        BookingChangeDialog(),
        LateArrivalDialog(),
        SpecialCircumstanceDialog(),
        PaymentDialog(),
        PrivacyDialog(),
        IdentityDialog(),
        LanguageDialog(),
        CsatDialog(),
    )
}

# Flows offered in the menu, in order (each dialog has a `menu_label` and the `intents` it serves).
FLOWS: tuple[str, ...] = (
    "cancellation",
    "booking_change",
    "late_arrival",
    "special_circumstance",
    "payment",
    "privacy",
)


def get(name: str) -> Dialog:
    return DIALOGS[name]
