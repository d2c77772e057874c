"""How many minutes late a message says: digits or number words, minutes and hours, ranges.

"30分", "三十分", "一時間半", "半小时", "一个小时", "한 시간 반", "half an hour", "1.5 hours", "1h30",
"30 phút", "15p", "nửa tiếng", "30 นาที", "ครึ่งชั่วโมง", "15-20 min" (the upper bound: the
no-show rule is about the worst case).
"""

from __future__ import annotations

import re

from bot.understanding.text import strip_latin_marks

_CJK_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_KO_SINO = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
_KO_NATIVE = {
    "한": 1,
    "하나": 1,
    "두": 2,
    "둘": 2,
    "세": 3,
    "셋": 3,
    "네": 4,
    "넷": 4,
    "다섯": 5,
    "여섯": 6,
    "일곱": 7,
    "여덟": 8,
    "아홉": 9,
    "열": 10,
    "열다섯": 15,
    "스무": 20,
    "스물": 20,
    "서른": 30,
    "마흔": 40,
    "쉰": 50,
}
_EN = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "couple": 2,
}
_TH = {
    "หนึ่ง": 1,
    "นึง": 1,
    "สอง": 2,
    "สาม": 3,
    "สี่": 4,
    "ห้า": 5,
    "หก": 6,
    "เจ็ด": 7,
    "แปด": 8,
    "เก้า": 9,
    "สิบ": 10,
}
_VI = {
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "nam": 5,
    "lam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
    "muoi lam": 15,
    "hai muoi": 20,
    "hai muoi lam": 25,
    "ba muoi": 30,
    "bon muoi": 40,
    "bon muoi lam": 45,
    "bon lam": 45,
    "nam muoi": 50,
}


def _alt(words: object) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))  # type: ignore[call-overload]


_NUM = (
    # bounded, so a long run of digits costs linear time, not quadratic backtracking
    r"\d{1,4}(?:\.\d{1,2})?(?!\d)"
    r"|[〇零一二两兩三四五六七八九十]{1,4}"
    # Korean number words only as whole words: 통역사분 is "the interpreter", not "4 minutes".
    r"|(?<![가-힣])(?:[이삼사오육칠팔구]?십[일이삼사오육칠팔구]?|[일이삼사오육칠팔구])(?=\s*분)"
    rf"|(?<![가-힣])(?:{_alt(_KO_NATIVE)})(?=\s*(?:시간|분))"
    r"|(?:twenty|thirty|forty|fifty)[- ](?:one|two|three|four|five|six|seven|eight|nine)\b"
    rf"|\b(?:{_alt(_EN)})\b"
    r"|(?:(?:สอง|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า|ยี่)?สิบ(?:เอ็ด|สอง|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า)?)"
    rf"|(?:{_alt(_TH)})"
    rf"|\b(?:{_alt(_VI)})\b(?=\s*(?:phut|tieng|gio)\b)"
)
_NOT_LATIN = r"(?![a-z])"
_MIN_UNIT = (
    rf"(?:(?:minutes?|minuites?|minuts?|mins?|m|phut|p){_NOT_LATIN}|分钟|分鐘|分鍾|分|ふん|ぷん|분|นาที|')"
)
_HOUR_UNIT = (
    rf"(?:(?:hours?|hrs?|h|tieng){_NOT_LATIN}|(?P<gio>gio){_NOT_LATIN}|時間|小时|小時|钟头|鐘頭|个钟|個鐘|"
    r"시간|ชั่วโมง|ชม\.?)"
)
_HALF = r"(?:半|반|ครึ่ง|ruoi\b|and a half\b|& a half\b)"
_RANGE_SEP = r"(?:-|~|to|or|到|至|から|或|ถึง|hoac|den|toi)"

