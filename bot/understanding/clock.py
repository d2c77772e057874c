"""Clock times in a message ("3:20", "15時20分", "3点半", "오후 3시 20분", "บ่ายสามโมงครึ่ง", "3 giờ 20"),
and how late an arrival at such a time is against the appointment.

A time without am/pm ("3:20") is read as whichever of 03:20 and 15:20 lies nearest after the
appointment, because a customer who writes it is on the way to that appointment.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.understanding.durations import number
from bot.understanding.text import strip_latin_marks

_HOUR_WORDS_KO = {
    "한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10,
    "열한": 11, "열두": 12,
}  # fmt: skip
_TH_NUM = r"หนึ่ง|สอง|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า|สิบเอ็ด|สิบสอง|สิบ"
_ZH_NUM = r"\d{1,2}|[一二两兩三四五六七八九十]{1,3}"
_KO_NUM = r"\d{1,2}|열한|열두|다섯|여섯|일곱|여덟|아홉|한|두|세|네|열"
_PM = (
    "pm",
    "p.m.",
    "午後",
    "夕方",
    "夜",
    "下午",
    "晚上",
    "傍晚",
    "夜晚",
    "오후",
    "저녁",
    "밤",
    "chieu",
    "toi",
)
_AM = ("am", "a.m.", "午前", "朝", "上午", "早上", "오전", "아침", "sang")

# fmt: off
_PATTERNS = (
    re.compile(r"(?<![\d.:/])(?P<h>\d{1,2})\s*[:：]\s*(?P<m>\d{2})(?!\d)\s*(?P<ap>a\.?m\.?|p\.?m\.?)?(?![a-z])"),
    re.compile(r"(?<![\d.:/])(?P<h>\d{1,2})\.(?P<m>\d{2})\s*(?P<ap>a\.?m\.?|p\.?m\.?|น\.|นาฬิกา)"),
    re.compile(r"(?<![\d.:/])(?P<h>\d{1,2})\s*(?P<ap>a\.?m\.?|p\.?m\.?|o'?clock)(?![a-z])"),
    re.compile(r"\b(?:at|around|by|about)\s+(?P<h>\d{1,2})(?![\d:.]|\s*(?:min|mins|minutes|h|hr|hrs|hours?|days?|%|st|nd|rd|th)\b)"),
    re.compile(r"\bhalf past (?P<h>\d{1,2})\b(?P<half>)"),
    re.compile(r"(?P<ap>午前|午後|朝|夜|夕方)?\s*(?P<h>\d{1,2})\s*時(?!間)\s*(?:(?P<half>半)|(?P<m>\d{1,2})\s*分)?"),
    re.compile(
        rf"(?P<ap>上午|下午|中午|晚上|早上|傍晚|夜晚)?\s*(?P<h>{_ZH_NUM})\s*[点點](?:钟|鐘)?\s*"
        rf"(?:(?P<half>半)|(?P<q1>一刻)|(?P<q3>三刻)|(?P<m>\d{{1,2}}|[〇零一二三四五六七八九十]{{1,3}})\s*分?)?"
    ),
    re.compile(rf"(?P<ap>오전|오후|아침|저녁|밤|낮)?\s*(?<![가-힣])(?P<h>{_KO_NUM})\s*시(?![간작])\s*(?:(?P<half>반)|(?P<m>\d{{1,2}})\s*분)?"),
    re.compile(rf"บ่าย\s*(?P<h>{_TH_NUM}|\d{{1,2}})?\s*(?:โมง)?\s*(?P<half>ครึ่ง)?(?P<pm>)"),
    re.compile(rf"(?P<h>{_TH_NUM}|\d{{1,2}})\s*โมง\s*(?P<ap>เช้า|เย็น|ตรง)?\s*(?P<half>ครึ่ง)?"),
    re.compile(rf"(?P<h>{_TH_NUM}|\d{{1,2}})\s*ทุ่ม(?P<night>)\s*(?P<half>ครึ่ง)?"),
    re.compile(r"(?P<h>\d{1,2})\s*(?:gio|g)\s*(?:(?P<half>ruoi)|(?P<m>\d{1,2})\s*(?:phut|p)?)(?![a-z\d])\s*(?P<ap>sang|chieu|toi)?"),
    # Vietnamese "3h20", "3h40 chiều": a clock time, unless it follows a word for "late" (trễ 1h30).
    re.compile(r"(?<!tre )(?<!muon )(?<!cham )(?<![a-z\d])(?P<h>\d{1,2})h(?P<m>[0-5]\d)(?![a-z\d'])\s*(?P<ap>sang|chieu|toi)?"),
    re.compile(r"(?:luc|vao|hen|den|toi|lich(?: cua)?(?: em| toi| minh| chi| anh)?|la)\s+(?P<h>\d{1,2})\s*(?:gio|g|h)(?![a-z])\s*(?P<ap>sang|chieu|toi)?"),
    re.compile(r"(?P<h>\d{1,2})\s*(?:gio|g|h)\s*(?P<ap>sang|chieu|toi)(?![a-z])"),
    # Vietnamese "11h" alone is eleven o'clock ("chắc 11h mới tới"), an hour count only after a word for
    # "late" (trễ 1h) or before "nữa" (1h nữa = in an hour): see `_HOURS_NOT_CLOCK`.
    re.compile(r"(?<![a-z\d:.])(?P<h>\d{1,2})h(?![a-z\d'])(?!\s*nua)(?P<bare_h>)"),
)
_HOURS_NOT_CLOCK = re.compile(r"\b(?:tre|muon|cham|them|mat|het|trong|sau)\b(?:\s+\w+)?\s*$")
# fmt: on
# "晚一点" is "a little later", not one o'clock.
_A_BIT = re.compile(
    r"[晚早快慢多少好有差]\s*一\s*[点點](?!\s*(?:钟|鐘|半|\d|分))|一[点點]点|一[点點](?:儿|兒)"
)


@dataclass(frozen=True, slots=True)
class Clock:
    start: int
    end: int
    hour: int  # 0-23 when `fixed`, else 1-12 (either half of the day)
    minute: int
    fixed: bool  # am/pm, a 24-hour time, or a word for the part of the day


def find(t: str) -> list[Clock]:
    """Clock times in normalized text `t`, in order."""
    plain = strip_latin_marks(t)
    out: list[Clock] = []
    bits = [m.span() for m in _A_BIT.finditer(plain)]
    for rx in _PATTERNS:
        for m in rx.finditer(plain):
            spans = [(c.start, c.end) for c in out] + bits
            if any(a < m.end() and m.start() < b for a, b in spans):
                continue
            if m.groupdict().get("bare_h") is not None and _HOURS_NOT_CLOCK.search(plain[: m.start()]):
                continue
            c = _clock(m)
            if c is not None:
                out.append(c)
    return sorted(out, key=lambda c: c.start)


def _clock(m: re.Match[str]) -> Clock | None:
    g = m.groupdict()
    if g.get("h") is None and g.get("pm") is None:
        return None
    hour = _hour(g.get("h") or "หนึ่ง")
    if hour is None or not 0 <= hour <= 24:
        return None
    minute = 30 if g.get("half") is not None else 0
    if g.get("q1"):
        minute = 15
    elif g.get("q3"):
        minute = 45
    elif g.get("m"):
        v = number(g["m"])
        minute = int(v) if v is not None else 0
    if minute >= 60:
        return None
    ap = g.get("ap") or ""
    fixed = hour > 12 or hour == 0
    if g.get("pm") is not None:  # Thai บ่าย: afternoon
        hour, fixed = (hour + 12 if hour < 12 else hour), True
    elif g.get("night") is not None:  # Thai ทุ่ม counts from 18:00
        hour, fixed = hour + 18, True
    elif ap in _PM or ap.replace(".", "") == "pm" or ap == "เย็น":
        hour, fixed = (hour + 12 if hour < 12 else hour), True
    elif ap in _AM or ap.replace(".", "") == "am" or ap == "เช้า":
        hour, fixed = (0 if hour == 12 else hour), True
    elif ap in ("น.", "นาฬิกา"):
        fixed = True
    if hour >= 24:
        return None
    return Clock(m.start(), m.end(), hour, minute, fixed)


def _hour(s: str) -> int | None:
    if s in _HOUR_WORDS_KO:
        return _HOUR_WORDS_KO[s]
    v = number(s)
    return int(v) if v is not None else None


def minutes_after(c: Clock, at: dt.datetime) -> int:
    """Minutes from `at` to the clock time `c` on that day: the reading nearest after `at`."""
    hours = [c.hour] if c.fixed else [c.hour % 12, c.hour % 12 + 12]
    deltas = []
    for h in hours:
        when = at.replace(hour=h, minute=c.minute, second=0, microsecond=0)
        deltas.append(int((when - at).total_seconds() // 60))
    ahead = [d for d in deltas if d >= 0]
    return min(ahead) if ahead else max(deltas)


def late_by(t: str, appointment: dt.datetime | None) -> tuple[int | None, list[Clock]]:
    """How many minutes after the appointment the arrival time in `t` is (0 when not after it).

    With `appointment` unknown, two times in the text are the appointment and the arrival ("my
    appointment is at 3, I'll be there at 3:20"). Also returns the times found."""
    found = find(t)
    if appointment is not None and found:
        arrival = found[-1]
        return max(0, minutes_after(arrival, appointment)), found
    if len(found) >= 2:
        first, last = found[0], found[-1]
        # Clinics see people from 7 in the morning: "at 3" is 15:00, "at 10" is 10:00.
        hour = first.hour if first.fixed or first.hour >= 7 else first.hour + 12
        base = dt.datetime(2000, 1, 1, hour, first.minute)
        late = minutes_after(last, base)
        return (late if 0 < late <= 6 * 60 else None), found
    return None, found
