"""bot.understanding.answers: typed replies read against the open question, in the seven languages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.understanding import answers as a
from bot.understanding.answers import Expect, Option, read
from tests.understanding.answer_sets import NOW, expect, load, matches

HERE = Path(__file__).parent
DEV = load(str(HERE / "answers_dev.tsv"))
LOCALES = ("ja", "en", "zh_Hans", "zh_Hant", "ko", "th", "vi")


@pytest.mark.parametrize(("line", "spec", "locale", "text", "want"), DEV, ids=[f"{c[0]}" for c in DEV])
def test_dev_case(line: int, spec: str, locale: str, text: str, want: str) -> None:
    got = read(text, expect(spec, locale), locale=locale, now=NOW)
    assert matches(got, want), f"line {line}: {text!r} -> {got}, want {want}"


def test_dev_cases_cover_every_language_and_kind() -> None:
    pairs = {(locale, spec.split(":")[0].split("@")[0].split("+")[0]) for _, spec, locale, _, _ in DEV}
    kinds = ("yes_no", "option", "birth_date", "reference", "minutes", "date")
    assert {(lo, k) for lo in LOCALES for k in kinds} - pairs == set()


def test_readings_are_frozen_and_reference_has_a_key() -> None:
    ref = read("bk 1001", Expect("reference"), locale="en", now=NOW)
    assert ref == a.Reference("BK-1001")
    assert isinstance(ref, a.Reference) and ref.key == "BK1001"
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.text = "X"  # type: ignore[misc]


def test_question_carries_what_it_is_about_and_the_answer() -> None:
    got = read("はい、でもキャンセル料はいくらですか？", Expect("yes_no"), locale="ja", now=NOW)
    assert got == a.NoFit("question", question_about="fee", then=a.Yes())


def test_several_dates_are_all_kept_in_order() -> None:
    got = read("the 20th or the 23rd", Expect("date"), locale="en", now=NOW)
    assert got == a.DateAnswer(dt.date(2025, 12, 20), (dt.date(2025, 12, 23),))


def test_arrival_before_the_appointment_is_zero_minutes() -> None:
    at = NOW.replace(hour=15)
    assert read(
        "I'll be there at 2:50", Expect("minutes", appointment_at=at), locale="en", now=NOW
    ) == a.Minutes(0)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="expectation"):
        read("yes", Expect("colour"), locale="en", now=NOW)
    with pytest.raises(ValueError, match="aware"):
        read("yes", Expect("yes_no"), locale="en", now=dt.datetime(2025, 12, 18, 10))


YES_OPTIONS = (Option("go", ("Yes, go ahead",), "yes"), Option("stop", ("No, stop",), "no"))
YES_WORDS = (
    "yes",
    "ok",
    "はい",
    "네",
    "好的",
    "係",
    "ได้ค่ะ",
    "có",
    "đúng rồi",
    "sure",
    "お願いします",
    "可以",
)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(a.KINDS),
    text=st.one_of(st.sampled_from(YES_WORDS), st.text(max_size=40)),
    with_yes_button=st.booleans(),
    locale=st.sampled_from(LOCALES),
)
def test_a_yes_only_answers_a_question_that_takes_one(
    kind: str, text: str, with_yes_button: bool, locale: str
) -> None:
    opts = YES_OPTIONS if with_yes_button else (Option("a", ("Treatment",)), Option("b", ("Surgery",)))
    got = read(text, Expect(kind, opts, NOW.replace(hour=15)), locale=locale, now=NOW)
    yes_ids = {o.id for o in opts if o.means == "yes"}
    said_yes = isinstance(got, a.Yes) or (isinstance(got, a.Picked) and got.option_id in yes_ids)
    if said_yes:
        assert kind == "yes_no" or (kind == "option" and with_yes_button)
    if isinstance(got, a.NoFit) and got.then is not None:
        assert kind in ("yes_no", "option")


@pytest.mark.parametrize("kind", ["date", "birth_date", "reference", "minutes"])
@pytest.mark.parametrize("text", YES_WORDS)
def test_a_yes_is_no_answer_to_other_questions(kind: str, text: str) -> None:
    assert isinstance(read(text, Expect(kind, (), NOW), locale="en", now=NOW), a.NoFit)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="qwxzjvk#%&*", min_size=1, max_size=30), kind=st.sampled_from(a.KINDS[:-1]))
def test_garbage_does_not_fit(text: str, kind: str) -> None:
    opts = YES_OPTIONS if kind in ("yes_no", "option") else ()
    got = read(text, Expect(kind, opts, NOW), locale="en", now=NOW)
    assert isinstance(got, a.NoFit | a.Reference) and not isinstance(got, a.Yes)
    if kind != "reference":
        assert isinstance(got, a.NoFit)


def test_fast() -> None:
    cases = [(expect(spec, lo), lo, text) for _, spec, lo, text, _ in DEV]
    for e, lo, text in cases:  # warm up
        read(text, e, locale=lo, now=NOW)
    started = time.perf_counter()
    for e, lo, text in cases:
        read(text, e, locale=lo, now=NOW)
    per_reply_ms = (time.perf_counter() - started) * 1000 / len(cases)
    assert per_reply_ms < 1.0
