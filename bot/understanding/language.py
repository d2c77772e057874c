"""Which of the seven languages a short message is written in, and explicit requests to switch.

Script decides most cases (kana -> ja, Hangul -> ko, Thai -> th, Han only -> Chinese); hanzidentifier
separates Simplified from Traditional; Latin text is Vietnamese when it carries Vietnamese letters
or, typed without tone marks, Vietnamese function words outnumber English ones.
"""

from __future__ import annotations

import re

import hanzidentifier

from bot.understanding.text import Scripts, strip_latin_marks

# Kanji forms that exist only in Japanese (shinjitai), for Han-only messages like 「予約変更希望」.
_JA_KANJI = frozenset("変払駅気発遅済帰売続転図円県関広悪楽歳戻経験読鉄込働届様専険沢亜弁伝両覧拝")
_JA_WORDS = ("予約", "連絡", "都合", "希望", "欠航", "入金", "振込", "本日", "明後日", "体調", "怪我")

# Unaccented Vietnamese words that are not English words (and the reverse), for Latin text
# without diacritics. Short ambiguous words ("a", "to", "me", "the") are left out on purpose.
_VI_WORDS = frozenset(
    """toi minh em anh chi ban khong ko hok dc duoc lich hen ngay mai hom nay gio phut tieng tre muon
    huy doi xin cam on nhe nha voi cua la co cho bi se den di thu tuan sau vi nen nao bao nhieu roi
    chua giup vay dat kham hoac oi a ah da vang qua luc kip ket xe sang chieu toi khoang dang
    thanh toan tien nguoi that nhan vien tu van ca nhan thong tin xoa sua om sot benh vien buoi gui het
    moi dung nham xem dong chuyen tuyet hoan dieu tri phau thuat nghi thang nam sinh truoc trong ngoai
    vao duong tau nhieu nhung""".split()
)
_EN_WORDS = frozenset(
    """i i'm im i'll ill my me you your we our is are am be will would can could cant can't please pls
    plz the and or but so for with at on in of it this that what when how much want need have has
    had get got tomorrow today appointment booking reservation cancel change late minutes min mins hour
    hours sorry thanks thank hi hello hey sick running there here just need about not don't dont
    reschedule rebook postpone talk speak human person agent staff refund payment fee help date time""".split()
)
_WORD = re.compile(r"[a-z']+")


_CODE = re.compile(r"(?=\S*[0-9_/-])#?[a-z0-9]+(?:[-_/][a-z0-9]+)*", re.IGNORECASE)


def detect(t: str, s: Scripts) -> tuple[str, bool]:
    """The language of normalized text `t` with script counts `s`, and whether the text shows it.

    Not confident: nothing but emoji, digits or punctuation; a word or two of Latin that every
    language borrows ("ok", "PayPay"); Han characters that Chinese in either script and Japanese
    all share ("30分", "好的"). The engine keeps the conversation's language for those.
    """
    cjk = s.han + s.kana
    scores = {
        "ja": cjk if s.kana or _japanese_han(t) else 0,
        "zh": s.han if not s.kana and not _japanese_han(t) else 0,
        "ko": s.hangul,
        "th": (s.thai + 2) // 3,
        "latin": s.latin_words,
    }
    best = max(scores, key=lambda k: (scores[k], k != "latin"))
    if scores[best] == 0:
        return "en", False
    if best == "zh":
        return chinese_variant(t), hanzidentifier.identify(t) != hanzidentifier.BOTH
    if best == "latin":
        return _latin(t, s)
    return best, True


def _latin(t: str, s: Scripts) -> tuple[str, bool]:
    if _CODE.fullmatch(t.strip()):
        # One code such as a booking reference ("LG-KO-2", "BK-2041") says nothing about the language,
        # even when a letter group happens to be a word ("ko", "vi").
        return "en", False
    words = _WORD.findall(strip_latin_marks(t))
    known = sum(1 for w in words if w in _VI_WORDS or w in _EN_WORDS)
    confident = s.vi_letters > 0 or len(words) >= 3 or known > 0
    return ("vi" if _is_vietnamese(t, s) else "en"), confident