_HOURS = re.compile(
    rf"(?<![\d:/])(?<!\d\.)(?P<n>{_NUM})\s*(?:个|個|개)?\s*(?P<pre>半)?\s*{_HOUR_UNIT}"
    rf"(?:\s*(?P<half>{_HALF})|\s*(?:and\s+)?(?P<m>{_NUM})\s*{_MIN_UNIT}|(?P<m2>\d{{2}})(?!\d))?",
    re.ASCII,
)
_MINUTES = re.compile(
    rf"(?<![\d:/])(?<!\d\.)(?:(?P<lo>{_NUM})\s*{_MIN_UNIT}?\s*{_RANGE_SEP}\s*)?(?P<n>{_NUM})\s*{_MIN_UNIT}",
    re.ASCII,
)
_HOUR_RANGE = re.compile(
    rf"(?<![\d:/])(?<!\d\.)(?P<lo>{_NUM})\s*{_RANGE_SEP}\s*(?P<n>{_NUM})\s*{_HOUR_UNIT.replace('?P<gio>', '')}",
    re.ASCII,
)
# 十分 is also "very" (十分抱歉, 十分に) rather than ten minutes.
_JUUBUN = re.compile(
    r"十分(?=抱歉|感谢|感謝|不好意思|对不起|對不起|遗憾|遺憾|に|な|です|だ|注意|小心|担心|擔心|满意|滿意|重要|方便|期待|感激|可能)"
)
_HALF_HOUR = re.compile(
    r"半\s*(?:个|個)?\s*(?:小时|小時|钟头|鐘頭|钟|鐘)|\bhalf (?:an |a )?hour\b|반\s*시간|ครึ่ง\s*ชั่วโมง|"
    r"\bnua (?:tieng|gio)\b",
    re.ASCII,
)
_HOUR_AND_HALF = re.compile(
    r"\b(?:an |a |one )?hour and (?:a )?half\b|(?<!\d\s)(?<!\d)ชั่วโมงครึ่ง|(?<![\d\w] )\btieng ruoi\b",
    re.ASCII,
)
_AN_HOUR = re.compile(r"ชั่วโมงนึง|\ban hour\b|(?<![\d\w] )\bmot tieng\b", re.ASCII)
# "be there in 5": English drops the unit when it is minutes.
_IN_BARE = re.compile(
    r"\b(?:be|get|arrive|arriving|there|here) in (?P<n>\d{1,2})\b(?!\s*(?:h|hours?|hrs?|days?|weeks?)\b)(?![:.]\d)",
    re.ASCII,
)
# "lúc 10 giờ" / "10時に" is a clock time, not a duration.
_CLOCK_BEFORE = re.compile(r"\b(?:luc|at|vao luc)\s*$", re.ASCII)


def number(s: str) -> float | None:
    s = s.strip()
    if not s:
        return None
    if s[0].isdigit():
        return float(s)
    if s in _EN:
        return _EN[s]
    tens, _, ones = s.replace("-", " ").partition(" ")
    if tens in _EN and ones in _EN:
        return _EN[tens] + _EN[ones]
    if s in _KO_NATIVE:
        return _KO_NATIVE[s]
    if s in _VI:
        return _VI[s]
    if all(ch in _CJK_DIGITS or ch == "十" for ch in s):
        return _cjk(s)
    if "십" in s or s in _KO_SINO:
        a, _, b = s.partition("십")
        if "십" not in s:
            return _KO_SINO[s]
        return (_KO_SINO.get(a, 1) if a else 1) * 10 + (_KO_SINO.get(b, 0) if b else 0)
    return _thai(s)


def _cjk(s: str) -> float:
    if "十" not in s:
        v = 0
        for ch in s:
            v = v * 10 + _CJK_DIGITS[ch]
        return v
    a, _, b = s.partition("十")
    return (_CJK_DIGITS.get(a, 1) if a else 1) * 10 + (_CJK_DIGITS.get(b, 0) if b else 0)


def _thai(s: str) -> float | None:
    if s in _TH:
        return _TH[s]
    if "สิบ" in s:
        a, _, b = s.partition("สิบ")
        tens = 2 if a == "ยี่" else (_TH.get(a, 1) if a else 1)
        ones = 1 if b == "เอ็ด" else (_TH.get(b, 0) if b else 0)
        return tens * 10 + ones
    return None


def minutes(t: str) -> int | None:
    """The largest duration named in normalized text `t`, in whole minutes, or None."""
    return scan(t)[0]


def scan(t: str) -> tuple[int | None, int]:
    """(minutes as in `minutes`, how many letters and digits of `t` lie outside the durations found)."""
    t = _JUUBUN.sub("", strip_latin_marks(t))
    found: list[float] = []
    covered: list[tuple[int, int]] = []

    def add(value: float | None, span: tuple[int, int]) -> None:
        if value is None or any(a <= span[0] < b for a, b in covered):
            return
        covered.append(span)
        found.append(value)

    for rx, value in ((_HOUR_AND_HALF, 90.0), (_HALF_HOUR, 30.0)):
        for m in rx.finditer(t):
            add(value, m.span())
    for m in _HOUR_RANGE.finditer(t):
        n = number(m["n"])
        add(n * 60 if n is not None else None, m.span())
    for m in _HOURS.finditer(t):
        n = number(m["n"])
        # "lúc 10 giờ" / "at 10 hours" is a clock time, not a duration; giờ is both.
        if n is None or _CLOCK_BEFORE.search(t[: m.start()]) or (m["gio"] and n > 3):
            continue
        extra = 30.0 if (m["half"] or m["pre"]) else number(m["m"] or m["m2"] or "0") or 0.0
        add(n * 60 + extra, m.span())
    for m in _AN_HOUR.finditer(t):
        add(60.0, m.span())
    for m in _MINUTES.finditer(t):
        n, lo = number(m["n"]), number(m["lo"]) if m["lo"] else None
        if n is not None and lo is not None and lo > n:  # "twenty-five", not the range 20 to 5
            n = number(f"{m['lo']}-{m['n']}") or lo
        add(n, m.span())
    for m in _IN_BARE.finditer(t):
        add(number(m["n"]), m.span())
    good = [v for v in found if 0 < v <= 24 * 60]
    rest = sum(1 for i, ch in enumerate(t) if ch.isalnum() and not any(a <= i < b for a, b in covered))
    return (round(max(good)) if good else None), rest
