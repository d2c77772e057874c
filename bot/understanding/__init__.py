"""What one short customer message says: language, intent, minutes late, a date. Pure and offline.

`understand(text, now)` normalizes the text (NFKC, case, full-width digits), detects the language
from its scripts, scores intent cues in all seven languages at once (customers mix them), applies
negation and the precedence rules (intents.py), and extracts minutes late (durations.py) and a
date relative to `now` in JST (dates.py). Everything is regular expressions over small tables, so a
message takes well under a millisecond and nothing is loaded or fetched at run time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.understanding import dates, durations, intents, language
from bot.understanding.text import count_scripts, normalize, strip_latin_marks

__all__ = ["INTENTS", "LANGUAGES", "Understanding", "understand"]

JST = ZoneInfo("Asia/Tokyo")
INTENTS = intents.INTENTS
LANGUAGES = ("ja", "en", "zh-Hans", "zh-Hant", "ko", "th", "vi")
# Longer texts are not "short messages"; cut them so one pasted essay cannot slow the engine down.
_MAX_CHARS = 500
# A message that is little more than a duration ("20分くらい", "about 15 min", "再五分鐘") is an
# answer to "how late?"; this many letters besides the duration are allowed.
_BARE_DURATION_REST = 8


@dataclass(frozen=True, slots=True)
class Understanding:
    language: str  # "ja" | "en" | "zh-Hans" | "zh-Hant" | "ko" | "th" | "vi"
    intent: str  # cancel | change | late | special_circumstance | payment | privacy | human | other
    minutes_late: int | None
    date: dt.date | None
    language_choice: str | None = None  # locale id: ja en zh_Hans zh_Hant ko th vi
    negated: tuple[str, ...] = ()  # intents the text explicitly negated
    # False when the text does not show its language ("ok", "👍", "30分", "好的"): the engine then
    # keeps the conversation's language instead of switching to `language`.
    confident_language: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "intent": self.intent,
            "minutes_late": self.minutes_late,
            "date": self.date.isoformat() if self.date else None,
            "language_choice": self.language_choice,
            "negated": list(self.negated),
            "confident_language": self.confident_language,
        }


def understand(text: str, now: dt.datetime) -> Understanding:
    """Understand one message received at `now` (timezone-aware; dates are resolved in JST)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    t = normalize(text[:_MAX_CHARS])
    plain = strip_latin_marks(t)
    scripts = count_scripts(t)
    lang, confident = language.detect(t, scripts)
    choice, bare = language.choice(t, lang)
    if choice and bare:
        lang, confident = choice.replace("_", "-"), True

    scores, negated = intents.score(t, plain, marked=scripts.vi_letters > 0)
    minutes, rest = durations.scan(t)
    intent = intents.resolve(scores, minutes is not None)
    if intent == "other" and minutes is not None and rest <= _BARE_DURATION_REST:
        intent = "late"

    today = now.astimezone(JST).date()
    date = dates.pick(dates.find(t, plain, today, lang), plain, today, change=intent == "change")
    return Understanding(
        language=lang,
        intent=intent,
        minutes_late=minutes if intent == "late" else None,
        date=date,
        language_choice=choice,
        negated=tuple(i for i in INTENTS if i in negated),
        confident_language=confident,
    )
