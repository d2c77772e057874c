"""One typed reply read against what the open question expects. Pure and offline.

A dialog declares what its question expects (`Expect`): yes or no, one of its buttons, a date, a
date of birth, a booking reference, minutes late, or free text. `read` returns one `Reading`: the
answer, or `NoFit` with the reason, so the re-ask can say what is expected. A reply that answers and
also asks ("yes, but how much is the fee?") is `NoFit("question", question_about=..., then=Yes())`:
the dialog answers the question and asks again, it never takes such a yes as a confirmation.
A yes is only ever read for a question that takes one (kind "yes_no", or "option" with a button
whose `means` is "yes"); for a date, a reference or minutes, "yes" does not fit.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.understanding import birthdates, clock, dates, durations, options, references, topics, yesno
from bot.understanding.text import normalize, strip_latin_marks

__all__ = [
    "AmbiguousDate",
    "DateAnswer",
    "Expect",
    "FreeText",
    "Minutes",
    "No",
    "NoFit",
    "Option",
    "Picked",
    "Reading",
    "Reference",
    "Yes",
    "read",
]

JST = ZoneInfo("Asia/Tokyo")
KINDS = ("yes_no", "option", "date", "birth_date", "reference", "minutes", "free_text")
_MAX_CHARS = 500
_MAX_LATE = 24 * 60


@dataclass(frozen=True, slots=True)
class Option:
    """One button of the open question, as the customer saw it."""

    id: str
    labels: tuple[str, ...]  # its label rendered in the customer's locale, and in English (source text)
    means: str | None = None  # "yes" | "no" | None: what pressing it means


@dataclass(frozen=True, slots=True)
class Expect:
    kind: str  # one of KINDS
    options: tuple[Option, ...] = ()
    appointment_at: dt.datetime | None = None  # for "minutes": "I'll be there at 3:20" is minutes after it


@dataclass(frozen=True, slots=True)
class Yes:
    pass


@dataclass(frozen=True, slots=True)
class No:
    pass


@dataclass(frozen=True, slots=True)
class Picked:
    option_id: str


@dataclass(frozen=True, slots=True)
class DateAnswer:
    date: dt.date
    also: tuple[dt.date, ...] = ()  # further dates named ("the 20th or the 23rd"), in order
    rejected: tuple[dt.date, ...] = ()  # dates named as not meant ("not the 18th", "18日じゃなくて")
    # "all": the dates replace every earlier one ("only the 20th"); "last": they correct the last one
    # given ("actually the 20th"); "": they are added.
    replaces: str = ""


@dataclass(frozen=True, slots=True)
class AmbiguousDate:
    candidates: tuple[dt.date, ...]  # day-first reading first: ask which one is meant


@dataclass(frozen=True, slots=True)
class Reference:
    text: str  # canonical: upper case, parts joined by hyphens ("BK-1001")

    @property
    def key(self) -> str:
        """Without hyphens: compare with a stored reference's `references.compact(...)`."""
        return references.compact(self.text)


@dataclass(frozen=True, slots=True)
class Minutes:
    minutes: int  # 0 when the arrival time given is not after the appointment


@dataclass(frozen=True, slots=True)
class FreeText:
    text: str


@dataclass(frozen=True, slots=True)
class NoFit:
    # empty | no_match | ambiguous | unsure | question | qualified | no_year | future | past | too_long_ago
    reason: str
    question_about: str | None = None  # with reason "question": "fee" | "medical" | "other"
    then: Yes | No | Picked | None = None  # the answer that came with the question or the "but ..."


Reading = Yes | No | Picked | DateAnswer | AmbiguousDate | Reference | Minutes | FreeText | NoFit


