"""Typed words the dialogs recognise without bot.understanding: the global ways out in every state,
yes/no answers, and a keyword fallback for the menu's routing (when full understanding is absent)."""

from __future__ import annotations

import re
import unicodedata

# fmt: off
MENU_WORDS = frozenset(
    {"menu", "main menu", "start", "メニュー", "めにゅー", "菜单", "菜單", "메뉴", "เมนู", "danh mục", "menu chính"}
)
HUMAN_WORDS = (
    "talk to a person", "human", "agent", "operator", "real person", "staff",
    "担当者", "オペレーター", "人と話", "スタッフ", "人工", "客服", "真人", "상담원", "사람", "เจ้าหน้าที่",
    "nhân viên", "người thật",
)
YES_WORDS = frozenset(
    {"yes", "y", "yeah", "yep", "ok", "okay", "sure", "confirm", "please do", "はい", "ええ", "お願いします",
     "是", "是的", "好", "好的", "对", "對", "确认", "確認", "네", "예", "응", "ใช่", "ตกลง", "có", "vâng", "đồng ý",
     "ừ"}
)
NO_WORDS = frozenset(
    {"no", "n", "nope", "no thanks", "no thank you", "いいえ", "いや", "結構です", "不", "不是", "不要", "不用",
     "아니요", "아니", "아뇨", "ไม่", "ไม่ใช่", "không", "ko"}
)

# Keyword fallback for routing typed text at the menu, one list per intent (lower-case, NFKC).
# Special circumstances come first: "sick, must cancel" is a special case, not a plain cancellation.
INTENT_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("special_circumstance", (
        "sick", "sickness", "ill", "illness", "fever", "hospital", "injur", "accident", "typhoon", "earthquake",
        "disaster", "strike", "flight cancel", "emergency", "病気", "体調", "熱", "怪我", "けが", "入院", "台風",
        "地震", "災害", "欠航", "ストライキ", "生病", "发烧", "發燒", "受伤", "受傷", "台风", "颱風", "航班取消", "住院",
        "아프", "병원", "열이", "다쳤", "태풍", "지진", "결항", "ป่วย", "ไข้", "อุบัติเหตุ", "พายุ", "แผ่นดินไหว",
        "bệnh", "ốm", "sốt", "tai nạn", "bão", "động đất",
    )),
    ("late", (
        "late", "delay", "running behind", "遅れ", "遅刻", "遅く", "迟到", "遲到", "晚到", "늦", "지각", "สาย",
        "ไปช้า", "trễ", "muộn",
    )),
    ("change", (
        "change", "reschedule", "move my", "another date", "postpone", "変更", "日程", "延期", "改期", "更改",
        "改时间", "改時間", "변경", "연기", "เลื่อน", "เปลี่ยน", "đổi", "dời",
    )),
    ("cancel", ("cancel", "キャンセル", "取り消", "取消", "취소", "ยกเลิก", "hủy", "huỷ")),
    ("payment", (
        "pay", "payment", "paying", "invoice", "due date", "bank transfer", "支払", "払い", "入金", "振込", "付款",
        "支付", "缴费", "繳費", "결제", "입금", "จ่าย", "ชำระ", "โอนเงิน", "thanh toán", "chuyển khoản",
    )),
    ("privacy", (
        "privacy", "personal data", "personal information", "my data", "delete my", "個人情報", "プライバシー",
        "隐私", "隱私", "个人信息", "個人資料", "개인정보", "ข้อมูลส่วนตัว", "ความเป็นส่วนตัว", "dữ liệu cá nhân",
        "thông tin cá nhân",
    )),
)
# fmt: on
_DIGITS = re.compile(r"^\d{1,2}$")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().rstrip("!?.。！？ ")


def is_menu(text: str) -> bool:
    return normalize(text) in MENU_WORDS


def wants_human(text: str) -> bool:
    t = normalize(text)
    return any(w in t for w in HUMAN_WORDS) and len(t) <= 60


def is_yes(text: str) -> bool:
    return normalize(text) in YES_WORDS


def is_no(text: str) -> bool:
    return normalize(text) in NO_WORDS


def intent_of(text: str) -> str:
    """The first intent whose keyword occurs in the text, or "other" (ask, don't guess)."""
    t = normalize(text)
    if wants_human(t):
        return "human"
    for intent, words in INTENT_WORDS:
        if any(_has(t, w) for w in words):
            return intent
    return "other"


def _has(text: str, word: str) -> bool:
    # Latin keywords match at a word start ("ill" is not in "will"), short ones as whole words ("late"
    # is not "later"); other scripts have no spaces between words.
    if word.isascii():
        end = r"(?![a-z])" if len(word) <= 4 else ""
        return re.search(rf"(?<![a-z]){re.escape(word)}{end}", text) is not None
    return word in text


def option_number(text: str) -> int | None:
    """A typed option number ("2", "２"), as where buttons degrade to numbered lines."""
    t = normalize(text)
    return int(t) if _DIGITS.match(t) else None


GREETINGS = frozenset(
    {
        "hello",
        "hi",
        "hey",
        "good morning",
        "good afternoon",
        "good evening",
        "hello there",
        "こんにちは",
        "こんばんは",
        "おはようございます",
        "おはよう",
        "はじめまして",
        "もしもし",
        "你好",
        "您好",
        "哈囉",
        "哈啰",
        "안녕하세요",
        "안녕",
        "สวัสดี",
        "สวัสดีครับ",
        "สวัสดีค่ะ",
        "xin chào",
        "chào",
        "chào bạn",
        "chào anh",
        "chào chị",
    }
)


def is_greeting(text: str) -> bool:
    return normalize(text) in GREETINGS
