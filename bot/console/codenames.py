"""Names of the stored codes the console shows (a booking's status, a ticket's, a role…), marked for the
console's catalogs: a template writes ``{{ named("booking_status", b.status) }}`` and the agent reads it
in their language. An unknown code is shown as it is, so a new value never breaks a page."""

from __future__ import annotations

from bot.console.i18n import N_, Text

LABELS: dict[str, dict[str, Text]] = {
    "booking_status": {
        "confirmed": N_("confirmed"),
        "cancelled": N_("cancelled"),
        "completed": N_("completed"),
        "no_show": N_("no-show"),
    },
    "role": {"agent": N_("agent"), "admin": N_("admin")},
    "mode": {"bot": N_("bot"), "queued": N_("waiting for an agent"), "agent": N_("agent")},
    "ticket_status": {"open": N_("open"), "claimed": N_("claimed"), "resolved": N_("resolved")},
    "request_kind": {
        "cancellation": N_("cancellation"),
        "change": N_("booking change"),
        "late": N_("late arrival"),
        "special": N_("special circumstances"),
        "data": N_("personal data request"),
    },
    "request_status": {
        "filed": N_("filed"),
        "confirmed": N_("confirmed"),
        "declined": N_("declined"),
        "closed": N_("closed"),
    },
    "gender": {"female": N_("female"), "male": N_("male"), "other": N_("other")},
}


def named(group: str, value: str | None) -> str:
    """The marked name of a code (translated where it is shown), or the code itself."""
    if value is None:
        return ""
    return LABELS.get(group, {}).get(value, value)
