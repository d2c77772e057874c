"""Dates named in a message, resolved against the receipt date in JST, the future preferred.

Relative days (明日, 明天, 내일, tomorrow, ngày mai, พรุ่งนี้, ...), weekdays with "this"/"next week"
(来週の火曜日, 下周二, 다음 주 화요일, next Tuesday, thứ Ba tuần sau, วันอังคารหน้า), month and day
(12月3日, 12월 3일, Dec 3, 3 ธ.ค., ngày 3 tháng 12), slashes (3/12: month first in ja/zh/ko, day
first in vi/th, whichever is sooner in English), a bare day of the month (3日, 3号, the 3rd), and
"in 3 days". "Next Tuesday" means the Tuesday of next week (weeks start on Monday), as 来週の火曜日.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

from bot.understanding.durations import number

Found = tuple[int, int, dt.date]  # start, end, date

_REL = [
    (3, r"大后天|大後天|しあさって|明明後日|글피"),
    (2, r"明後日|あさって|后天|後天|내일\s*모레|모레|มะรืน(?:นี้)?|\bday after tomorrow\b|\bngay (?:kia|mot)\b"),
    (
        1,
        r"明日|あした|明天|聽日|听日|내일|พรุ่งนี้|\b(?:tomorrow|tomorow|tommorow|tommorrow|tomorrw|tmrw?|2morrow|2moro)\b|"
        r"\bngay mai\b",
    ),
    (
        0,
        r"今日|きょう|本日|今夜|今晩|今天|今晚|오늘|วันนี้|คืนนี้|เย็นนี้|บ่ายนี้|เช้านี้|\b(?:today|tonight|tdy)\b|"
        r"\bthis (?:morning|afternoon|evening)\b|\bhom nay\b|\b(?:sang|chieu|toi) nay\b|\bbua nay\b",
    ),
    (-1, r"昨日|きのう|昨天|어제|เมื่อวาน|\byesterday\b|\bhom qua\b"),
]
_REL_RE = [(d, re.compile(p, re.ASCII)) for d, p in _REL]
# Vietnamese "mai" alone is "tomorrow" ("mai em không đi được"), matched with its marks so that mãi
# ("forever") is not, and not as the name Mai ("chị Mai ơi").
_MAI = re.compile(r"(?<!chị )(?<!cô )(?<!tên )(?<!bạn )(?<!chi )(?<!co )(?<!ten )(?<!ban )\bmai\b(?! ơi| oi)")

# Weekday names per language -> 0 (Monday) .. 6 (Sunday).
_WD = {
    "月曜": 0,
    "火曜": 1,
    "水曜": 2,
    "木曜": 3,
    "金曜": 4,
    "土曜": 5,
    "日曜": 6,
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "월": 0,
    "화": 1,
    "수": 2,
    "목": 3,
    "금": 4,
    "토": 5,
    "일": 6,
    "จันทร์": 0,
    "อังคาร": 1,
    "พุธ": 2,
    "พฤหัสบดี": 3,
    "พฤหัส": 3,
    "ศุกร์": 4,
    "เสาร์": 5,
    "อาทิตย์": 6,
    "hai": 0,
    "2": 0,
    "ba": 1,
    "3": 1,
    "tu": 2,
    "4": 2,
    "nam": 3,
    "5": 3,
    "sau": 4,
    "6": 4,
    "bay": 5,
    "7": 5,
    "chu nhat": 6,
    "cn": 6,
    "mon": 0,
    "tue": 1,
    "tues": 1,
    "wed": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
_NEXT = r"(?:next week|来週|再来週|下下?个?(?:周|週|星期|礼拜|禮拜)|下下?個?(?:周|週|星期|禮拜)|다음\s*주|담주|다다음\s*주)"
_THIS = r"(?:this|this coming|coming|今週|今度の|次の|这个?|這個?|本|이번\s*주|오는)"
_WEEKDAYS = [
    # Japanese: (来週の)火曜(日)
    re.compile(r"(?P<mod>来週|再来週|今週|今度|次)?\s*の?\s*(?P<d>[月火水木金土日]曜)", re.ASCII),
    # Chinese: (下)周二 / 星期二 / 礼拜二; the week word may follow 下 directly (下周二).
    re.compile(
        r"(?P<mod>下下|下|这|這|本|这个|這個|下个|下個)?\s*(?:周|週|星期|礼拜|禮拜)(?P<d>[一二三四五六日天])",
        re.ASCII,
    ),
    # Korean: (다음 주) 화요일 / 화욜
    re.compile(
        r"(?P<mod>다다음\s*주|다음\s*주|담주|이번\s*주|오는|이번)?\s*(?P<d>[월화수목금토일])(?:요일|욜)",
        re.ASCII,
    ),
    # Thai: วันอังคาร(หน้า|นี้|สัปดาห์หน้า); Sunday only with วัน because อาทิตย์ is also "week".
    re.compile(
        r"(?:วัน(?P<d>จันทร์|อังคาร|พุธ|พฤหัสบดี|พฤหัส|ศุกร์|เสาร์|อาทิตย์)|"
        r"(?P<d2>จันทร์|อังคาร|พุธ|พฤหัสบดี|พฤหัส|ศุกร์|เสาร์))"
        r"\s*(?P<mod>(?:สัปดาห์|อาทิตย์|วีค)?\s*หน้า|นี้)?",
        re.ASCII,
    ),
    # Vietnamese (tone marks stripped): thu ba / thu 3 / t3 / chu nhat (+ tuan sau / tuan toi / nay)
    re.compile(
        r"(?<!ben )\b(?:thu (?P<d>hai|ba|tu|nam|sau|bay|[2-7])|t(?P<d2>[2-7])|(?P<d3>chu nhat|cn))\b"
        r"(?:\s*(?P<mod>tuan (?:sau|toi)|tuan nay|nay|toi)\b)?",
        re.ASCII,
    ),
    # English: (next|this) tuesday (next week)
    re.compile(
        r"\b(?:(?P<mod>next|this coming|this|coming)\s+)?(?:week\s+)?(?:on\s+)?"
        r"(?P<d>mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)(?:day|nesday|sday|rsday|urday|\.)?\b"
        r"(?P<mod2>\s+(?:of\s+)?next week)?",
        re.ASCII,
    ),
]
_MONTHS_EN = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_MONTH_EN = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?"
_MONTHS_TH = {
    "มกราคม": 1,
    "ม.ค.": 1,
    "มค": 1,
    "กุมภาพันธ์": 2,
    "ก.พ.": 2,
    "มีนาคม": 3,
    "มี.ค.": 3,
    "เมษายน": 4,
    "เม.ย.": 4,
    "พฤษภาคม": 5,
    "พ.ค.": 5,
    "มิถุนายน": 6,
    "มิ.ย.": 6,
    "กรกฎาคม": 7,
    "ก.ค.": 7,
    "สิงหาคม": 8,
    "ส.ค.": 8,
    "กันยายน": 9,
    "ก.ย.": 9,
    "ตุลาคม": 10,
    "ต.ค.": 10,
    "พฤศจิกายน": 11,
    "พ.ย.": 11,
    "ธันวาคม": 12,
    "ธ.ค.": 12,
}
_MONTH_TH = "|".join(re.escape(k) for k in sorted(_MONTHS_TH, key=len, reverse=True))
_CJK_NUM = r"\d{1,2}|[一二三四五六七八九十]{1,3}"

_YMD = re.compile(
    r"(?<!\d)(?P<y>20\d\d)\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)", re.ASCII
)
_MD_CJK = re.compile(rf"(?P<m>{_CJK_NUM})\s*(?:月|월)\s*(?P<d>{_CJK_NUM})\s*(?:日|号|號|일)?", re.ASCII)
_MD_EN = re.compile(rf"\b{_MONTH_EN}\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b", re.ASCII)
_DM_EN = re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:of\s+)?{_MONTH_EN}(?![a-z])", re.ASCII)
_DM_TH = re.compile(rf"(?P<d>\d{{1,2}})\s*(?P<mon>{_MONTH_TH})", re.ASCII)
_DM_VI = re.compile(
    r"\bngay (?P<d>\d{1,2}) thang (?P<m>\d{1,2})\b|\b(?P<d2>\d{1,2}) thang (?P<m2>\d{1,2})\b", re.ASCII
)
_SLASH = re.compile(
    r"(?<![\d/:.])(?P<a>\d{1,2})\s*/\s*(?P<b>\d{1,2})(?:\s*/\s*(?P<y>\d{2,4}))?(?![\d/:%])", re.ASCII
)
_DAY_ONLY = re.compile(
    r"(?<![\d月월/])(?P<d>\d{1,2})\s*(?:日|号|號|일)(?!\s*(?:前|後|后|间|間|以内|以內|전|후|뒤|동안|ago|まで|中))"
    r"|วันที่\s*(?P<d2>\d{1,2})|\bngay (?P<d3>\d{1,2})\b(?! thang)|\bmung (?P<d4>\d{1,2})\b"
    r"|\b(?:the\s+)(?P<d5>\d{1,2})(?:st|nd|rd|th)\b",
    re.ASCII,
)
_IN_DAYS = re.compile(
    r"(?P<n>\d{1,2}|[一二三四五六七八九十两兩]{1,2})\s*(?:日|天|일|วัน|ngay)\s*(?:後(?!ろ)|后|以後|之后|之後|후|뒤|nua)"
    r"|\bin (?P<n2>\d{1,2}|a|two|three|four|five|six|seven) days?\b|อีก\s*(?P<n3>\d{1,2})\s*วัน",
    re.ASCII,
)
_MONTH_FIRST = frozenset({"ja", "zh-Hans", "zh-Hant", "ko"})


def find(t: str, plain: str, today: dt.date, language: str, *, dots: bool = False) -> list[Found]:
    """(start, end, date) for each date named in normalized text `t` (and its unmarked form `plain`).

    With `dots` (where a date is what the question asks for), "3.20" is a date too (month first in
    ja/zh/ko, day first in vi/th, as slashes); elsewhere it could be a price or a duration."""
    out = sorted(_find(t, plain, today, language, dots))
    # "3月18号或者20号": a bare day right after a date, joined by "or" / "and" / a comma, is a day of
    # that date's month (not the next 20th of the calendar).
    for i in range(1, len(out)):
        (_, prev_end, prev), (start, end, _) = out[i - 1], out[i]
        bare = _DAY_ONLY.fullmatch(plain, start, end)
        if bare and _JOIN_ONLY.fullmatch(plain, prev_end, start):
            day = next(g for g in bare.groups() if g)
            moved = _future_md(today, prev.month, int(day))
            if moved is not None:
                out[i] = (start, end, moved)
    # "March 18 or 19", "3月18号或者20号", "18 hoặc 20 tháng 3", "18、20日": a bare day beside a date
    # and joined to it by "or" / "and" / a comma is a day of the same month.
    for start, end, day in list(out):
        for m in _CONT_AFTER.finditer(plain, end):
            if m.start() != end:
                break
            _add_day(out, today, day, m.span("d"), int(m["d"]))
            end = m.end()
        before = _CONT_BEFORE.search(plain[:start])
        if before:
            _add_day(out, today, day, before.span("d"), int(before["d"]))
    out.sort()
    return out


def _add_day(out: list[Found], today: dt.date, like: dt.date, span: tuple[int, int], day: int) -> None:
    if any(a < span[1] and span[0] < b for a, b, _ in out):
        return
    d = _future_md(today, like.month, day)
    if d is not None:
        out.append((span[0], span[1], d))


_JOIN = (
    r"(?:,|、|，|/|&|~|\bor\b|\band\b|\bhoac\b|\bhay\b|\bva\b|或者?|或是|还是|還是|和|跟|及|定|か|や|とか|と|または|"
    r"(?<=[일\d])\s*(?:이나|나|또는|혹은|아니면)|또는|혹은|아니면|หรือ|และ)"
)
_JOIN_ONLY = re.compile(rf"\s*{_JOIN}\s*", re.ASCII)
_DAY_END = r"(?:st|nd|rd|th|日|号|號|일|ค่ะ)?(?![\d:/.]|\s*(?:月|월|時|时|시|点|點|h\b|min|分|분|gio|โมง|%|am\b|pm\b|thang))"
_CONT_AFTER = re.compile(rf"\s*{_JOIN}\s*(?:the\s+|ngay\s+|วันที่\s*)?(?P<d>\d{{1,2}}){_DAY_END}", re.ASCII)
_CONT_BEFORE = re.compile(
    rf"(?<![\d/.:])(?:the\s+|ngay\s+|วันที่\s*)?(?P<d>\d{{1,2}})(?:st|nd|rd|th|日|号|號|일)?\s*{_JOIN}\s*(?:the\s+|ngay\s+|วันที่\s*)?$",
    re.ASCII,
)
_DOT = re.compile(
    r"(?<![\d.,:])(?P<a>\d{1,2})\.(?P<b>\d{1,2})(?![\d.,:%]|\s*(?:h\b|hours?|hrs?|時間|小时|小時|시간|ชั่วโมง|gio|tieng|万|萬|元|円|yen|usd|\$|kg|km|m\b))",
    re.ASCII,
)


def _find(t: str, plain: str, today: dt.date, language: str, dots: bool) -> list[Found]:
    out: list[Found] = []
    taken: list[tuple[int, int]] = []

    def add(span: tuple[int, int], d: dt.date | None) -> None:
        if d is None or any(a < span[1] and span[0] < b for a, b in taken):
            return
        taken.append(span)
        out.append((span[0], span[1], d))

    for m in _YMD.finditer(t):
        add(m.span(), _date(int(m["y"]), int(m["m"]), int(m["d"])))
    for m in _MD_CJK.finditer(t):
        add(m.span(), _future_md(today, _int(m["m"]), _int(m["d"])))
    for m in _MD_EN.finditer(t):
        add(m.span(), _future_md(today, _MONTHS_EN[m["mon"][:3]], int(m["d"])))
    for m in _DM_EN.finditer(t):
        add(m.span(), _future_md(today, _MONTHS_EN[m["mon"][:3]], int(m["d"])))
    for m in _DM_TH.finditer(t):
        add(m.span(), _future_md(today, _MONTHS_TH[m["mon"]], int(m["d"])))
    for m in _DM_VI.finditer(plain):
        add(m.span(), _future_md(today, int(m["m"] or m["m2"]), int(m["d"] or m["d2"])))
    for m in _SLASH.finditer(t):
        add(m.span(), _slash(today, int(m["a"]), int(m["b"]), m["y"], language))
    if dots:
        for m in _DOT.finditer(t):
            add(m.span(), _slash(today, int(m["a"]), int(m["b"]), None, language))
    for m in _IN_DAYS.finditer(plain):
        n = m["n"] or m["n2"] or m["n3"]
        k = 1 if n == "a" else number(n)
        add(m.span(), today + dt.timedelta(days=int(k)) if k is not None else None)
    if language == "vi":
        for m in _MAI.finditer(t):
            add(m.span(), today + dt.timedelta(days=1))
    for delta, rx in _REL_RE:
        for m in rx.finditer(plain):
            add(m.span(), today + dt.timedelta(days=delta))
    weekdays = [
        (m.span(), _weekday(today, m))
        for rx in (_WEEKDAYS if language != "vi" else _WEEKDAYS[:-1])  # "thu" is Vietnamese thứ, not Thursday
        for m in rx.finditer(plain)
    ]
    for m in _DAY_ONLY.finditer(plain):
        d = next(g for g in (m["d"], m["d2"], m["d3"], m["d4"], m["d5"]) if g)
        add(m.span(), _future_day(today, int(d)))
    for span, day in weekdays:
        if day is not None and not _same_day_beside(out, plain, span, day, today, add):
            add(span, day)
    return out


# "sat the 14th", "周六14号", "14일 토요일", "วันเสาร์ที่ 14", "friday (the 13th)": a weekday right beside
# a day of the month is that day, when the two agree — not a second date (this Saturday and the 14th).
_BESIDE = re.compile(r"\s*[,，、(（]?\s*(?:on\s+)?", re.ASCII)
_BESIDE_BEFORE = re.compile(r"\s*[,，、(（]?\s*", re.ASCII)
_DAY_AFTER_WEEKDAY = re.compile(
    rf"\s*[,，(（]?\s*(?:the\s+|ที่\s*|ngay\s+)?(?P<d>\d{{1,2}}){_DAY_END}(?!\s*(?:minutes?|mins?|hours?|days?))",
    re.ASCII,
)


def _same_day_beside(
    out: list[Found],
    plain: str,
    span: tuple[int, int],
    day: dt.date,
    today: dt.date,
    add: Callable[[tuple[int, int], dt.date | None], None],
) -> bool:
    """Whether the weekday at `span` names a day of the month found (or typed bare) beside it."""
    start, end = span
    for a, b, d in out:
        beside = (a >= end and _BESIDE.fullmatch(plain, end, a)) or (
            b <= start and _BESIDE_BEFORE.fullmatch(plain, b, start)
        )
        if beside and d.weekday() == day.weekday():
            return True
    bare = _DAY_AFTER_WEEKDAY.match(plain, end)
    if bare:
        named = _future_day(today, int(bare["d"]))
        if named is not None and named.weekday() == day.weekday():
            add((start, bare.end()), named)
            return True
    return False


def _int(s: str) -> int:
    v = number(s)
    return int(v) if v is not None else 0


def _date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _future_md(today: dt.date, m: int, d: int) -> dt.date | None:
    this_year = _date(today.year, m, d)
    if this_year is not None and this_year >= today:
        return this_year
    return _date(today.year + 1, m, d)


def _slash(today: dt.date, a: int, b: int, y: str | None, language: str) -> dt.date | None:
    year = None if y is None else (int(y) + 2000 if len(y) == 2 else int(y))
    options = _slash_orders(a, b, language)
    dates = [(_date(year, m, d) if year else _future_md(today, m, d)) for m, d in options if 1 <= m <= 12]
    valid = [d for d in dates if d is not None]
    if not valid:
        return None
    future = [d for d in valid if d >= today]
    return min(future) if future else valid[0]


def _slash_orders(a: int, b: int, language: str) -> list[tuple[int, int]]:
    """(month, day) readings of "a/b": month first in ja/zh/ko, day first in vi/th; in English
    (US month/day or day/month) both, whichever is valid and comes sooner being taken."""
    if language in _MONTH_FIRST:
        return [(a, b)]
    if language in ("vi", "th"):
        return [(b, a)]
    return [(a, b), (b, a)]


def _future_day(today: dt.date, day: int) -> dt.date | None:
    if not 1 <= day <= 31:
        return None
    y, m = today.year, today.month
    for _ in range(3):
        d = _date(y, m, day)
        if d is not None and d >= today:
            return d
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return None


def _weekday(today: dt.date, m: re.Match[str]) -> dt.date | None:
    groups = m.groupdict()
    name = next((groups[k] for k in ("d", "d2", "d3") if groups.get(k)), None)
    if name is None:
        return None
    wd = _WD.get(name, _WD.get(name[:3]))
    if wd is None:
        return None
    mod = " ".join(v for k, v in groups.items() if k.startswith("mod") and v).strip()
    monday = today - dt.timedelta(days=today.weekday())
    if mod in ("下下", "再来週") or mod.startswith("다다음"):
        return monday + dt.timedelta(days=14 + wd)
    if _is_next(mod):
        return monday + dt.timedelta(days=7 + wd)
    ahead = (wd - today.weekday()) % 7
    if ahead == 0 and not mod:  # a bare weekday that is today means next week's ("today" is said so)
        ahead = 7
    return today + dt.timedelta(days=ahead)


def _is_next(mod: str) -> bool:
    return bool(
        mod
        and (
            mod.startswith(("next", "来週", "下", "다음", "담주", "tuan sau", "tuan toi"))
            or mod.endswith("หน้า")
            or "next week" in mod
        )
    )


# Marks of the date a change moves away from: "instead of Friday", "from the 20th", "金曜から",
# "목요일 말고", "从周三", "จากวันพุธ", "từ thứ Hai".
_OLD_BEFORE = re.compile(
    r"(?:\b(?:instead of|rather than|not|from)\s+(?:the\s+|my\s+|on\s+)?|(?:从|從|由|จาก|不是|唔係|ไม่ใช่)\s*(?:วันที่\s*)?|"
    r"\b(?:tu|khong phai|ko phai|k phai|hong phai)\s+(?:ngay\s+)?)$",
    re.ASCII,
)
_OLD_AFTER = re.compile(
    r"^\s*(?:の?(?:予約)?(?:じゃなく|ではなく|から)|(?:的)?(?:预约|預約)?(?:改|换|換|而不是)|(?:예약)?\s*(?:말고|대신|에서))"
)


def wanted(found: list[Found], plain: str) -> list[Found]:
    """The dates not marked as the one to move away from ("not the 18th", "金曜から", "목요일 말고")."""
    return [
        f for f in found if not _OLD_BEFORE.search(plain[: f[0]]) and not _OLD_AFTER.search(plain[f[1] :])
    ]


def pick(found: list[Found], plain: str, today: dt.date, change: bool) -> dt.date | None:
    """The date that matters: for a change, the one it changes to (not marked as the old one, else
    the last); otherwise the first that is not in the past (the appointment), else the first."""
    if not found:
        return None
    if change:
        return (wanted(found, plain) or found)[-1][2]
    upcoming = [f for f in found if f[2] >= today]
    return (upcoming or found)[0][2]


# A day named as the one not meant, even without a date word: "not 18", "không phải 18", "不是18号",
# "18日じゃなくて", "18일 말고".
_REJECT_BARE = re.compile(
    r"(?:\bnot\s+(?:the\s+)?|\b(?:khong|ko|k|hong|hok) phai\s+(?:ngay\s+)?|不是|唔係|ไม่ใช่\s*(?:วันที่\s*)?)"
    r"(?P<d>\d{1,2})(?:st|nd|rd|th|日|号|號|일)?(?![\d/.:])"
    r"|(?<![\d/.])(?P<d2>\d{1,2})\s*(?:日|号|號|일)?\s*(?:じゃなく|ではなく|じゃない|말고|아니고|아니라)",
    re.ASCII,
)
# The customer corrects what they said: the new date replaces the last one given.
_CORRECTION = re.compile(
    r"\b(?:actually|i meant|i mean|correction|make it|make that|change it to|change that to|instead|"
    r"nham|sua lai|doi thanh|that ra|khong phai|ko phai)\b|"
    r"やっぱ|訂正|間違|じゃなく|ではなく|其实|其實|改成|改为|改為|更正|说错|說錯|打错|打錯|应该是|"
    r"應該是|才对|才對|不对|不對|唔係|정정|잘못|말고|아니고|아니라|ขอแก้|แก้เป็น|ไม่ใช่|เปลี่ยนเป็น|"
    # "I meant", said the way each language says it: 我是說 / 我意思係 / 제 말은 / หมายถึง / ý mình là.
    r"\b(?:y (?:toi|minh|em|la)|toi muon noi|go nham|viet nham|typo|my bad|oops|wrong date)\b|"
    r"我是说|我是說|我的意思是|意思係|我指|讲错|講錯|写错|寫錯|應該係|先啱|の間違い|でした(?!ら)|言い間違|"
    r"제 말은|말씀이|틀렸|หมายถึง|พิมพ์ผิด|ผิดค่ะ|ผิดครับ",
    re.ASCII,
)
# An apology before a date corrects it, unless the customer says they are adding one ("sorry, can I
# also add the 20th?", "不好意思，再加一個20號").
_SORRY = re.compile(
    r"\b(?:sorry|xin loi)\b|すみません|すいません|ごめん|失礼|抱歉|不好意思|對不起|对不起|唔好意思|"
    r"죄송|미안|ขอโทษ",
    re.ASCII,
)
_ADDING = re.compile(
    r"\b(?:also|too|as well|another|add|plus|them|nua|cung)\b|も(?:いい|大丈夫|可能|ok)|追加|"
    r"也|再加|还有|還有|另外|加多|(?<=일)도|추가|또|เพิ่ม|อีกวัน",
    re.ASCII,
)
# ... and only the new one is meant: every earlier date is dropped.
# An apology before a question ("sorry to bother you, what about the 20th?") offers another date.
_ASKING = re.compile(
    r"[?？]|\b(?:what about|how about|one more|is the|would the|could|can i)\b|어때|어떠|될까|되나요|ได้ไหม|ได้มั้ย|"
    r"\b(?:thi sao|duoc khong|dc ko)\b|怎么样|怎麼樣|可以吗|可以嗎|行吗|どうですか|いかが|でしょうか",
    re.ASCII,
)
_ONLY = re.compile(
    r"\b(?:only|just)\b|だけ|のみ|(?<=[일\d])\s*만(?!원)|只|仅|僅|เท่านั้น|(?<![a-z])chỉ(?![a-z])|\bchi (?:ngay|co)\b",
)


def rejected(found: list[Found], plain: str, today: dt.date) -> tuple[dt.date, ...]:
    """The dates named as not meant ("not the 18th", "18日じゃなくて"), resolved as a date alone would be."""
    kept = set(wanted(found, plain))
    out = [d for f in found if f not in kept for d in (f[2],)]
    for m in _REJECT_BARE.finditer(plain):
        day = _future_day(today, int(m["d"] or m["d2"]))
        if day is not None:
            out.append(day)
    return tuple(dict.fromkeys(out))


def replaces(t: str, plain: str) -> str:
    """ "all" when the new dates replace every earlier one ("only the 20th"), "last" when they correct
    the last one given ("actually the 20th"), else "" (they are added)."""
    if _ONLY.search(t) or _ONLY.search(plain):
        return "all"
    if corrects(plain) or (_SORRY.search(plain) and not _ADDING.search(plain) and not _ASKING.search(plain)):
        return "last"
    return ""


def corrects(plain: str) -> bool:
    """The words of a correction ("I meant", "其实", "말고"), not a mere apology."""
    return _CORRECTION.search(plain) is not None


def impossible(plain: str, language: str) -> tuple[int, int] | None:
    """Where unmarked normalized text names a day the calendar does not have ("31/2", "2月30日",
    "feb 30", "31 thang 4"), so that the customer is told what is wrong with it; None otherwise."""
    for m, readings in _date_like(plain, language):
        if readings and not any(_date(2028, mo, d) for mo, d in readings):  # 2028: 29 Feb exists
            return m.span()
    return None


def _date_like(t: str, language: str) -> Iterator[tuple[re.Match[str], list[tuple[int, int]]]]:
    """Every month-and-day typed, with its (month, day) readings of a valid month."""
    for m in _SLASH.finditer(t):
        orders = _slash_orders(int(m["a"]), int(m["b"]), language)
        yield m, [(mo, d) for mo, d in orders if 1 <= mo <= 12 and 1 <= d <= 31]
    for m in _MD_CJK.finditer(t):
        yield m, [(_int(m["m"]), _int(m["d"]))]
    for rx in (_MD_EN, _DM_EN):
        for m in rx.finditer(t):
            yield m, [(_MONTHS_EN[m["mon"][:3]], int(m["d"]))]
    for m in _DM_VI.finditer(t):
        yield m, [(int(m["m"] or m["m2"]), int(m["d"] or m["d2"]))]
