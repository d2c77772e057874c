"""circumstance_category() and asks_about_fee(): held-out texts (cues_heldout.tsv), written before either
function and scored once without tuning: 59/59. Plus the cases they were developed on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.understanding.topics import CATEGORIES, asks_about_fee, circumstance_category, medical_question

ROWS = [
    line.rstrip("\n").split("\t")
    for line in (Path(__file__).parent / "cues_heldout.tsv").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


def test_held_out() -> None:
    wrong = []
    for function, text, want in ROWS:
        got = (
            circumstance_category(text)
            if function == "category"
            else ("yes" if asks_about_fee(text) else "no")
        )
        if got != want:
            wrong.append(f"{function}: {text} -> {got}, want {want}")
    assert {want for f, _, want in ROWS if f == "category"} == set(CATEGORIES)
    assert len(wrong) <= len(ROWS) // 20, "\n".join(wrong)


@pytest.mark.parametrize(
    ("text", "fee"),
    [
        ("how much is the fee?", True),
        ("キャンセル料はいくら?", True),
        ("要收费吗", True),
        ("수수료 있어요?", True),
        ("เสียค่าธรรมเนียมไหม", True),
        ("có mất phí không", True),
        ("I paid the fee yesterday", False),
        ("手数料を払いました", False),
    ],
)
def test_asks_about_fee(text: str, fee: bool) -> None:
    assert asks_about_fee(text) is fee


@pytest.mark.parametrize(
    ("text", "medical"),
    [
        ("is botox safe while breastfeeding?", True),
        ("How long is the downtime after rhinoplasty?", True),
        ("整形後のダウンタイムはどのくらいですか", True),
        ("Is the clinic safe to walk to at night?", False),
        ("I want to cancel the surgery", False),
    ],
)
def test_medical_question(text: str, medical: bool) -> None:
    assert medical_question(text) is medical


def test_category_of_nothing_special_is_other() -> None:
    assert circumstance_category("hello") == "other"