def read(text: str, expect: Expect, *, locale: str, now: dt.datetime) -> Reading:
    """Read one typed reply against `expect`, for a customer writing in `locale`, received at `now`."""
    if expect.kind not in KINDS:
        raise ValueError(f"unknown expectation {expect.kind!r}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    text = text[:_MAX_CHARS]
    if not normalize(text):
        return NoFit("empty")
    if expect.kind == "free_text":
        return FreeText(text.strip())
    today = now.astimezone(JST).date()
    if expect.kind in ("yes_no", "option"):
        return _choice(text, expect, locale, today)
    if expect.kind == "date":
        return _date(text, locale, today)
    if expect.kind == "birth_date":
        return _birth_date(text, locale, today)
    if expect.kind == "reference":
        return _reference(text)
    # A clock time is read on the clinic's clock: the customer arriving is in Japan.
    at = expect.appointment_at.astimezone(JST) if expect.appointment_at is not None else None
    return _minutes(text, at)


def _asked(text: str) -> NoFit | None:
    t = normalize(text)
    if yesno.is_question(t) and not yesno.classify(text).value:
        return NoFit("question", question_about=topics.question_about(text))
    return None


def _choice(text: str, expect: Expect, locale: str, today: dt.date) -> Reading:
    yn = yesno.classify(text)
    index = _pick(text, expect.options, yn, locale, today)
    picked: Yes | No | Picked | None = None
    if index is not None:
        option = expect.options[index]
        picked = _as_answer(option, expect.kind)
    elif yn.value:
        picked = _by_meaning(yn.value, expect)
    if yn.question:
        return NoFit("question", question_about=topics.question_about(text), then=picked)
    if yn.qualified:
        return NoFit("qualified", then=picked)
    if picked is not None:
        return picked
    if yn.unsure:
        return NoFit("unsure")
    if yn.ambiguous:
        return NoFit("ambiguous")
    return NoFit("no_match")


def _as_answer(option: Option, kind: str) -> Yes | No | Picked:
    if kind == "yes_no" and option.means == "yes":
        return Yes()
    if kind == "yes_no" and option.means == "no":
        return No()
    return Picked(option.id)


def _by_meaning(value: str, expect: Expect) -> Yes | No | Picked | None:
    """A typed yes or no: Yes/No for a yes/no question, the button that means it for an option question."""
    matching = [o for o in expect.options if o.means == value]
    if expect.kind == "yes_no":
        return Yes() if value == "yes" else No()
    return Picked(matching[0].id) if len(matching) == 1 else None


def _pick(text: str, opts: tuple[Option, ...], yn: yesno.YesNo, locale: str, today: dt.date) -> int | None:
    if not opts:
        return None
    n = options.option_number(text, len(opts))
    if n is not None:
        return n - 1
    typed = options.key(text)
    exact = [i for i, o in enumerate(opts) if any(options.key(label) == typed for label in o.labels)]
    if len(exact) == 1:
        return exact[0]
    labels = [o.labels for o in opts]
    by_ref = options.by_reference(text, labels)
    if by_ref is not None:
        return by_ref
    by_date = options.by_date(text, labels, locale, today)
    by_content, score = options.best_by_content(text, labels)
    if by_date is not None and by_content is not None and by_date != by_content:
        return None
    found = by_date if by_date is not None else by_content
    if found is None:
        return _affirmed_action(text, opts, yn)
    means = opts[found].means
    if by_date is None and means is None and yn.strong and score < 2:
        # A clear yes or no whose words only brush a third button's label ("ยอมรับค่ะ" beside "กลับไปที่
        # เมนู"): the yes or no is the answer, not that button.
        meant = [i for i, o in enumerate(opts) if o.means == yn.value]
        if len(meant) == 1:
            return meant[0]
    if yn.value is None or means is None or means == yn.value or not yn.strong:
        return found
    if means == "yes" and yn.value == "no":
        # "don't cancel", "キャンセルしないで", "không hủy": not the yes-button's action, so the no-button.
        others = [i for i, o in enumerate(opts) if o.means == "no"]
        return others[0] if len(others) == 1 else None
    return None  # a clear yes to the no-button's words: ask again rather than guess


# "Wait, don't send it yet": a hold, not a go-ahead.
_WAIT = re.compile(
    r"\b(?:wait|hold on|hang on|not yet|later)\b|待って|まって|ちょっと待|まだ|等一下|等等|先别|先別|等陣|잠깐|잠시만|아직|"
    r"เดี๋ยว|รอก่อน|ยังไม่|khoan|đợi đã|chờ đã|chưa"
)


def _affirmed_action(text: str, opts: tuple[Option, ...], yn: yesno.YesNo) -> int | None:
    """ "发送吧", "gửi đi ạ", "send it": the action of the yes-button, whose no-button is the same verb
    negated ("不发送", "đừng gửi"). Said without a negation, it is the yes."""
    if yn.value is not None or yn.question or yn.unsure or _WAIT.search(normalize(text)):
        return None
    scores = options.content_scores(text, [o.labels for o in opts])
    top = max(scores, default=0)
    best = {i for i, sc in enumerate(scores) if sc == top}
    means = {opts[i].means for i in best}
    if top < 1 or means != {"yes", "no"} or len(best) != 2:
        return None
    return next(i for i in best if opts[i].means == "yes")


def _date(text: str, locale: str, today: dt.date) -> Reading:
    t = normalize(text)
    plain = strip_latin_marks(t)
    found = dates.find(t, plain, today, locale.replace("_", "-"), dots=True)
    if not found:
        return _asked(text) or NoFit("no_match")
    named = [d for _, _, d in dates.wanted(found, plain)]
    upcoming = list(dict.fromkeys(d for d in named if d >= today))
    if not upcoming:
        return NoFit("past" if named else "no_match")
    rejected = tuple(d for d in dates.rejected(found, plain, today) if d not in upcoming)
    return DateAnswer(upcoming[0], tuple(upcoming[1:]), rejected, dates.replaces(t, plain))


def _birth_date(text: str, locale: str, today: dt.date) -> Reading:
    t = birthdates.prepare(normalize(text))
    found = birthdates.find(t, locale, today)
    if not found:
        if birthdates.PARTIAL.search(t):
            return NoFit("no_year")
        return _asked(text) or NoFit("no_match")
    readings = tuple(d for d in found[0][2] if dt.date(1900, 1, 1) <= d <= today)
    if not readings:
        return NoFit("future" if found[0][2][0] > today else "too_long_ago")
    if len(readings) > 1:
        return AmbiguousDate(readings)
    return DateAnswer(readings[0])


def _reference(text: str) -> Reading:
    found = references.candidates(text)
    if not found:
        return _asked(text) or NoFit("no_match")
    if yesno.classify(text).value and not any(ch.isdigit() or ch in "-－ー" for ch in text):
        return NoFit("no_match")  # "dung roi" is a yes typed without marks, not a reference
    return Reference(found[0])


def _minutes(text: str, appointment: dt.datetime | None) -> Reading:
    t = normalize(text)
    late, times = clock.late_by(t, appointment)
    rest = t
    for c in reversed(times):
        rest = rest[: c.start] + " " * (c.end - c.start) + rest[c.end :]
    duration = durations.minutes(rest)
    if duration is not None and 0 <= duration <= _MAX_LATE:
        return Minutes(duration)
    if late is not None and late <= _MAX_LATE:
        return Minutes(late)
    bare = options.key(text)
    if bare.isdigit() and int(bare) <= _MAX_LATE:
        return Minutes(int(bare))  # "20" answering "how many minutes late?"
    return _asked(text) or NoFit("no_match")
