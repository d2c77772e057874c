"""A second request in the same message: "cancel tomorrow's consultation and move the treatment to
next week", "明日のはキャンセルして、施術は来週に変更したい", "取消明天的，另外把治疗改到下周".

The message is cut into clauses (at punctuation and at the words that join two requests: "and",
"also", "then", "それと", "另外", "그리고", "และ", "và", ...); each clause is scored on its own. Two
clauses asking for two different flows are two requests, done one after the other. "Cancel or move
it?" is one request the customer has not decided (`intents.runner_up` asks which), so a clause
joined by "or" is never a second request; nor is anything in a message about a special
circumstance, which a person looks at whole.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.understanding import dates, intents

# The flows a second request can ask for (payment is left out, as in intents.runner_up: its money
# words are those of every fee question, "cancel it, how much do I pay?").
_FLOWS = ("cancel", "change", "late", "privacy")

# Each clause is scored on its own: a message of more parts than this is not cut (a pasted text).
_MAX_CLAUSES = 12

_JOIN = re.compile(
    r"[,，、;；.。!！?？\n]+|"
    r"\b(?:and also|and then|and|also|then|plus|as well as|additionally)\b|"
    r"それと|それから|あと、|また、|ついでに|"
    r"另外|還有|还有|然後|然后|並且|并且|同時|同时|順便|顺便|"
    r"그리고|또한|그리고요|"
    r"และ|แล้วก็|อีกอย่าง|"
    r"\b(?:ngoai ra|voi lai|va|con)\b",
    re.IGNORECASE,
)
_OR = re.compile(
    r"\b(?:or|either|hay|hoac|hay la)\b|還是|还是|或者|或是|それとも|または|아니면|또는|หรือ",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Request:
    intent: str
    text: str  # what to hand to its flow: the message without the other request's clause


def two(
    t: str, plain: str, marked: bool, chosen: str, scores: Mapping[str, int]
) -> tuple[Request, Request] | None:
    """The two requests of a message, in the customer's order; None when it makes one (or three).

    `t` is the normalized text and `plain` the same without Latin marks (same length); `chosen` the
    message's intent as a whole, which must be one of the two, and `scores` the whole text's cue
    scores: without cues of two flows in them there is nothing to cut (most messages stop here)."""
    if chosen not in _FLOWS or sum(1 for i in _FLOWS if scores.get(i, 0) > 0) < 2:
        return None
    if _OR.search(plain) or dates.corrects(plain):
        # "cancel, I mean move it": a correction, one request.
        return None
    clauses = _clauses(plain)
    if not 2 <= len(clauses) <= _MAX_CLAUSES:
        return None
    found: list[tuple[str, int, int]] = []
    for start, end, joined in clauses:
        scores, _ = intents.score(t[start:end], plain[start:end], marked)
        if scores.get("special_circumstance"):
            return None
        intent = intents.resolve(scores, has_minutes=False)
        # Asked for in so many words, or after "and also": "I can't make it" beside "I need to
        # reschedule" is the reason, not a second request.
        strong = scores.get(intent, 0) >= (1 if joined else 2)
        if intent in _FLOWS and strong and (not found or found[-1][0] != intent):
            found.append((intent, start, end))
    if len(found) != 2 or found[0][0] == found[1][0] or chosen not in (found[0][0], found[1][0]):
        return None
    if {found[0][0], found[1][0]} == {"privacy", "change"} and chosen == "privacy":
        start, end = next((s, e) for i, s, e in found if i == "change")
        if not _BOOKING_WORDS.search(plain[start:end]) and not dates.find(
            t[start:end], plain[start:end], _TODAY, "en"
        ):
            # "My name is spelled KIM MINJI ... please change it": the change is the correction itself.
            return None
    (first, _, _), (then, start, end) = found
    return Request(first, (t[:start] + t[end:]).strip()), Request(then, t[start:end].strip())


# Words of a booking in the change's clause: then it is a change of a booking after all.
_BOOKING_WORDS = re.compile(
    r"\b(?:appointment|appt|booking|reservation|treatment|surgery|consultation|date|lich hen|lich)\b|"
    r"予約|施術|手術|カウンセリング|日程|预约|預約|治疗|治療|手术|手術|日期|예약|시술|수술|상담|날짜|นัด|ผ่าตัด|วันที่",
    re.ASCII,
)
# Only whether a clause names a date at all matters here, not which: any fixed day will do.
_TODAY = dt.date(2026, 1, 1)


def _clauses(plain: str) -> list[tuple[int, int, bool]]:
    """(start, end, after a joining word rather than punctuation alone) of every clause."""
    out: list[tuple[int, int, bool]] = []
    at, joined = 0, False
    for m in _JOIN.finditer(plain):
        if plain[at : m.start()].strip():
            out.append((at, m.start(), joined))
            joined = False
        joined = joined or any(c.isalpha() for c in m[0])
        at = m.end()
    if plain[at:].strip():
        out.append((at, len(plain), joined))
    return out
