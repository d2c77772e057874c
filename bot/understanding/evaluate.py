"""Scoring `understand` against a labelled corpus (tests/understanding/corpus.tsv).

Corpus format: UTF-8, one message per line, tab-separated `text language intent minutes_late date`,
`-` for "none" in the last two. `# now: ISO8601` sets the receipt time for the lines after it (dates
are expected relative to it); other `#` lines and blank lines are comments.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.understanding import INTENTS, LANGUAGES, Understanding, understand


class CorpusError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Case:
    line: int
    text: str
    language: str
    intent: str
    minutes_late: int | None
    date: dt.date | None
    now: dt.datetime


@dataclass(slots=True)
class Miss:
    case: Case
    got: Understanding
    fields: tuple[str, ...]


@dataclass(slots=True)
class Report:
    total: int = 0
    intent_ok: int = 0
    language_ok: int = 0
    minutes_ok: int = 0
    dates_ok: int = 0
    by_language: Counter[str] = field(default_factory=Counter)
    by_language_ok: Counter[str] = field(default_factory=Counter)
    by_intent: Counter[str] = field(default_factory=Counter)
    by_intent_ok: Counter[str] = field(default_factory=Counter)
    misses: list[Miss] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.intent_ok / self.total if self.total else 0.0

    def format(self, show_misses: bool = True) -> str:
        def pct(ok: int, n: int) -> str:
            return f"{100 * ok / n:5.1f}% ({ok}/{n})" if n else "    -"

        lines = [f"messages: {self.total}", "", "intent accuracy by language:"]
        lines += [f"  {k:8} {pct(self.by_language_ok[k], self.by_language[k])}" for k in LANGUAGES]
        lines += ["", "intent accuracy by intent:"]
        lines += [f"  {k:21} {pct(self.by_intent_ok[k], self.by_intent[k])}" for k in INTENTS]
        lines += [
            "",
            f"intent overall:       {pct(self.intent_ok, self.total)}",
            f"language detection:   {pct(self.language_ok, self.total)}",
            f"minutes late exact:   {pct(self.minutes_ok, self.total)}",
            f"date exact:           {pct(self.dates_ok, self.total)}",
        ]
        if show_misses and self.misses:
            lines += ["", "misses (line: text -> what differs):"]
            for m in self.misses:
                diffs = ", ".join(
                    f"{f}={_show(getattr(m.got, f))} (want {_show(getattr(m.case, f))})" for f in m.fields
                )
                lines.append(f"  {m.case.line}: {m.case.text} -> {diffs}")
        return "\n".join(lines)


def _show(v: object) -> str:
    return "-" if v is None else str(v)


def load(path: Path) -> list[Case]:
    cases: list[Case] = []
    now: dt.datetime | None = None
    for no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if raw.startswith("# now:"):
            now = _aware(raw.removeprefix("# now:").strip(), no)
            continue
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) != 5:
            raise CorpusError(f"line {no}: expected 5 tab-separated fields, got {len(parts)}")
        text, language, intent, minutes, date = parts
        if now is None:
            raise CorpusError(f"line {no}: no '# now:' line before the first message")
        if language not in LANGUAGES:
            raise CorpusError(f"line {no}: unknown language {language!r}")
        if intent not in INTENTS:
            raise CorpusError(f"line {no}: unknown intent {intent!r}")
        try:
            m = None if minutes == "-" else int(minutes)
            d = None if date == "-" else dt.date.fromisoformat(date)
        except ValueError as e:
            raise CorpusError(f"line {no}: {e}") from None
        cases.append(Case(no, text, language, intent, m, d, now))
    return cases


def _aware(value: str, no: int) -> dt.datetime:
    try:
        now = dt.datetime.fromisoformat(value)
    except ValueError as e:
        raise CorpusError(f"line {no}: {e}") from None
    if now.tzinfo is None:
        raise CorpusError(f"line {no}: '# now:' needs a UTC offset")
    return now


def evaluate(cases: Iterable[Case]) -> Report:
    r = Report()
    for c in cases:
        got = understand(c.text, c.now)
        r.total += 1
        r.by_language[c.language] += 1
        r.by_intent[c.intent] += 1
        wrong: list[str] = []
        if got.intent == c.intent:
            r.intent_ok += 1
            r.by_language_ok[c.language] += 1
            r.by_intent_ok[c.intent] += 1
        else:
            wrong.append("intent")
        for name, attr in (("language", "language_ok"), ("minutes_late", "minutes_ok"), ("date", "dates_ok")):
            if getattr(got, name) == getattr(c, name):
                setattr(r, attr, getattr(r, attr) + 1)
            else:
                wrong.append(name)
        if wrong:
            r.misses.append(Miss(c, got, tuple(wrong)))
    return r