def latin_unsure(t: str) -> bool:
    """Latin text that shows neither English nor Vietnamese strongly ("ok a", "yes", "H4-VI04"):
    fewer than two words of either and no Vietnamese letter. Such a message does not move a
    conversation between the two (bot.engine): "ok a" in a Vietnamese chat is still Vietnamese."""
    t = t.lower()
    plain = strip_latin_marks(t)
    if plain != t.replace("đ", "d"):
        return False  # a tone mark or a Vietnamese letter
    words = _WORD.findall(plain)
    return sum(w in _VI_WORDS for w in words) < 2 and sum(w in _EN_WORDS for w in words) < 2


# Characters of written Cantonese, which Hong Kong and Macau write in Traditional script.
_CANTONESE = frozenset("唔嚟咗係嘅喺冇啲嗰佢哋乜咩噉睇畀攞揾搵嘢晏琴尋")


def chinese_variant(t: str) -> str:
    if any(ch in _CANTONESE for ch in t):
        return "zh-Hant"
    kind = hanzidentifier.identify(t)
    if kind == hanzidentifier.TRADITIONAL:
        return "zh-Hant"
    if kind == hanzidentifier.MIXED:
        trad = sum(
            1 for ch in t if hanzidentifier.is_traditional(ch) and not hanzidentifier.is_simplified(ch)
        )
        simp = sum(
            1 for ch in t if hanzidentifier.is_simplified(ch) and not hanzidentifier.is_traditional(ch)
        )
        return "zh-Hant" if trad > simp else "zh-Hans"
    # Characters shared by both systems give no evidence; Simplified is the commoner reader.
    return "zh-Hans"


# What written Chinese has and Japanese does not: pronouns, question and sentence particles.
_CHINESE_MARKS = frozenset("我你妳他她们們这這那哪谁誰吗嗎呢吧嘛啊呀么麼没沒是")


