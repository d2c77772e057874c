"""What one short customer message says: language, intent, minutes late, a date. Pure and offline.

`understand(text, now)` normalizes the text (NFKC, case, full-width digits), detects the language
from its scripts, scores intent cues in all seven languages at once (customers mix them), applies
negation and the precedence rules (intents.py), and extracts minutes late (durations.py) and a
date relative to `now` in JST (dates.py). Everything is regular expressions over small tables, so a
message takes well under a millisecond and nothing is loaded or fetched at run time.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.understanding import clock, dates, durations, intents, language, requests, topics
from bot.understanding.cues import SPECIAL
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
    # cancel | change | late | special_circumstance | payment | privacy | human | medical_question | other
    intent: str
    minutes_late: int | None
    date: dt.date | None
    language_choice: str | None = None  # locale id: ja en zh_Hans zh_Hant ko th vi
    negated: tuple[str, ...] = ()  # intents the text explicitly negated
    # False when the text does not show its language ("ok", "👍", "30分", "好的"): the engine then
    # keeps the conversation's language instead of switching to `language`.
    confident_language: bool = True
    # "fee" when the text asks about fees or charges, "medical" when it asks a medical question.
    question_about: str | None = None
    # With intent special_circumstance: illness | injury | bereavement | disaster_weather | transport |
    # visa_entry | other.
    circumstance: str | None = None
    # Another intent the text asks for just as strongly ("cancel or move it?"): ask which, don't guess.
    alternative: str | None = None
    # Two requests in one message ("cancel the consultation and move the treatment"), in the
    # customer's order, each with the text for its flow (bot.understanding.requests); else ().
    requests: tuple[requests.Request, ...] = ()
    # The words say the customer is late ("20 min late", "遅れます", "늦을 것 같아요"), not only a time
    # they will arrive at, which at a question about times is an answer ("I can come at 3").
    says_late: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "intent": self.intent,
            "minutes_late": self.minutes_late,
            "date": self.date.isoformat() if self.date else None,
            "language_choice": self.language_choice,
            "negated": list(self.negated),
            "confident_language": self.confident_language,
            "question_about": self.question_about,
            "circumstance": self.circumstance,
            "alternative": self.alternative,
        }


def understand(text: str, now: dt.datetime) -> Understanding:
    """Understand one message received at `now` (timezone-aware; dates are resolved in JST)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(JST).date()
    if len(text) <= _CACHED_CHARS:
        return _understood_short(text, today)
    return _understood(text, today)


# The result depends only on the text and the day in Japan, and short messages repeat ("menu",
# "はい", "1", "ok", "ありがとう"): those are remembered, a bounded number, in this process's memory.
_CACHED_CHARS = 40


def _understood(text: str, today: dt.date) -> Understanding:
    t = normalize(text[:_MAX_CHARS])
    plain = strip_latin_marks(t)
    scripts = count_scripts(t)
    lang, confident = language.detect(t, scripts)
    choice, bare = language.choice(t, lang)
    if choice and bare:
        lang, confident = choice.replace("_", "-"), True

    scores, negated = intents.score(t, plain, marked=scripts.vi_letters > 0)
    arrival = bool(_ARRIVAL.search(plain)) and not scores.get("change")
    by_clock, times = clock.late_by(t, None) if arrival else (None, [])
    # The clock times of an arrival are no durations ("着くのは11時40分" is not 40 minutes late).
    minutes, rest = durations.scan(_blank(t, [(c.start, c.end) for c in times]))
    if by_clock is not None:  # "my appointment is at 3, I'll be there at 3:20"
        minutes, scores["late"] = by_clock, max(scores.get("late", 0), 2)
    intent = intents.resolve(scores, minutes is not None)
    if (
        intent == "special_circumstance"
        and scores.get("late", 0) >= 2
        and _TRAVEL_DELAY.search(plain)
        and topics.circumstance_category(_ROAD_ACCIDENT.sub(" ", t)) in ("transport", "other")
    ):
        # "I'm going to be late, the train stopped after an accident on the line": a late notice whose
        # reason is the journey (the late flow asks how late), not a circumstance keeping them away.
        intent = "late"
    says_late = scores.get("late", 0) >= 2
    if intent == "other" and times:
        # "着くの11時40分くらいになりそうです", "2시 반쯤 도착할 것 같아요": an arrival time alone is a late
        # notice; how late is read against the appointment once the booking is known.
        intent = "late"
    if intent == "other" and minutes is not None and rest <= _BARE_DURATION_REST:
        intent = "late"
    medical = topics.is_medical(t, plain)
    if medical and (intent == "other" or (intent == "special_circumstance" and _only_medical_state(plain))):
        intent = "medical_question"
    fee = topics.is_fee_question(t, plain)

    date = dates.pick(dates.find(t, plain, today, lang), plain, today, change=intent == "change")
    both = requests.two(t, plain, scripts.vi_letters > 0, intent, scores)
    return Understanding(
        language=lang,
        intent=intent,
        minutes_late=minutes if intent == "late" else None,
        date=date,
        language_choice=choice,
        negated=tuple(i for i in INTENTS if i in negated),
        confident_language=confident,
        question_about="fee" if fee else "medical" if medical else None,
        circumstance=topics.category(t, plain) if intent == "special_circumstance" else None,
        alternative=None if both else intents.runner_up(scores, intent),
        requests=both or (),
        says_late=says_late and intent == "late",
    )


