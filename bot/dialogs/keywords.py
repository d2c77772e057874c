"""Typed words the dialogs recognise in every state: the global ways out (menu, a person), yes/no
answers and option numbers (read by the pure rules of bot.understanding.yesno and .options), and the
small phrases that close a list or a flow ("that's all", "never mind"). What a message asks for is
bot.understanding's alone."""

from __future__ import annotations

import re
import unicodedata

from bot.understanding import options, yesno

# fmt: off
MENU_WORDS = frozenset(
    {"menu", "main menu", "start", "メニュー", "めにゅー", "菜单", "菜單", "메뉴", "เมนู", "danh mục", "menu chính"}
)
# Asking for a person wherever it is written. Words inside other words do not count: 人工授精 is not
# 人工 ("a human agent"), 友人と話して is not 人と話, "the staff were kind" asks for nobody.
_HUMAN = re.compile(
    r"talk to a person|real person|(?<![a-z])(?:operator|customer service|customer support)(?![a-z])|"
    r"\b(?:talk|speak|chat|connect)\w*\b.{0,20}\b(?:person|human|agent|staff|someone|somebody|"
    r"operator|representative|people)\b|\b(?:a|an|the|real|live) (?:human|agent)\b|"
    r"担当者|担当の方|オペレーター|(?<![友知恋夫主家他本個])人と.{0,3}話|人間と|スタッフ.{0,3}(?:話|つな|代わ|変わ)|"
    r"人(?:に|と)(?:代わ|変わ|つな)|客服|真人|人工(?:客服|服务|服務|坐席)|(?:转|轉|找|要|接)(?:一下|下|个|個)?人工(?!授|受|智|呼|流|透)|"
    r"(?:跟|和|同)(?:你们的?|你們的?)?(?:工作人员|工作人員|真人|职员|職員)(?:直接)?(?:说|說|讲|講|聊|谈|談|沟通|溝通|对话|對話)|"
    r"(?:找|联系|聯繫|聯絡)(?:一下)?(?:你们的?|你們的?)?(?:工作人员|工作人員|真人)|"
    r"同人傾|搵人|상담원|상담사|담당자|사람(?:이랑|과|하고|한테)\s*(?:대화|얘기|이야기|통화|연결|상담)|사람\s*(?:으로\s*)?"
    r"(?:바꿔|연결)|직원(?:분)?(?:이랑|과|하고|한테)\s*(?:대화|얘기|이야기|통화|연결|상담)|"
    r"(?:ขอ|คุย|ติดต่อ|ต่อสาย|โทร|สาย)\s*(?:กับ|หา)?\s*(?:เจ้าหน้าที่|พนักงาน|แอดมิน|คน)|คนจริง|"
    r"người thật|(?:gặp|nói chuyện với|cho em gặp|cho tôi gặp|kết nối|liên hệ|gọi)\s*(?:với\s*)?(?:nhân viên|tư vấn viên)"
)
# One word that is the whole message ("human", "スタッフ", "사람", "เจ้าหน้าที่", "nhân viên please").
_HUMAN_ALONE = re.compile(
    r"^(?:a |an |the )?(?:human|agent|staff|person|someone|スタッフ|人工|사람|사람이요|사람요|직원|เจ้าหน้าที่|"
    r"พนักงาน|แอดมิน|nhân viên|tư vấn viên)(?: please| pls| plz|さん|요|ค่ะ|ครับ|ạ| ơi)?$"
)
HUMAN_WORDS = ("talk to a person", "human", "operator", "担当者", "オペレーター", "客服", "真人", "상담원", "người thật")
YES_WORDS = frozenset(
    {"yes", "y", "yeah", "yep", "ok", "okay", "sure", "confirm", "please do", "はい", "ええ", "お願いします",
     "是", "是的", "好", "好的", "对", "對", "确认", "確認", "네", "예", "응", "ใช่", "ตกลง", "có", "vâng", "đồng ý",
     "ừ"}
)
NO_WORDS = frozenset(
    {"no", "n", "nope", "no thanks", "no thank you", "いいえ", "いや", "結構です", "不", "不是", "不要", "不用",
     "아니요", "아니", "아뇨", "ไม่", "ไม่ใช่", "không", "ko"}
)

