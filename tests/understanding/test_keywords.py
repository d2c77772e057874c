"""bot.dialogs.keywords: the typed ways out and answers the dialogs check in every state."""

from __future__ import annotations

import pytest

from bot.dialogs.keywords import is_menu, is_no, is_yes, option_number, wants_human


@pytest.mark.parametrize(
    ("text", "human"),
    [
        ("talk to a person", True),
        ("human", True),
        ("Can I speak to someone?", True),
        ("担当者と話したい", True),
        ("转人工", True),
        ("我要人工客服", True),
        ("상담원 연결해 주세요", True),
        ("사람", True),
        ("ขอคุยกับเจ้าหน้าที่", True),
        ("cho em gặp nhân viên", True),
        ("人工授精について", False),
        ("人工授精的费用", False),
        ("사람이 많아서 늦을 것 같아요", False),
        ("the staff were very kind", False),
        ("友人と話してから決めます", False),
        ("เจ้าหน้าที่ใจดีมาก", False),
        ("nhân viên rất tốt", False),
    ],
)
def test_wants_human(text: str, human: bool) -> None:
    assert wants_human(text) is human


def test_menu_is_the_whole_word() -> None:
    assert is_menu("Menu") and is_menu("メニュー")
    assert not is_menu("the menu was great")


@pytest.mark.parametrize(
    "text", ["yes please", "はい、お願いします", "ได้ค่ะ", "đúng rồi", "係", "네 맞아요", "冇問題"]
)
def test_is_yes(text: str) -> None:
    assert is_yes(text) and not is_no(text)


@pytest.mark.parametrize(
    "text", ["no thanks", "いいえ、大丈夫です", "아니요 괜찮아요", "ไม่เป็นไร", "不是", "唔使", "not yet"]
)
def test_is_no(text: str) -> None:
    assert is_no(text) and not is_yes(text)


@pytest.mark.parametrize("text", ["yes but how much is the fee?", "はい、でも日にちを変えたいです", "hmm"])
def test_neither_when_it_asks_or_adds_but(text: str) -> None:
    assert not is_yes(text) and not is_no(text)


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("2", 2),
        ("２", 2),
        ("number 2 please", 2),
        ("2番", 2),
        ("2번이요", 2),
        ("ข้อ 2", 2),
        ("số 2", 2),
        ("第二个", 2),
    ],
)
def test_option_number(text: str, n: int) -> None:
    assert option_number(text) == n


@pytest.mark.parametrize("text", ["20日", "the first", "12/20", "BK-1001", "2 people"])
def test_no_option_number(text: str) -> None:
    assert option_number(text) is None


def test_a_word_inside_a_word_does_not_hand_over() -> None:
    assert not wants_human("人工授精について聞きたいです")
    assert not wants_human("사람이 많아서 늦을 것 같아요")


@pytest.mark.parametrize("text", ["能帮我转一下人工吗", "我想直接跟工作人员说", "可以联系你们的工作人员吗"])
def test_regression_asking_for_staff_in_chinese_is_a_person(text: str) -> None:
    assert wants_human(text)
