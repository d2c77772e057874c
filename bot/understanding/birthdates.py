"""Dates with a year, as people type their date of birth (and as booking labels print dates).

ISO and year-first forms (1990-04-01, 1990/4/1, 1990年4月1日, 1990년 4월 1일, 1990. 04. 01.), compact
19900401 and 900401, Japanese era years (平成2年4月1日, H2.4.1, 令和元年), Taiwanese 民國 years, Thai
Buddhist-era years (2533; "33" after a Thai month), month names in English, Thai and Vietnamese
(ngày 1 tháng 4 năm 1990, tháng tư), Chinese numerals (九〇年四月一日), and day/month/year with slashes,
dots or dashes. Which of day and month comes first in 01/04/1990 is decided by the locale only where
the locale decides it (vi, th: day first); elsewhere both readings are returned when both are valid.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.understanding.durations import number
from bot.understanding.text import strip_latin_marks

# One date found: where, and its readings (two when day and month could be either way round).
Found = tuple[int, int, tuple[dt.date, ...]]

_ERAS = {"明治": 1868, "大正": 1912, "昭和": 1926, "平成": 1989, "令和": 2019}
_ERA_LETTERS = {"m": "明治", "t": "大正", "s": "昭和", "h": "平成", "r": "令和"}
_DAY_FIRST = frozenset({"vi", "th"})

_MONTHS_EN = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS_TH: dict[str, int] = {}
for _i, _names in enumerate(
    (
        "มกราคม ม.ค. มค มกรา",
        "กุมภาพันธ์ ก.พ. กพ กุมภา",
        "มีนาคม มี.ค. มีค มีนา",
        "เมษายน เม.ย. เมย เมษา",
        "พฤษภาคม พ.ค. พค พฤษภา",
        "มิถุนายน มิ.ย. มิย มิถุนา",
        "กรกฎาคม ก.ค. กค กรกฎา",
        "สิงหาคม ส.ค. สค สิงหา",
        "กันยายน ก.ย. กย กันยา",
        "ตุลาคม ต.ค. ตค ตุลา",
        "พฤศจิกายน พ.ย. พย พฤศจิกา",
        "ธันวาคม ธ.ค. ธค ธันวา",
    ),
    start=1,
):
    for _n in _names.split():
        _MONTHS_TH[_n] = _i
_VI_MONTHS = {
    "gieng": 1, "mot": 1, "hai": 2, "ba": 3, "tu": 4, "bon": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8,
    "chin": 9, "muoi": 10, "muoi mot": 11, "muoi hai": 12, "chap": 12,
}  # fmt: skip


def _alt(words: object) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))  # type: ignore[call-overload]


_MON_EN = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?"
_YEAR = r"(?P<y>\d{4}|'?\d{2})(?!\d)"
_CJK_RUN = re.compile(r"[〇零一二三四五六七八九十]+(?=\s*[年月日号號])")
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("era", re.compile(r"(?P<era>明治|大正|昭和|平成|令和)\s*(?P<y>\d{1,2}|元)\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})")),
    ("era", re.compile(r"(?<![a-z])(?P<era>[mtshr])\s*(?P<y>\d{1,2}|元)\s*[./-]\s*(?P<m>\d{1,2})\s*[./-]\s*(?P<d>\d{1,2})(?!\d)")),
    ("roc", re.compile(r"民[國国]\s*(?P<y>\d{1,3})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})")),
    ("ymd", re.compile(
        r"(?<![\d.])(?P<y>\d{4})\s*(?:[-/.年년]\s*|\s+)(?P<m>\d{1,2})\s*(?:[-/.月월]\s*|\s+)(?P<d>\d{1,2})(?![\d:])"
    )),
    ("ymd", re.compile(r"(?<!\d)(?P<y>\d{2})\s*[年년]\s*(?P<m>\d{1,2})\s*[月월]\s*(?P<d>\d{1,2})")),
    ("ymd", re.compile(r"(?<![\d.])(?P<y>[3-9]\d)\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<d>\d{1,2})(?![\d.:])")),
    ("compact", re.compile(r"(?<![\d-])(?P<all>\d{8}|\d{6})(?![\d-])")),
    ("en", re.compile(rf"\b{_MON_EN}\s*(?P<d>\d{{1,2}})(?!\d)(?:st|nd|rd|th)?\s*,?\s*{_YEAR}")),
    ("en", re.compile(rf"\b(?P<d>\d{{1,2}})(?!\d)(?:st|nd|rd|th)?\s*(?:of\s+)?{_MON_EN}\s*,?\s*{_YEAR}")),
    ("th", re.compile(
        rf"(?P<d>\d{{1,2}})\s*(?P<mon>{_alt(_MONTHS_TH)})\s*(?:พ\.?\s?ศ\.?|ค\.?\s?ศ\.?)?\s*(?P<y>\d{{4}}|\d{{2}})(?!\d)"
    )),
    ("vi", re.compile(
        rf"(?P<d>\d{{1,2}})\s*(?:thang|thg)\s*(?P<m>\d{{1,2}}|{_alt(_VI_MONTHS)})\s*,?\s*(?:nam\s*)?(?P<y>\d{{4}}|\d{{2}})(?!\d)"
    )),
    ("dmy", re.compile(
        r"(?<![\d.:/])(?P<a>\d{1,2})\s*(?P<sep>[/.-])\s*(?P<b>\d{1,2})\s*(?P=sep)\s*(?P<y>\d{4}|\d{2})(?![\d:])"
    )),
)  # fmt: skip
# A month and day without a year: a birth date the customer has to complete.
_MON_ANY = _MON_EN.replace("?P<mon>", "")
PARTIAL = re.compile(
    rf"\d{{1,2}}\s*[月월]\s*\d{{1,2}}|\b{_MON_ANY}\s*\d{{1,2}}\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s*(?:of\s+)?{_MON_ANY}|"
    rf"\d{{1,2}}\s*(?:{_alt(_MONTHS_TH)})|\d{{1,2}}\s*thang\s*\d{{1,2}}|\b\d{{1,2}}\s*/\s*\d{{1,2}}\b"
)


def prepare(t: str) -> str:
    """Normalized text with Chinese numerals before 年/月/日 as digits and Latin marks removed."""

    def digits(m: re.Match[str]) -> str:
        v = number(m[0])
        return str(int(v)) if v is not None else m[0]

    return strip_latin_marks(_CJK_RUN.sub(digits, t))


def find(t: str, locale: str, today: dt.date) -> list[Found]:
    """Every date with a year in prepared text `t` (see `prepare`), in order; readings <= 100 years."""
    out: list[Found] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _PATTERNS:
        for m in rx.finditer(t):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            readings = _readings(kind, m, locale, today)
            if readings:
                taken.append(m.span())
                out.append((m.start(), m.end(), readings))
    return sorted(out)


def _readings(kind: str, m: re.Match[str], locale: str, today: dt.date) -> tuple[dt.date, ...]:
    g = m.groupdict()
    if kind == "era":
        era = g["era"] if len(g["era"]) > 1 else _ERA_LETTERS[g["era"]]
        year = _ERAS[era] + (1 if g["y"] == "元" else int(g["y"])) - 1
        return _valid((year, int(g["m"]), int(g["d"])))
    if kind == "roc":
        return _valid((1911 + int(g["y"]), int(g["m"]), int(g["d"])))
    if kind == "compact":
        return _compact(g["all"], locale, today)
    if kind == "dmy":
        return _day_month(int(g["a"]), int(g["b"]), _year(g["y"], today, locale == "th"), locale)
    if kind == "en":
        month = _MONTHS_EN.index(g["mon"][:3]) + 1
    elif kind == "th":
        month = _MONTHS_TH[g["mon"]]
    elif kind == "vi":
        month = int(g["m"]) if g["m"].isdigit() else _VI_MONTHS[g["m"]]
    else:
        month = int(g["m"])
    return _valid((_year(g["y"], today, kind == "th"), month, int(g["d"])))


def _year(y: str, today: dt.date, buddhist_short: bool = False) -> int:
    y = y.lstrip("'")
    n = int(y)
    if len(y) == 4:
        return n - 543 if n >= 2400 else n  # Thai Buddhist era
    if buddhist_short and 2500 + n - 543 <= today.year:
        return 2500 + n - 543  # "33" after a Thai month is 2533 BE
    return 2000 + n if 2000 + n <= today.year else 1900 + n


def _valid(*ymds: tuple[int, int, int]) -> tuple[dt.date, ...]:
    out: list[dt.date] = []
    for y, m, d in ymds:
        try:
            day = dt.date(y, m, d)
        except ValueError:
            continue
        if day not in out:
            out.append(day)
    return tuple(out)


def _day_month(a: int, b: int, year: int, locale: str) -> tuple[dt.date, ...]:
    if locale in _DAY_FIRST:
        return _valid((year, b, a))
    return _valid((year, b, a), (year, a, b))  # day first listed first; both when both are valid


def _compact(s: str, locale: str, today: dt.date) -> tuple[dt.date, ...]:
    if len(s) == 8:
        first = _valid((int(s[:4]), int(s[4:6]), int(s[6:])))
        if first and 1900 <= first[0].year <= today.year:
            return first
        return _day_month(int(s[:2]), int(s[2:4]), int(s[4:]), locale)
    # Six digits: YYMMDD, as Korean and Japanese forms ask for it; else day, month, year.
    first = _valid((_year(s[:2], today), int(s[2:4]), int(s[4:])))
    return first or _day_month(int(s[:2]), int(s[2:4]), _year(s[4:], today), locale)
