"""Medical questions that name conditions, medications or treatments the cue lists do not know
(issue 12, third held-out set: 甲亢 + 热玛吉): a condition or a medication or a pregnancy, and whether
the treatment is still fine, is a medical question in every language."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.understanding import topics, understand

NOW = dt.datetime(2026, 3, 4, 1, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "typed",
    [
        "I have Graves disease and take methimazole, is HIFU still ok for me?",
        "i'm on accutane, would that affect my ultherapy session?",
        "I have a heart condition - can I still get the emsculpt thing?",
        "橋本病で薬を飲んでいるのですが、ハイフを受けても大丈夫ですか？",
        "持病の喘息がありますが、ポテンツァは受けられますか",
        "我有糖尿病，做超声刀会不会有影响？",
        "我有紅斑狼瘡，長期食緊藥，做皮秒可唔可以？",
        "갑상선 약 복용 중인데 써마지 받아도 되나요?",
        "당뇨가 있는데 울쎄라 받을 수 있나요?",
        "ฉันเป็นไทรอยด์ กินยาอยู่ ทำอัลเธอราได้ไหมคะ",
        "em bị cường giáp đang uống thuốc, làm thermage có ảnh hưởng gì không ạ?",
        "chị bị tiểu đường thì làm HIFU có sao không?",
    ],
)
def test_a_question_about_a_condition_and_a_treatment_is_medical(typed: str) -> None:
    assert topics.medical_question(typed), typed
    u = understand(typed, NOW)
    assert u.intent == "medical_question", u


@pytest.mark.parametrize(
    "typed",
    [
        "I have a fever, I can't come tomorrow",
        "熱が出たので明日は行けません",
        "我生病了，明天去不了",
        "can I still change my booking?",
        "is it ok to pay by card?",
        "카드로 결제해도 되나요?",
        "đổi lịch được không ạ?",
    ],
)
def test_an_illness_report_or_another_question_is_not_medical(typed: str) -> None:
    assert not topics.medical_question(typed), typed
