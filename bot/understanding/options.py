"""Which button of the open question a typed reply means: its number, its label (or the words of it
that tell it from the others), its reference or date, or a yes or no for a yes- or no-button."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.understanding import birthdates, dates, references, yesno
from bot.understanding.durations import number
from bot.understanding.text import normalize, strip_latin_marks

_WORDS = re.compile(r"[a-z]+")
_RUNS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af\u0e00-\u0e7f]+")
_LATIN_STOP = frozenset(
    """the a an my your it its one this that please pls no yes to of on in for and is i me want would like
    ok option number booking appointment lich cai cua toi em giup chi anh nhe nha voi cho so hen
    """.split()
)
_POLITE_END = re.compile(
    r"(?:\s|[.,!?。、，！？~])*(?:please|pls|thanks|ạ|a|nhé|nha|ค่ะ|คะ|ครับ|นะคะ|นะครับ|นะ|요|이요|입니다|です|でお願いします|"
    r"お願いします|吧|啦|喇|呀|啊|唔該)?(?:\s|[.,!?。、，！？~])*$"
)

# fmt: off
_ORDINAL_WORDS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5, "5th": 5,
    "最初": 1, "一番目": 1, "二番目": 2, "三番目": 3, "四番目": 4, "첫": 1, "두": 2, "세": 3, "네": 4, "다섯": 5,
    "แรก": 1, "dau tien": 1, "một": 1, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "bốn": 4,
}
_NUMBER_PATTERNS = (
    re.compile(r"^\s*(?P<n>\d{1,2})\s*$"),
    re.compile(r"\b(?:number|no\.?|num|option|choice|#)\s*(?P<n>\d{1,2})\b"),
    re.compile(r"#\s*(?P<n>\d{1,2})\b"),
    re.compile(r"(?<!\d)(?P<n>\d{1,2})\s*(?:番目|番|つ目|個目)"),
    re.compile(r"(?<!\d)(?P<n>\d{1,2})\s*(?:번째|번)(?:이요|요|으로|을|를|이|입니다|이에요)?(?![가-힣])"),
    re.compile(r"(?:ข้อ|ตัวเลือกที่|อันที่|ทางเลือกที่|หมายเลข|ลำดับที่)\s*(?P<n>\d{1,2}|หนึ่ง|สอง|สาม|สี่|ห้า)"),
    re.compile(r"(?<![a-z])(?:so|lua chon|phuong an|cai thu|option thu|lua chon thu)\s+(?P<n>\d{1,2}|mot|hai|ba|bon|nam)(?![a-z\d])"),
    # Not "第三方" (a third party), "第一次" (the first time), "第一时间" (at once), "第二天" (the next day).
    re.compile(
        r"第\s*(?P<n>\d{1,2}|[一二三四五六七八九十]{1,3})\s*"
        r"(?:个|個|项|項|条|條|番|号|號|种|種|位|(?![方者次天日周週年期季晚节節代轮輪届屆名时時手胎\d]))"
    ),
    re.compile(r"(?:选|選|揀|拣|要)\s*(?P<n>\d|[一二三四五])(?![\d年月日号號点點分])"),
    re.compile(r"(?P<n>[一二三四五])\s*番目"),
)
# Ordinal words: "the first", "最初", "첫 번째". Not where a date could be meant ("the 1st" of a month).
_ORDINAL_PATTERNS = (
    re.compile(r"\bthe (?P<w>first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th)\b(?! (?:of|day|week|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))"),
    re.compile(r"^(?P<w>first|second|third|fourth|fifth)(?: one)?\b"),
    re.compile(r"(?P<w>最初|一番目|二番目|三番目|四番目)"),
    re.compile(r"(?P<w>첫|두|세|네|다섯)\s*번째"),
    re.compile(r"อัน(?P<w>แรก)"),
    re.compile(r"(?:cai|lich|option)?\s*(?P<w>dau tien)\b"),
)
# fmt: on


@dataclass(frozen=True, slots=True)
class Choice:
    """What the options reader made of a reply: an option index, or why none."""

    index: int | None
    reason: str = ""  # "" | "ambiguous" | "no_match" | "contradiction"


def option_number(text: str, count: int, *, ordinals: bool = True) -> int | None:
    """A typed option number, alone or in a phrase ("2", "number 2 please", "2番", "ข้อ 2", "第二个"), 1-based;
    with `ordinals`, also "the first", "最初の", "두 번째"."""
    t = _POLITE_END.sub("", normalize(text))
    plain = strip_latin_marks(t)
    for rx in _NUMBER_PATTERNS + (_ORDINAL_PATTERNS if ordinals else ()):
        m = rx.search(plain)
        if not m:
            continue
        raw = m.groupdict().get("n") or m.groupdict().get("w") or ""
        n = _ORDINAL_WORDS.get(raw)
        if n is None:
            v = number(raw)
            n = int(v) if v is not None else None
        if n is not None and 1 <= n <= count:
            return n
    return None


def key(text: str) -> str:
    """A label or a reply as compared whole: normalized, without punctuation, spaces or a polite ending."""
    t = _POLITE_END.sub("", normalize(text))
    return re.sub(r"[\W_]+", "", strip_latin_marks(t))


def tokens(text: str, *, drop_answers: bool) -> set[str]:
    """Content tokens: Latin words (their first five letters) and character pairs of other scripts.

    With `drop_answers`, yes/no words and politeness are taken out first: what is left of "はい、キャン
    セルする" is what tells that button from "いいえ、予約はそのまま"."""
    t = normalize(text)
    for rx in (refs_rx, _DIGITS, _CONTENT_FILLER):
        t = rx.sub(" ", t)
    if drop_answers:
        t = yesno.mask_answers(t)
    plain = strip_latin_marks(t)
    out = {w[:5] for w in _WORDS.findall(plain) if len(w) >= 3 and w not in _LATIN_STOP}
    for run in _RUNS.findall(t):
        # Two Chinese, Japanese or Korean characters are mostly a word; two Thai letters are not (ตกลง
        # "agreed" and กลับ "back" share กล): Thai is compared by runs of three.
        n = 3 if "\u0e00" <= run[0] <= "\u0e7f" else 2
        if len(run) < n:
            out.add(run)
        out.update(p for i in range(len(run) - n + 1) if not _PARTICLE_PAIR.fullmatch(p := run[i : i + n]))
    return out


