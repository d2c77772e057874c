"""A rating typed instead of pressed: "5", "５", "5/5", "★★★★", "very good", "とても良い", "매우 만족". Pure.

Only whole answers count: a sentence that merely contains "good" is not a rating (it may be a new
request, which the menu routes), so the text must be the number or one of these phrases.
"""

from __future__ import annotations

import re
import unicodedata

# Phrases per rating, all seven languages, lower-cased and NFKC-normalized.
_WORDS: dict[int, tuple[str, ...]] = {
    5: (
        "very good",
        "excellent",
        "great",
        "perfect",
        "very satisfied",
        "awesome",
        "とても良い",
        "とてもよい",
        "大変良い",
        "大変満足",
        "とても満足",
        "最高",
        "非常に良い",
        "非常好",
        "很好",
        "非常满意",
        "非常滿意",
        "太好了",
        "매우 좋음",
        "매우 좋아요",
        "아주 좋아요",
        "매우 만족",
        "최고",
        "ดีมาก",
        "พอใจมาก",
        "rất tốt",
        "rất hài lòng",
        "tuyệt vời",
    ),
    4: (
        "good",
        "satisfied",
        "良い",
        "よい",
        "良かった",
        "満足",
        "好",
        "满意",
        "滿意",
        "不错",
        "不錯",
        "좋음",
        "좋아요",
        "만족",
        "ดี",
        "พอใจ",
        "tốt",
        "hài lòng",
    ),
    3: (
        "okay",
        "average",
        "neutral",
        "so-so",
        "fair",
        "普通",
        "まあまあ",
        "一般",
        "还行",
        "還行",
        "보통",
        "그저 그래요",
        "พอใช้",
        "เฉยๆ",
        "bình thường",
        "tạm được",
    ),
    2: (
        "poor",
        "bad",
        "not good",
        "unsatisfied",
        "dissatisfied",
        "悪い",
        "不満",
        "良くない",
        "不好",
        "不满意",
        "不滿意",
        "差",
        "나쁨",
        "나빠요",
        "불만",
        "ไม่ดี",
        "ไม่พอใจ",
        "tệ",
        "không tốt",
        "không hài lòng",
    ),
    1: (
        "very poor",
        "very bad",
        "terrible",
        "awful",
        "very dissatisfied",
        "とても悪い",
        "最悪",
        "大変不満",
        "非常差",
        "很差",
        "非常不满意",
        "非常不滿意",
        "매우 나쁨",
        "최악",
        "매우 불만",
        "แย่มาก",
        "ไม่พอใจมาก",
        "rất tệ",
        "rất không hài lòng",
    ),
}
_BY_PHRASE = {phrase: n for n, phrases in _WORDS.items() for phrase in phrases}
# "5", "5/5", "5 stars", "5点", "5점", "5 ดาว", "5 sao", "5番".
_NUMBER = re.compile(r"^([1-5])\s*(?:/\s*5|stars?|点|点です|점|ดาว|sao|番|つ星|星)?$")
_STARS = re.compile(r"^[★⭐]{1,5}$")


def rating_of(text: str) -> int | None:
    """The rating 1-5 the whole text stands for, or None."""
    t = (
        unicodedata.normalize("NFKC", text)
        .replace("\u0e4d\u0e32", "\u0e33")
        .strip()
        .lower()
        .rstrip("!！.。 ")
    )
    m = _NUMBER.match(t)
    if m:
        return int(m.group(1))
    if _STARS.match(t):
        return len(t)
    return _BY_PHRASE.get(t)
