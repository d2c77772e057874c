"""What the customer is told about the team's availability when a person is asked for. Pure.

Appended after a dialog's handoff notice, from `Facts.team` (bot.team loads it on the engine side):
outside business hours, when the team opens (in Japan time and the customer's own); inside, the
expected wait from recent tickets, worded as an estimate; never "someone will answer now" when no
agent is online.
"""

from __future__ import annotations

import datetime as dt

from bot.dialogs.base import Facts, TeamFact
from bot.i18n import Msg, Opening, msg, msg_plural
from bot.replies import Reply, Text


def notice(facts: Facts) -> tuple[Reply, ...]:
    team = facts.team
    if team is None:
        return ()
    lines = [_availability(team)]
    if team.on_call:
        lines.append(msg("Because this is urgent, we have alerted the person on call right away."))
    return tuple(Text(m) for m in lines)


def _availability(team: TeamFact) -> Msg:
    if not team.open_now:
        if team.next_opening is None:
            return msg("Our team is away at the moment; we will reply here as soon as we can.")
        return msg(
            "Our team is away at the moment and will answer from {opens}.", opens=Opening(team.next_opening)
        )
    if not team.anyone_online:
        return msg(
            "Nobody from our team is at their desk this moment; we will reply here as soon as someone is back."
        )
    if team.expected_wait is None:
        return msg("Someone from our team is online and will reply here as soon as they can.")
    minutes = rounded_minutes(team.expected_wait)
    if minutes >= 90:
        hours = round(minutes / 60)
        return msg_plural(
            "Someone from our team is online. Replies take about {n} hour at the moment (an estimate, not a promise).",
            "Someone from our team is online. Replies take about {n} hours at the moment (an estimate, not a promise).",
            hours,
        )
    return msg_plural(
        "Someone from our team is online. Replies take about {n} minute at the moment (an estimate, not a promise).",
        "Someone from our team is online. Replies take about {n} minutes at the moment (an estimate, not a promise).",
        minutes,
    )


def rounded_minutes(wait: dt.timedelta) -> int:
    """Up to the next 5 minutes (at least 5): an estimate that does not pretend to be exact."""
    minutes = wait.total_seconds() / 60
    return max(5, int(-(-minutes // 5)) * 5)