_understood_short = functools.lru_cache(maxsize=2048)(_understood)

# An arrival named with a clock time: "I'll be there at 3:20", "15時20分に着きます", "3点20到", "3시 반에 도착".
# An online consultation is joined, not reached: "13:10くらいからの参加", "I'll log on at 3:20".
_ARRIVAL = re.compile(
    r"\b(?:be there|get there|get here|be here|be in|get in|show up|turn up|roll in|arrive|arriving|arrival|"
    r"(?:getting|gettin|being|showing up|rolling in|turning up) (?:there|here|in(?! touch))|"
    r"reach|make it|eta|e\.t\.a|join|joining|log in|log on|hop on|dial in|toi|den|co mat|tham gia|vao|ket noi|"
    r"come in|can come|will come|i'?ll come|can only come|can be there)\b|"
    r"着|到着|(?<![到])到(?![期底])|参加|入室|ログイン|接続|つなが|繋が|入れ|行け|伺え|"
    r"上线|上線|连线|連線|加入|參加|进入|進入|入会|入會|进去|進去|过去|過去|"
    # Korean: the verb's stem fuses with what follows (들어가 + ㄹ = 들어갈, 가 + ㄹ게 = 갈게).
    r"도착|접속|참여|참석|입장|들어[가갈감갔와올]|갈게|갈 ?수|가겠|갈 ?것|"
    r"ถึง|เข้าร่วม|เข้าห้อง|เข้าคอล|เข้าประชุม|เข้าได้|เข้าไป|ไปได้|จะไป",
    re.ASCII,
)
_SPECIAL = [re.compile(p, re.ASCII) for p, _ in SPECIAL]
# An accident on the road or the line delays the journey; it is not the customer's injury.
_ROAD_ACCIDENT = re.compile(r"\baccidents?\b|事故|อุบัติเหตุ|사고|\btai nan\b|tai nạn|车祸|車禍")
_TRAVEL_DELAY = re.compile(
    r"\b(?:traffic|jam|stuck|expressway|highway|motorway|freeway|road|roads|line|lines|train|trains|subway|"
    r"metro|bus|taxi|uber|grab|station|stations|stopped|delayed|xe|ket xe|tac duong|tau|ga)\b|"
    r"渋滞|電車|遅延|運転見合わせ|止まっ|高速|堵车|堵車|塞车|塞車|地铁|地鐵|捷運|巴士|公交|交通|路上|"
    r"막혀|막히|차가|지하철|버스|택시|รถติด|ทางด่วน|รถไฟ|บีทีเอส|แท็กซี่|ถนน",
    re.ASCII,
)


def _blank(t: str, spans: list[tuple[int, int]]) -> str:
    for a, b in spans:
        t = t[:a] + " " * (b - a) + t[b:]
    return t


def _only_medical_state(plain: str) -> bool:
    """Whether the special-circumstance words are only what a medical question is about (pregnant,
    breastfeeding, pain), not a report of an illness, an accident or a disaster."""
    rest = topics.OVERLAP.sub(" ", plain)
    return not any(rx.search(rest) for rx in _SPECIAL)
