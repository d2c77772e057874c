"""Each agent's availability (online, away, offline) and the team's rules for auto-assignment. Pure.

offline: no live, fully signed-in session (signed out, or the session expired);
away: they chose "away" in the console header, or made no console request for `away_after`;
online: otherwise. Only online agents get conversations assigned automatically.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum

from storage.repositories.availability import AgentLoad

LANGUAGES = ("ja", "en", "zh", "ko", "th", "vi")
DEFAULT_CAPACITY = 5


class Status(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


def status(agent: AgentLoad, now: dt.datetime, away_after: dt.timedelta) -> Status:
    if agent.last_seen_at is None:
        return Status.OFFLINE
    if agent.presence == "away" or now - agent.last_seen_at >= away_after:
        return Status.AWAY
    return Status.ONLINE


def language_of(locale: str | None) -> str:
    """The language an agent must serve for a conversation in `locale` (zh_Hans, zh_Hant -> zh)."""
    code = (locale or "en").split("_")[0].lower()
    return code if code in LANGUAGES else "en"


def parse_languages(text: str) -> tuple[str, ...]:
    """ "ja, en,zh" -> ("ja", "en", "zh"); ValueError on an unknown code."""
    codes = [c.strip().lower() for c in text.replace(" ", ",").split(",") if c.strip()]
    unknown = [c for c in codes if c not in LANGUAGES]
    if unknown:
        raise ValueError(f"unknown language {unknown[0]!r} (choose from {', '.join(LANGUAGES)})")
    return tuple(dict.fromkeys(codes))


def pick(
    team: Sequence[AgentLoad],
    language: str,
    now: dt.datetime,
    away_after: dt.timedelta,
    default_capacity: int,
) -> AgentLoad | None:
    """Round robin: of the online agents who serve `language` and are below their capacity, the one
    whose last automatic assignment is oldest (never assigned first; then by id)."""
    fits = [
        a
        for a in team
        if status(a, now, away_after) is Status.ONLINE
        and language in a.languages
        and a.load < (a.capacity if a.capacity is not None else default_capacity)
    ]
    if not fits:
        return None
    return min(fits, key=lambda a: (a.assign_turn or 0, a.id))