# fmt: on
_DIGITS = re.compile(r"^\d{1,2}$")


def normalize(text: str) -> str:
    # NFKC splits Thai SARA AM (ำ) into NIKHAHIT + SARA AA, and every pattern is written with ำ:
    # "ไม่ทำแล้ว" never matched "ไม่ทำ" (bot.understanding.text.normalize puts it back the same way).
    t = unicodedata.normalize("NFKC", text).replace("\u0e4d\u0e32", "\u0e33")
    return t.strip().lower().rstrip("!?.。！？ ")


def is_menu(text: str) -> bool:
    return normalize(text) in MENU_WORDS


def wants_human(text: str) -> bool:
    t = normalize(text)
    return len(t) <= 60 and bool(_HUMAN.search(t) or _HUMAN_ALONE.match(t))


def is_yes(text: str) -> bool:
    """A plain yes ("yes please", "はい、お願いします", "ได้ค่ะ", "đúng rồi"), not one that asks or adds "but"."""
    if normalize(text) in YES_WORDS:
        return True
    r = yesno.classify(text)
    return r.value == "yes" and not (r.question or r.qualified)


def is_no(text: str) -> bool:
    """A plain no ("no thanks", "いいえ、大丈夫です", "아니요 괜찮아요", "ไม่เป็นไร", "不是")."""
    if normalize(text) in NO_WORDS:
        return True
    r = yesno.classify(text)
    return r.value == "no" and not (r.question or r.qualified)


_NEVER_MIND = re.compile(
    r"\b(?:never ?mind|nvm|forget (?:it|about it)|leave it|keep it(?: as it is)?|"
    r"(?:i'?ll |i'?d rather |let'?s )?keep (?:it|my booking|(?:my |the )?(?:original|old|current|same|existing) "
    r"(?:one|date|day|time|appointment|booking))|stay with the original|"
    r"don'?t bother|skip it|quen di|thoi khoi|thoi bo qua|giu nguyen|giu lich)\b|"
    r"やっぱり(?:いい|大丈夫|結構|やめ)|やめておきます|やめときます|そのままで(?:いい|大丈夫|お願い)|このままで(?:いい|大丈夫)|"
    r"算了|算啦|不用了|不必了|还是不|還是不|都係唔|唔改喇|唔改了|照原本嗰日|唔使喇|唔使了|唔好喇|"
    r"元の(?:日|日程|予約)の?まま|ใช้วันเดิม|วันเดิม(?:ก็)?ได้|그냥 원래대로|원래대로 (?:할게|둘게|갈게)|원래 ?(?:날짜|예약)대로|"
    r"그냥 둘게|그대로 (?:둘게|할게|유지)|안 할게요|됐어요|"
    r"ไม่เป็นไร|ช่างมัน|ไม่เอาแล้ว|ไม่ต้องแล้ว|ช่างเถอะ|thôi khỏi|thôi bỏ qua|giữ nguyên|thôi không"
)


def is_never_mind(text: str) -> bool:
    """ "Never mind", "算了", "やっぱりいいです", "그냥 둘게요", "ไม่เป็นไร", "thôi khỏi": drop what was asked."""
    t = normalize(text)
    return len(t) <= 60 and bool(_NEVER_MIND.search(t))


_THANKS = re.compile(
    r"\b(?:thanks?|thank you|thx|ty|cheers|got it|understood|that'?s all|all good)\b|ありがと|了解|わかりました|分かりました|"
    r"谢谢|謝謝|多謝|多谢|唔該|感谢|感謝|明白了|知道了|好的谢|감사|고마워|고맙|알겠|ขอบคุณ|เข้าใจแล้ว|cảm ơn|cám ơn|"
    r"hiểu rồi|thank"
)


def is_thanks(text: str) -> bool:
    """A closing ("ok thanks", "ありがとうございます", "알겠습니다 감사합니다", "ขอบคุณค่ะ") with no new request."""
    t = normalize(text)
    return len(t) <= 60 and bool(_THANKS.search(t)) and "?" not in t