def han_alone(t: str) -> bool:
    """Han characters and nothing that tells Chinese from Japanese: no kana, no Chinese pronoun or
    particle, no sentence-final 了 ("施術", "来週月曜日", "午後"). Such a message is read in the
    conversation's language when that is Japanese or Chinese (bot.engine)."""
    han = [ch for ch in t if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"]
    if not han or any("\u3040" <= ch <= "\u30ff" for ch in t):
        return False
    if any(ch in _CHINESE_MARKS for ch in han):
        return False
    return not (len(han) >= 3 and han[-1] == "了")


def _japanese_han(t: str) -> bool:
    return any(ch in _JA_KANJI for ch in t) or any(w in t for w in _JA_WORDS)


def _is_vietnamese(t: str, s: Scripts) -> bool:
    if s.vi_letters >= 2:
        return True
    words = _WORD.findall(strip_latin_marks(t))
    vi = sum(1 for w in words if w in _VI_WORDS)
    en = sum(1 for w in words if w in _EN_WORDS)
    return vi > en + (0 if s.vi_letters else 1) or (s.vi_letters > 0 and vi >= en)


# --- explicit language choice -------------------------------------------------------------------

_NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "english",
        "英語",
        "えいご",
        "英文",
        "英语",
        "영어",
        "ภาษาอังกฤษ",
        "อังกฤษ",
        "tiếng anh",
        "tieng anh",
    ),
    "ja": (
        "japanese",
        "日本語",
        "にほんご",
        "日语",
        "日語",
        "日文",
        "일본어",
        "ภาษาญี่ปุ่น",
        "ญี่ปุ่น",
        "tiếng nhật",
        "tieng nhat",
    ),
    "zh_Hant": (
        "traditional chinese",
        "繁體中文",
        "繁体中文",
        "繁體",
        "繁体",
        "正體中文",
        "廣東話",
        "粵語",
        "繁中",
    ),
    "zh_Hans": (
        "simplified chinese",
        "chinese",
        "mandarin",
        "简体中文",
        "簡體中文",
        "简体",
        "簡體",
        "中文",
        "汉语",
        "漢語",
        "普通话",
        "普通話",
        "中国語",
        "중국어",
        "ภาษาจีน",
        "tiếng trung",
        "tieng trung",
    ),
    "ko": (
        "korean",
        "한국어",
        "한국말",
        "韓国語",
        "韩语",
        "韓語",
        "韩文",
        "韓文",
        "ภาษาเกาหลี",
        "เกาหลี",
        "tiếng hàn",
        "tieng han",
    ),
    "th": ("thai", "ภาษาไทย", "ไทย", "タイ語", "泰语", "泰語", "泰文", "태국어", "tiếng thái", "tieng thai"),
    "vi": (
        "vietnamese",
        "tiếng việt",
        "tieng viet",
        "ベトナム語",
        "越南语",
        "越南語",
        "越南文",
        "베트남어",
        "ภาษาเวียดนาม",
        "เวียดนาม",
    ),
}
_ALL_NAMES = sorted(((n, loc) for loc, ns in _NAMES.items() for n in ns), key=lambda p: -len(p[0]))
_NAME_RE = "|".join(re.escape(n) for n, _ in _ALL_NAMES)
_LOCALE_OF = dict(_ALL_NAMES)
# A language name counts as a choice when the message is little more than the name, or when it sits
# in a request ("in English please", "英語でお願いします", "用中文", "한국어로", "พูดไทย", "bằng tiếng Việt").
_REQUEST = re.compile(
    rf"(?:\b(?:in|speak|use|switch(?: to)?|change(?: the language)?(?: to)?|reply in|write in|answer in|talk in)"
    rf"\s+(?P<a>{_NAME_RE})\b)"
    # "日本語でお願いします", not "友達が日本語できる" (can speak it) or "日本語ですか".
    rf"|(?:(?P<b>{_NAME_RE})\s*(?:で(?!き|す|は|も)|に(?:切り替|変え|変更|して)|로|으로|please|pls|plz))"
    rf"|(?:(?:用|说|說|讲|講|换成|換成|改成|改用|切换到|切換到|切换成|切換成)\s*(?P<c>{_NAME_RE}))"
    rf"|(?:(?:พูด|เป็น|ใช้)\s*(?:ภาษา)?(?P<d>{_NAME_RE}))"
    rf"|(?:(?:bằng|bang|nói|noi|dùng|dung|chuyển sang|chuyen sang|sang)\s+(?P<e>{_NAME_RE}))"
    # "Is Vietnamese OK?": the name, then a question whether it will do.
    rf"|(?:(?P<f>{_NAME_RE})\s*(?:được không|đc không|duoc khong|dc ko|ok\b|okay|ได้ไหม|ได้มั้ย|ได้มั๊ย|可以吗|可以嗎|"
    rf"行吗|行嗎|でも?いい|で?大丈夫|되나요|돼요|가능|괜찮))"
)
_FILLER = re.compile(
    r"[\s\W_]|\b(?:please|pls|plz|thanks|thank you|ok|okay|xin|vui long|vui lòng|ạ)\b|"
    r"お願いします|おねがいします|お願い|请|請|谢谢|謝謝|주세요|해주세요|부탁해요|ครับ|ค่ะ|คะ|นะ"
)


def choice(t: str, detected: str) -> tuple[str | None, bool]:
    """The locale id the customer asks to switch to (or None), and whether the text is just the name."""
    bare = False
    m = _REQUEST.search(t)
    name = next((g for g in m.groups() if g), None) if m else None
    for n, _ in _ALL_NAMES:
        if n in t and len(_FILLER.sub("", t.replace(n, ""))) <= 1:
            name, bare = n, True
            break
    if name is None:
        return None, False
    loc = _LOCALE_OF[name]
    if loc == "zh_Hans" and name in ("中文", "chinese", "汉语", "漢語") and detected == "zh-Hant":
        loc = "zh_Hant"
    return loc, bare
