"""Every dialog by name. A flow listed in FLOWS appears in the menu, in this order."""

from __future__ import annotations

from bot.dialogs.base import Dialog
from bot.dialogs.menu import MenuDialog

MENU = MenuDialog()

DIALOGS: dict[str, Dialog] = {d.name: d for d in (MENU,)}

# Flows offered in the menu, in order (each dialog has a `menu_label`).
FLOWS: tuple[str, ...] = ()


def get(name: str) -> Dialog:
    return DIALOGS[name]