_DONE = re.compile(
    r"\b(?:that'?s (?:all|it|everything|enough|fine)|nothing (?:else|more)|no more|no others?|"
    r"(?:just|only) (?:that|those|these|this|the two|both)(?: (?:two|dates|days|ones?))?|"
    r"those (?:two|dates|days) (?:are|is) (?:fine|enough|all)|continue|next|done|i'?m good|all set|"
    r"that (?:will do|works|is enough|should do)|just the one|only the one|(?:one|that) (?:date|day) is (?:enough|fine))\b|"
    # "Only that one (day)": ja その日だけ, zh 就那天 / 只要这个, ko 그거 하나만 / 그날만, th แค่วันนั้น, vi ngày đó thôi.
    r"(?:その|この|あの)日だけ|(?:その|この)日で(?:大丈夫|いい|お願い)|"
    r"只要(?:这|這|那|呢)(?:个|個|天|日)|就(?:那|一)(?:个|個|天|日)|(?:这|這|那)(?:一)?天就(?:好|行|可以)|"
    r"(?:그거|이거|그것|이것|그|이) ?하나만|하나만(?:요|이요| 할게요| 해 주세요)?$|(?:그|이) ?날(?:만|로만)|(?:그거|이거|그것|이것)만|"
    r"แค่วันนั้น|แค่วันนี้|วันเดียว|แค่อันนั้น|อันเดียว|"
    r"(?:ngày|hôm) (?:đó|đấy|này|ấy) thôi|chỉ (?:ngày|hôm) (?:đó|đấy|này|ấy)|(?:một|1) ngày thôi|"
    r"以上|それだけ|これだけ|(?:その|この|あの)?(?:\d|二|ふた|一|ひと)つ(?:だけ|で(?:大丈夫|いい|お願い))|だけで(?:大丈夫|いい|結構|お願い)|"
    r"他にはない|ほかにはない|他はない|ほかはない|他にありません|ほかにありません|それで(?:大丈夫|いい|お願い)|"
    r"就这些|就這些|就这个|就這個|就呢個|就这天|就這天|就呢日|就(?:这|這|呢)(?:两|兩|二|2)(?:个|個|天|日)|没有了|沒有了|"
    r"冇喇|冇了|就咁多|就咁|就这样|就這樣|这样就(?:好|行|可以)|這樣就(?:好|行|可以)|咁就(?:得|好)|够了|夠了|可以了|"
    r"그게 다|이게 다|그거면|이거면|그걸로|이걸로|둘 다요|두 개(?:만|면)|없어요|없음|없습니다|이상입니다|이상이에요|됐어요|충분해요|"
    r"แค่นี้|แค่นั้น|แค่สอง|ไม่มีแล้ว|พอแล้ว|เท่านี้|เท่านั้นค่ะ|เท่านั้นครับ|"
    r"vậy thôi|thế thôi|hết rồi|không còn|chỉ vậy|vậy được rồi|vậy là đủ|nhiêu đó thôi|bấy nhiêu thôi|(?:hai|2) ngày (?:đó|này) thôi|"
    # "就这一个", "그거 하나면 돼요", "特にないです", "hết r ạ" / "het roi" (typed without tone marks).
    r"就(?:这|這|呢)一(?:个|個|天|日)|(?:그거|이거|그것|이것) ?하나(?:면|로)|하나면 (?:돼|되|충분)|"
    r"特に(?:ない|ありません|なし|大丈夫)|とくにない|(?:hết|het) r(?:ồi|oi)?(?= |$)|\b(?:vay thoi|the thoi|het roi)\b"
)


def is_done(text: str) -> bool:
    """ "That's all", "以上です", "그게 다예요", "แค่นี้ค่ะ": nothing more to add to a list."""
    t = normalize(text)
    return len(t) <= 40 and bool(_DONE.search(t))


def option_number(text: str) -> int | None:
    """A typed option number, as where buttons degrade to numbered lines: alone ("2", "２") or in a
    phrase ("number 2 please", "2番", "2번이요", "ข้อ 2", "số 2", "第二个"). Ordinal words ("the first")
    are left to the answer reader: in a date step they may be a day of the month."""
    t = normalize(text)
    if _DIGITS.match(t):
        return int(t)
    return options.option_number(t, 99, ordinals=False)


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
