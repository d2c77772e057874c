"""The global ways out, recognised in typed text in every state (menu, talk to a person)."""

from __future__ import annotations

import unicodedata

MENU_WORDS = frozenset(
    {"menu", "main menu", "start", "メニュー", "めにゅー", "菜单", "菜單", "메뉴", "เมนู", "danh mục", "menu chính"}
)
HUMAN_WORDS = (
    "talk to a person", "human", "agent", "operator", "real person", "staff",
    "担当者", "オペレーター", "人と話", "スタッフ", "人工", "客服", "真人", "상담원", "사람", "เจ้าหน้าที่",
    "nhân viên", "người thật",
)


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().rstrip("!?.。！？ ")


def is_menu(text: str) -> bool:
    return normalize(text) in MENU_WORDS


def wants_human(text: str) -> bool:
    t = normalize(text)
    return any(w in t for w in HUMAN_WORDS) and len(t) <= 60
