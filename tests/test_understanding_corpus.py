"""The labelled corpus: intent accuracy at least 90%, minutes and dates exact where it names them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.understanding import INTENTS, LANGUAGES, understand
from bot.understanding.evaluate import Case, CorpusError, evaluate, load

CORPUS = Path(__file__).parent / "understanding" / "corpus.tsv"
MIN_INTENT_ACCURACY = 0.90


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load(CORPUS)


def test_corpus_is_large_and_spread(cases: list[Case]) -> None:
    assert len(cases) >= 300
    languages = Counter(c.language for c in cases)
    intents = Counter(c.intent for c in cases)
    assert {lang: n for lang, n in languages.items() if n < 40} == {}
    assert set(languages) == set(LANGUAGES)
    assert {i: n for i, n in intents.items() if n < 25} == {}
    assert set(intents) == set(INTENTS)
    # every language has every intent
    pairs = {(c.language, c.intent) for c in cases}
    assert {(lang, i) for lang in LANGUAGES for i in INTENTS} - pairs == set()


def test_intent_accuracy(cases: list[Case]) -> None:
    report = evaluate(cases)
    wrong = [f"{m.case.line}: {m.case.text} -> {m.got.intent}" for m in report.misses if "intent" in m.fields]
    assert report.intent_accuracy >= MIN_INTENT_ACCURACY, "\n".join(wrong)


def test_minutes_and_dates_exact_where_named(cases: list[Case]) -> None:
    wrong = []
    for c in cases:
        got = understand(c.text, c.now)
        if c.minutes_late is not None and got.minutes_late != c.minutes_late:
            wrong.append(f"{c.line}: {c.text} -> minutes {got.minutes_late}, want {c.minutes_late}")
        if c.date is not None and got.date != c.date:
            wrong.append(f"{c.line}: {c.text} -> date {got.date}, want {c.date}")
    assert wrong == []


def test_few_invented_minutes_or_dates(cases: list[Case]) -> None:
    got = [(c, understand(c.text, c.now)) for c in cases]
    invented = [
        f"{c.line}: {c.text}"
        for c, g in got
        if (c.minutes_late is None and g.minutes_late is not None) or (c.date is None and g.date is not None)
    ]
    assert len(invented) <= len(cases) // 50, "\n".join(invented)


def test_language_detection(cases: list[Case]) -> None:
    # Short Chinese written only with characters both scripts share cannot be told apart; the
    # platform's language decides those. Everything else must be right.
    wrong = [c for c in cases if understand(c.text, c.now).language != c.language]
    assert len(wrong) <= len(cases) // 100


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("hello\ten\tother\t-\t-\n", "no '# now:'"),
        ("# now: 2025-12-18T10:00:00\n", "UTC offset"),
        ("# now: 2025-12-18T10:00:00+09:00\nhello\ten\tother\n", "5 tab-separated"),
        ("# now: 2025-12-18T10:00:00+09:00\nhello\tfr\tother\t-\t-\n", "language"),
        ("# now: 2025-12-18T10:00:00+09:00\nhello\ten\tgreeting\t-\t-\n", "intent"),
        ("# now: 2025-12-18T10:00:00+09:00\nlate\ten\tlate\tten\t-\n", "line 2"),
        ("# now: 2025-12-18T10:00:00+09:00\nmonday\ten\tother\t-\t2025-13-01\n", "line 2"),
    ],
)
def test_corpus_format_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        load(path)