# Two kana across a particle ("には|そちら" and "予約は|その" share "はそ"): no word of either.
_PARTICLE_PAIR = re.compile(r"[はがをにでとのもへや][\u3040-\u309f]|[\u3040-\u309f][はがをにでとのもへや]")


refs_rx = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+")
_DIGITS = re.compile(r"\d+")
# Politeness that every label and reply may carry: it must not tell one button from another.
_CONTENT_FILLER = re.compile(
    r"해\s*주세요|주세요|드려요|드립니다|부탁|ください|お願いします|です|ます|请|請|吧|ค่ะ|ครับ|หน่อย|ให้|giúp|giùm|please"
)


@functools.lru_cache(maxsize=512)
def label_dates(labels: tuple[str, ...], today: dt.date) -> frozenset[dt.date]:
    """The dates a button's labels print (the same buttons are read again and again: cached)."""
    out: set[dt.date] = set()
    for label in labels:
        for _, _, readings in birthdates.find(birthdates.prepare(normalize(label)), "ja", today):
            out.update(readings[:1])
    return frozenset(out)


def text_dates(text: str, locale: str, today: dt.date) -> set[dt.date]:
    t = normalize(text)
    lang = locale.replace("_", "-")
    return {d for _, _, d in dates.find(t, strip_latin_marks(t), today, lang)}


def content_scores(text: str, labels: Sequence[Sequence[str]]) -> list[int]:
    """For each option, how many of its label's content tokens the text contains (Latin words count 2)."""
    said = tokens(text, drop_answers=False)
    return [
        sum(2 if tok.isascii() else 1 for tok in _label_tokens(tuple(option_labels)) & said)
        for option_labels in labels
    ]


def best_by_content(text: str, labels: Sequence[Sequence[str]]) -> tuple[int | None, int]:
    """The option whose distinctive label words the text contains most (unique best), and its score."""
    scores = content_scores(text, labels)
    top = max(scores, default=0)
    if top < 1 or scores.count(top) > 1:
        return None, top
    return scores.index(top), top


@functools.lru_cache(maxsize=512)
def _label_tokens(labels: tuple[str, ...]) -> frozenset[str]:
    out: set[str] = set()
    for label in labels:
        out |= tokens(label, drop_answers=True)
    return frozenset(out)


def by_reference(text: str, labels: Sequence[Sequence[str]]) -> int | None:
    typed = {references.compact(c) for c in references.candidates(text)}
    hits = [
        i
        for i, option_labels in enumerate(labels)
        if any(references.compact(r) in typed for label in option_labels for r in refs_rx.findall(label))
    ]
    return hits[0] if len(hits) == 1 else None


def by_date(text: str, labels: Sequence[Sequence[str]], locale: str, today: dt.date) -> int | None:
    named = text_dates(text, locale, today)
    if not named:
        return None
    hits = [i for i, option_labels in enumerate(labels) if label_dates(tuple(option_labels), today) & named]
    return hits[0] if len(hits) == 1 else None
