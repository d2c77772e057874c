"""The words of a booking change: a time of day typed (alone or with the new date, not the one naming
the booking to move), and "send it" said before the summary is asked."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.dialogs import keywords
from bot.understanding.text import strip_latin_marks

# "Send it" said where the note is asked: the confirmation's own yes, typed a question early.
_SEND_NOW = re.compile(
    r"^(?:(?:ok|okay|yes|yep|sure|great|perfect|了解です|わかりました|はい|好的?|行|네|예|โอเค|ได้|vâng|vang|dạ|da)"
    r"[,.!、，。\s]*)?(?:(?:じゃあ|では|那就|그럼)\s*)?"
    r"(?:(?:please\s+|pls\s+|just\s+)?(?:send|submit)(?:\s+(?:it|that|them|the request|now))?(?:\s+(?:please|pls|now))?"
    r"|送信(?:して|で|を)?(?:お願い(?:します)?|ください|下さい|します)?|送って(?:ください|下さい)?"
    r"|(?:送出|提交|发送|發送)(?:吧|啦|喇|了)?"
    r"|(?:보내|전송해|제출해)\s*(?:주세요|줘요|줘|주시면)?"
    r"|ส่ง(?:เลย|ได้เลย|ได้)?(?:ค่ะ|ครับ|คะ)?"
    r"|(?:ok\s*)?(?:gửi|gui)\s*(?:đi|di|luôn|luon)?(?:\s*(?:ạ|a|nhé|nhe|nha))?)"
    r"[.!。！~\s🙏]*$",
    re.IGNORECASE,
)
_SEND_REFUSED = re.compile(
    r"\b(?:don'?t|do not|not yet)\b|しないで|送らない|不要|別|别|先不|말고|마세요|ไม่ต้อง|อย่า|đừng|dung|khoan"
)


def sends_now(typed: str) -> bool:
    t = keywords.normalize(typed)
    return len(t) <= 40 and bool(_SEND_NOW.search(t)) and not _SEND_REFUSED.search(t)


# "my morning appointment", "午前の予約", "오전 예약", "นัดตอนเช้า", "lịch hẹn buổi sáng": a time of day
# naming the booking to move, not the one wished for.
_BOOKING_NOUN = (
    r"(?:appointment|appt|booking|reservation|slot|one|予約|枠|预约|預約|预定|預定|예약|นัด|lich hen|lich|hen)"
)
_OF = r"\s*(?:の|的|)\s*"
_TIME_OF_BOOKING = re.compile(
    rf"(?P<w>\S+?){_OF}{_BOOKING_NOUN}|{_BOOKING_NOUN}\s*(?:buoi|vao|ตอน|ช่วง|)\s*(?P<w2>\S+)"
)


def said_time(first: str) -> str | None:
    """The time of day said with the new date in the first message, unless it names the booking."""
    time = time_with_date(first)
    if time is None:
        return None

    plain = strip_latin_marks(keywords.normalize(first))
    for m in _TIME_OF_BOOKING.finditer(plain):
        word = m["w"] or m["w2"] or ""
        if typed_time(word, _WITH_A_DATE) == time:
            return None
    return time


_TIME_WORDS = {
    "morning": (
        "morning",
        "mornings",
        "am",
        "a.m.",
        "午前",
        "朝",
        "上午",
        "早上",
        "上晝",
        "朝早",
        "朝頭早",
        "오전",
        "아침",
        "เช้า",
        "sáng",
    ),
    "afternoon": (
        "afternoon",
        "afternoons",
        "pm",
        "p.m.",
        "午後",
        "昼",
        "下午",
        "下晝",
        "下昼",
        "晏晝",
        "晏昼",
        "오후",
        "บ่าย",
        "chiều",
    ),
    "evening": (
        "evening",
        "evenings",
        "night",
        "夕方",
        "夜",
        "晚上",
        "傍晚",
        "夜晚",
        "夜晚黑",
        "저녁",
        "เย็น",
        "tối",
    ),
    "any": (
        "any",
        "anytime",
        "whenever",
        "いつでも",
        "どちらでも",
        "都可以",
        "随时",
        "隨時",
        "아무",
        "언제든",
        "เวลาไหนก็ได้",
        "lúc nào cũng được",
        "bất kỳ",
    ),
}


# Said with a date, "am" and "pm" belong to a clock time or to a sentence ("I am free on the 15th"),
# and "any" to the date ("any day next week").
_WITH_A_DATE = {
    key: tuple(w for w in words if w not in ("am", "a.m.", "pm", "p.m."))
    for key, words in _TIME_WORDS.items()
    if key != "any"
}


def typed_time(text: str, table: Mapping[str, tuple[str, ...]] = _TIME_WORDS) -> str | None:

    t = keywords.normalize(text)
    found = [
        key for key, words in table.items() if any(w == t or (not w.isascii() and w in t) for w in words)
    ]
    if not found:
        found = [key for key, words in table.items() if any(w.isascii() and w in t.split() for w in words)]
    return found[0] if len(found) == 1 else None


def time_with_date(text: str) -> str | None:
    return typed_time(text, _WITH_A_DATE)
