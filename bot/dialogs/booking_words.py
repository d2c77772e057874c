"""A booking named by its place among the customer's bookings: "the later one", "来週のほう", "뒤에 있는
거", "cái sau", "อันแรก" — the words people use when the list is on screen and they do not type a date."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from bot.dialogs.base import BookingFact
from bot.i18n import JST
from bot.understanding.text import normalize, strip_latin_marks

# Of two bookings: the later or the earlier one. With three or more, only the first or the last.
_LATER = re.compile(
    r"\b(?:the )?(?:later|latter|second|2nd) (?:one|appointment|booking)\b|\bthe one after\b|\bthe later\b|"
    r"後の(?:ほう|方)|あとの(?:ほう|方)|後ろの(?:ほう|方)|遅い(?:ほう|方)|2つ目|２つ目|二つ目|後者|"
    r"后面(?:那|的)|後面(?:那|的)|后面嗰|後面嗰|后一个|後一個|(?<![今昨明傍夜])晚(?:一点|一點|啲)?(?:的|嗰)(?:那个|那個|个|個)?|"
    r"뒤에 ?있는|뒤의 ?(?:거|것|예약)|뒤엣|나중(?:에 ?있는|의)? ?(?:거|것|예약)|늦은 ?(?:거|것|예약)|두 ?번째|"
    r"อันหลัง|นัดหลัง|อันที่สอง|\b(?:cai|lich|buoi) sau\b",
    re.ASCII,
)
_EARLIER = re.compile(
    r"\b(?:the )?(?:earlier|former|sooner|first|1st) (?:one|appointment|booking)\b|\bthe one before\b|"
    r"前の(?:ほう|方)|先の(?:ほう|方)|早い(?:ほう|方)|1つ目|１つ目|一つ目|前者|"
    r"前面(?:那|的)|前面嗰|前一个|前一個|(?<![今昨明提])早(?:一点|一點|啲)?(?:的|嗰)(?:那个|那個|个|個)?|"
    r"앞에 ?있는|앞의 ?(?:거|것|예약)|먼저 ?있는 ?(?:거|것|예약)|빠른 ?(?:거|것|예약)|첫 ?번째|"
    r"อันแรก|นัดแรก|\b(?:cai|lich|buoi) (?:truoc|dau)\b",
    re.ASCII,
)
_LAST = re.compile(
    r"\bthe last (?:one|appointment|booking)\b|最後の(?:予約|ほう|方)|最后(?:那|一)个|最後(?:那|一)個|마지막 ?(?:거|것|예약)|อันสุดท้าย|\bcai cuoi\b"
)
_NEXT_WEEK = re.compile(
    r"\bnext week'?s?\b|\bthe one next week\b|来週|下周|下週|下星期|下个星期|下個星期|下禮拜|다음 ?주|담주|"
    r"สัปดาห์หน้า|อาทิตย์หน้า|\btuan (?:sau|toi)\b",
    re.ASCII,
)
_THIS_WEEK = re.compile(
    r"\bthis week'?s?\b|今週|这周|這週|这个星期|這個星期|本周|本週|이번 ?주|สัปดาห์นี้|อาทิตย์นี้|\btuan nay\b",
    re.ASCII,
)
# A booking the customer says stays ("thursday's still fine", "cái thứ 6 e vẫn đi"): not the one meant.
_STAYS = re.compile(
    r"\bstill (?:fine|ok|okay|good|going|on)\b|\bkeep\b|\bvan (?:di|giu|ok)\b|そのまま|はそのままで|还是去|還是去|照去|"
    r"그대로|ยังไป|ไปตามเดิม",
    re.ASCII,
)


_CLAUSE = re.compile(
    r"[.,;!?。、，；！？\n]+|\b(?:but|and|so)\b|けど|が、|但是|可是|그런데|근데|แต่|nhưng|nhung"
)


def said_to_stay(text: str) -> bool:
    return _STAYS.search(strip_latin_marks(normalize(text))) is not None


def without_kept(text: str) -> str:
    """The text without its clauses about a booking that stays ("The online call on Friday is still
    fine since I can do that from home"): what is left names the booking meant."""
    parts = _CLAUSE.split(strip_latin_marks(normalize(text)))
    kept = [p for p in parts if p.strip() and not _STAYS.search(p)]
    return " ".join(kept)


def relative_booking(
    text: str, bookings: Sequence[BookingFact], today: dt.date, *, weeks: bool = True
) -> BookingFact | None:
    """The one booking the words place ("the later one", "来週のほう"), or None. Without `weeks`,
    "next week" is not read as naming a booking (in a first message it is often the new date)."""
    if len(bookings) < 2 or not text.strip():
        return None
    t = without_kept(text)
    ordered = sorted(bookings, key=lambda b: (b.service_at, b.id))
    if _LAST.search(t):
        return ordered[-1]
    if len(ordered) == 2:
        later, earlier = bool(_LATER.search(t)), bool(_EARLIER.search(t))
        if later != earlier:
            return ordered[1] if later else ordered[0]
    for words, offset in ((_NEXT_WEEK, 1), (_THIS_WEEK, 0)):
        if any(weeks or _names_the_booking(t, m) for m in words.finditer(t)):
            monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=offset)
            inside = [b for b in ordered if monday <= _day(b) < monday + dt.timedelta(days=7)]
            if len(inside) == 1:
                return inside[0]
    return None


_BOOKING_NOUN = re.compile(
    r"\b(?:appointment|appt|booking|reservation|session|one|lich hen|lich|hen)\b|"
    r"予約|施術|カウンセリング|预约|預約|诊|診|예약|상담|นัด",
    re.ASCII,
)
# "to next week", "sang tuần sau", "来週に", "改到下周", "다음 주로": where the booking should go.
_TOWARDS_BEFORE = re.compile(r"(?:\bto|\buntil|\bsang|\bqua|到|至|去)\s*(?:the\s*)?$")
_TOWARDS_AFTER = re.compile(r"^\s*(?:に|へ|まで|로|으로)")


def _names_the_booking(t: str, m: re.Match[str]) -> bool:
    """A week named right beside a booking noun ("the appointment next week", "来週の予約"), not
    where the booking should move to."""
    before, after = t[max(0, m.start() - 16) : m.start()], t[m.end() : m.end() + 16]
    if _TOWARDS_BEFORE.search(before) or _TOWARDS_AFTER.search(after):
        return False
    return bool(_BOOKING_NOUN.search(before) or _BOOKING_NOUN.search(after))


def _day(b: BookingFact) -> dt.date:
    return b.service_at.astimezone(JST).date()
