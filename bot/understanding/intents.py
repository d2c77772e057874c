"""Intent from cue scores: negation, then the precedence rules the agency needs.

Precedence, from the issue and RULES.md: a special circumstance (illness, disaster, strike,
flight cancelled, ...) wins over cancel and change, because a person must look at it and the
fee may be waived; a late notice that names its minutes wins over everything but that (and over
it too: "train strike, 30 min late" is a late notice the agents need at once); an explicit
request for a person comes next. Otherwise the highest score wins, ties going to the more
specific intent (privacy, change, cancel, late, payment, human).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.understanding.cues import MARKED_TABLES, TABLES, UNMARKED_TABLES, Cue

INTENTS = (
    "cancel",
    "change",
    "late",
    "special_circumstance",
    "payment",
    "privacy",
    "human",
    "medical_question",
    "other",
)
_TIE_ORDER = ("privacy", "change", "cancel", "late", "payment", "human")

Compiled = list[tuple[str, re.Pattern[str], int]]


def _compile(tables: Mapping[str, list[Cue]], flags: int = 0) -> Compiled:
    return [(intent, re.compile(p, flags), w) for intent, cues in tables.items() for p, w in cues]


# ASCII word boundaries on the unmarked text, so "会late一点" and "明天cancel" still have a \b
# between the Latin word and the Han characters around it.
_PLAIN = _compile(TABLES, re.ASCII)
_MARKED = _compile(MARKED_TABLES)
_UNMARKED = _compile(UNMARKED_TABLES, re.ASCII)
# Phrases whose cue words mean something else: "sorry for the late reply" is not a late notice.
_NEUTRAL = re.compile(
    r"\b(?:sorry|apologi[sz]e)\w* (?:for )?(?:the |my )?(?:late|slow|delayed) (?:reply|response|answer)\b|"
    r"\blate (?:reply|response)\b|\bchange (?:clothes|my clothes|money|currency|trains?)\b|"
    r"\b(?:will|is|was) (?:the |my |your )?(?:interpreter|doctor|clinic|staff|translator)\b[^.?!]{0,20}\blate\b|\b(?:will |i'?ll )?re-?book (?:later|another time|in the future)\b|返信(?:が)?(?:遅|おそ)|返事(?:が)?(?:遅|おそ)|連絡(?:が)?遅くな|回复晚|回覆晚|"
    r"回得晚|回复迟|回覆遲|回晚了|답장(?:이)? ?늦|답변(?:이)? ?늦|연락(?:이)? ?늦|ตอบช้า|ตอบกลับช้า|"
    r"\b(?:rep|tra loi|phan hoi|nhan tin) (?:muon|tre|cham)\b|(?:rep|trả lời|phản hồi|nhắn tin) (?:muộn|trễ|chậm)",
    re.ASCII,
)

# A negation right before a cue ("not cancel", "不是取消", "không hủy", "ไม่ยกเลิก") ...
_NEG_BEFORE = re.compile(
    r"(?:\b(?:not|don'?t|dont|do not|didn'?t|doesn'?t|won'?t|wont|will not|no need to|never|without|"
    r"instead of|rather than|no)\s+(?:want\s+to\s+|wanna\s+|need\s+to\s+|going\s+to\s+|gonna\s+|to\s+|a\s+|"
    r"an\s+|the\s+|my\s+|be\s+|it\s+|really\s+|plan\s+to\s+)*"
    r"|(?:不是|不要|不想|不用|别|別|不必|并不是|並不是|并非|並非|不打算|没有要|沒有要|没要|沒要|不|唔係|唔好|唔|冇|未)(?:要|想|用|是|會|会|使|係)?\s*"
    r"|(?:ไม่ใช่|ไม่ได้|ไม่อยาก|ไม่ต้อง|ไม่)(?:จะ|ต้องการ|ได้|อยาก)*\s*"
    r"|\b(?:khong phai|ko phai|k phai|khong muon|ko muon|k muon|khong can|ko can|khong|ko|chua|dung)\s+"
    r"(?:la\s+|muon\s+)?)$",
    re.ASCII,
)
# ... or right after it ("キャンセルではなく", "취소 말고", "취소하지 않고").
_NEG_AFTER = re.compile(
    r"^\s*(?:(?:は|を)?\s*(?:では|じゃ|で)(?:なく|ない|ありません)|(?:は|を)?\s*(?:しない|しません|したくない|せず|"
    r"しなくて)|はなし|なしで|(?:は|を|するのは)\s*(?:やめ|止め)"
    r"|(?:은|는|이|가|을|를)?\s*(?:말고|아니(?:고|라|에요|예요|야|구)|안\s*(?:하|할|해)|할\s*생각\s*없)"
    r"|(?:하)?지\s*(?:않|말|마))"
)
_NEG_WINDOW = 24
# The booking kept as it is.
_KEEP = re.compile(
    r"照舊|照旧|按原来|按原來|原来的时间|原來的時間|原定|保持不变|保持不變|そのままで|원래대로|그대로|ตามเดิม|วันเดิม|"
    r"\b(?:giu (?:lich|nguyen)|lich cu|as it is|keep (?:it|my booking|the booking))\b",
    re.ASCII,
)


def score(t: str, plain: str, marked: bool) -> tuple[dict[str, int], set[str]]:
    """Cue scores per intent over normalized `t` / unmarked `plain`, and the intents only negated."""
    t, plain = _NEUTRAL.sub(" ", t), _NEUTRAL.sub(" ", plain)
    hits: dict[str, list[tuple[int, int, int]]] = {}
    negated: set[str] = set()
    for compiled, text in ((_PLAIN, plain), (_MARKED, t), (() if marked else _UNMARKED, plain)):
        for intent, rx, weight in compiled:
            for m in rx.finditer(text):
                # Negation words are matched unmarked ("không hủy" -> "khong huy"); spans line up.
                before = plain[max(0, m.start() - _NEG_WINDOW) : m.start()]
                after = plain[m.end() : m.end() + _NEG_WINDOW]
                if _NEG_BEFORE.search(before) or _NEG_AFTER.search(after):
                    negated.add(intent)
                else:
                    hits.setdefault(intent, []).append((m.start(), m.end(), weight))
    scores = {intent: _non_overlapping(h) for intent, h in hits.items()}
    if scores.get("cancel", 0) == 1 and _KEEP.search(plain):
        # "唔使喇，照舊就得": the weak "no need" of a cancellation, said to keep the booking as it is.
        del scores["cancel"]
    return scores, negated - scores.keys()


def _non_overlapping(hits: list[tuple[int, int, int]]) -> int:
    """Sum of weights, counting overlapping cues of one intent once ("change my appointment" ⊃ "change")."""
    taken: list[tuple[int, int]] = []
    total = 0
    for start, end, weight in sorted(hits, key=lambda h: (-h[2], h[0])):
        if all(end <= a or start >= b for a, b in taken):
            taken.append((start, end))
            total += weight
    return total


def resolve(scores: Mapping[str, int], has_minutes: bool) -> str:
    late = scores.get("late", 0)
    if scores.get("special_circumstance", 0):
        return "late" if late >= 2 and has_minutes else "special_circumstance"
    if late >= 2 and has_minutes:
        return "late"
    if scores.get("human", 0) >= 3:
        return "human"
    best = max(_TIE_ORDER, key=lambda i: (scores.get(i, 0), -_TIE_ORDER.index(i)))
    return best if scores.get(best, 0) > 0 else "other"


# Intents a flow serves: a tie between two of them is a real choice the customer should make. Payment
# is left out: its money words are the words of every fee question ("cancel Friday's, how much?").
_CHOOSABLE = ("cancel", "change", "late", "privacy")


def runner_up(scores: Mapping[str, int], chosen: str) -> str | None:
    """The other intent when two flows' cues score the same as the one chosen by the tie order."""
    if chosen not in _CHOOSABLE or "special_circumstance" in scores:
        return None
    best = scores.get(chosen, 0)
    tied = [i for i in _CHOOSABLE if i != chosen and best > 0 and scores.get(i, 0) == best]
    return tied[0] if len(tied) == 1 else None
