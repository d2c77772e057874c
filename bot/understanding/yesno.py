"""Yes or no in a typed reply, in the seven languages, with particles, politeness and negation.

Cue classes are matched in order on the normalized text, each masking what it matched so that a
later class cannot see it again: fillers that contain negation morphemes (唔該, 不好意思), "not
sure", yes-idioms built on a negation ("no problem", 没问题, 冇問題, không sao), question frames
(要不要, 可唔可以, có ... không, ได้ไหม), no-words, then yes-words. A yes-word right after a
negation (不同意, ไม่ใช่, không đồng ý, not ok) or right before one (同意しない, 동의하지 않) is a no.
Single-character Chinese and Korean yes-words (是, 好, 係, 네, 예) count only at the start of a
clause, where they answer; elsewhere they are parts of other words (但是, 예약).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understanding.text import normalize, strip_latin_marks

_L = "a-zà-ỹđ"  # Latin letters, Vietnamese included: word boundaries for Latin cues


def _alt(words: str) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words.split("|")), key=len, reverse=True))


def _latin(words: str) -> str:
    return rf"(?<![{_L}'])(?:{_alt(words)})(?![{_L}'])"


# fmt: off
_NEUTRAL = re.compile(
    "|".join((
        _alt("唔該|唔该|唔好意思|不好意思|不客气|不客氣|不要紧|不要緊|没关系|沒關係|多謝|多谢|谢谢|謝謝|ありがとう|"
             "감사합니다|고맙습니다|감사해요|ขอบคุณ|cảm ơn|cám ơn|không có gì"),
        _latin("thank you|thanks|thx|please|pls|plz"),
    ))
)
_UNSURE = re.compile(
    "|".join((
        _latin("not sure|unsure|i don't know|i dont know|dunno|idk|maybe|perhaps|not certain|"
               "khong biet|ko biet|chua biet|chua chac|khong chac"),
        _alt("わからない|分からない|わかりません|分かりません|迷って|どうしよう|不知道|唔知|不确定|不確定|不清楚|"
             "모르겠|글쎄|ไม่แน่ใจ|ไม่รู้|không biết|chưa biết|chưa chắc|không chắc"),
    ))
)
_YES_IDIOM = re.compile(
    "|".join((
        _latin("no problem|no problems|no worries|no prob|np|why not|not a problem|khong sao|ko sao|k sao|"
               "hong sao|khong van de"),
        _alt("問題ない|問題ありません|問題なし|構いません|かまいません|構わない|かまわない|差し支えない|没问题|沒問題|"
             "冇問題|冇问题|无问题|無問題|不错|不錯|没错|沒錯|冇錯|无错|無錯|唔錯|どうぞ|문제없|문제 없|ไม่มีปัญหา|không sao|không vấn đề"),
    ))
)
# "Is it ...?" frames that contain a no-word but ask: 要不要, 可唔可以, có ... không, được không, ได้ไหม.
_QUESTION_FRAME = re.compile(
    r"([\u4e00-\u9fff])[不唔没沒](?=\1)|有没有|有沒有|有冇|有無|"
    r"(?<![a-zà-ỹđ])(?:có|co)(?![a-zà-ỹđ])(?:(?![,.!?。，]).){1,40}?(?<![a-zà-ỹđ])(?:không|khong|ko|k|hông|hong)"
    r"(?![a-zà-ỹđ])\s*(?:ạ|a|vậy|vay|ha|nhỉ|nhi|chị|anh|em)?\s*(?:[?？]|$)|"
    r"(?:được|duoc|dc|đc)\s*(?:không|khong|ko|k|hông)(?![a-zà-ỹđ])|(?:rồi|roi)\s*(?:chưa|chua)\b|"
    r"ได้ไหม|ได้มั้ย|ได้มั๊ย|หรือเปล่า|รึเปล่า|หรือยัง|ไหม|มั้ย|มั๊ย|ยังไง"
)
_NO = re.compile(
    "|".join((
        _latin("no|nope|nah|naw|n|no thanks|no thank you|not now|not yet|not really|never mind|nevermind|nvm|"
               "negative|no way|rather not|i'd rather not|disagree|wrong|incorrect|stop|no need|don't|dont|do not|"
               "never|none|khong|ko|hong|hông|khum|chua|chưa|thoi|thôi|đừng|khoi|khỏi|chang|chẳng|không"),
        _alt("いいえ|いえ|いや|いいや|ううん|違います|ちがいます|違う|ちがう|結構です|けっこうです|大丈夫じゃ|大丈夫では|"
             "やめて|やめます|やめとき|やめておき|止めて|止めます|いらない|いりません|要らない|要りません|不要|まだ|"
             "しないで|しません|しない|だめ|ダメ|駄目|無理|むり|遠慮|もういい|見送|ノー"),
        _alt("不|没|沒|冇|唔|未|算了|别|別|否|免了"),
        _alt("아니요|아니오|아뇨|아니|싫어|싫습니다|안 돼|안돼|안 할|안할|안 해|안해|필요 없|필요없|됐어요|됐습니다|"
             "아직|ㄴㄴ|노노|그만|않|하지 마|하지마|지 마세요|지 마요|지마세요"),
        r"안(?=\s)",
        _alt("ไม่|ยัง|เปล่า"),
    ))
)
_YES = re.compile(
    "|".join((
        _latin("yes|yeah|yea|yep|yup|ya|yah|yas|yess|yesss|y|ok|okay|okey|okie|oki|sure|surely|certainly|"
               "absolutely|definitely|of course|ofc|correct|right|that's right|thats right|exactly|affirmative|"
               "indeed|agree|agreed|confirm|confirmed|go ahead|please do|do it|sounds good|sounds great|good|fine|"
               "perfect|great|alright|all right|proceed|true|go for it|works for me|that works|deal|cool|i do|"
               "oke|okela|có|vâng|ừ|ừm|ờ|được|đc|dc|đúng|đúng rồi|chính xác|đồng ý|xác nhận|chắc chắn|tất nhiên"),
        _alt("はい|ハイ|ええ|うん|ウン|そうです|そう|その通り|そのとおり|大丈夫|了解|承知|かしこまりました|わかりました|"
             "分かりました|いいです|いいよ|いい|オッケー|おっけー|オーケー|同意|もちろん|ぜひ|是非"),
        _alt("是的|是啊|是呀|对的|對的|对呀|對呀|没错|沒錯|好的|好滴|好啊|好呀|好吧|行啊|可以|嗯嗯|确认|確認|确定|"
             "確定|同意|当然|當然|係呀|係啊|係囉|啱啊|啱呀|得啦"),
        _alt("넵|넹|ㅇㅇ|ㅇㅋ|그래|그럼요|좋아|좋습니다|좋네요|맞아|맞습니다|맞네요|알겠|확인|동의|물론|당연|오케이|"
             "그렇게 해"),
        _alt("ใช่|ได้|ตกลง|โอเค|ยินยอม|ยืนยัน|แน่นอน|ถูกต้อง|รับทราบ|จ้า|เอาเลย"),
    ))
)
_YES_PLAIN = re.compile(_latin("co|vang|duoc|dung|dung roi|dong y|xac nhan|chinh xac"))
# Politeness that leans yes but never decides against a clearer word ("予約はそのままでお願いします").
_WEAK_YES = re.compile(
    _latin("dạ|vâng ạ|rồi|roi|da")
    + "|"
    + _alt("お願いします|お願い|おねがいします|おねがい|부탁|麻烦了|麻煩了|拜托|拜託|麻烦你|麻煩你|嗯|恩|ค่ะ|ครับ|คับ|ค่า")
)
# Single characters that answer only at the start of a clause.
_CLAUSE_YES = re.compile(
    r"^(?:那就|那|嗯|噢|哦|喔)?\s*(?:是|对|對|好|行|係|系|啱|得|要|네|예|응|웅|어)(?:요)?"
    r"(?![가-힣]|[\u4e00-\u9fff](?<![啊呀吧啦喇嘞囉咯喔哦噢]))"
)
_FINE_KO = re.compile(r"괜찮")  # "fine": a yes after 네, a no-thanks after 아니요, unclear alone
_EMOJI_YES = re.compile("[👍👌✅⭕🙆🆗]")
_EMOJI_NO = re.compile("[❌🙅✖🚫]")

_CONTRAST = re.compile(
    _latin("but|however|although|though|nhung|nhưng|tuy nhien|tuy nhiên")
    + "|"
    + _alt("でも|だけど|けど|けれど|ただ|しかし|但是|但係|但系|不过|不過|可是|只是|但|근데|그런데|하지만|그렇지만|다만")
    + "|แต่(?!ง)"
)
_QUESTION_WORD = re.compile(
    _latin("how|what|when|where|why|who|which|whats|what's|how's|bao nhieu|bao nhiêu|khi nao|khi nào|o dau|ở đâu|"
           "the nao|thế nào|sao|gì|mấy|may gio")
    + "|"
    + _alt("ですか|ますか|でしょうか|いくら|いつ|どう|どこ|誰|なぜ|なに|何|吗|嗎|呢|多少|几|幾|什么|什麼|怎么|怎麼|哪|谁|誰|"
           "为什么|為什麼|幾多|點樣|邊|咩|나요|까요|니까|ㄴ가요|얼마|언제|어디|왜|누가|뭐|무엇|어떻게|있어요\\?|"
           "เท่าไหร่|เท่าไร|อะไร|ที่ไหน|เมื่อไหร่|อย่างไร|ทำไม|ใคร|กี่|เหรอ|หรอ")
    + r"|か\s*$"
)
# An English clause that asks by its word order ("is there no partial refund", "can't you waive it").
_ASKS_EN = re.compile(
    r"^\s*(?:wait\s+|so\s+|and\s+|then\s+)?(?:is|are|isn't|aren't|was|wasn't|do|does|don't|doesn't|can|can't|"
    r"could|couldn't|will|won't|would|should|shouldn't|have|haven't|has|hasn't)\s+(?:there|it|i|you|we|they|that|this)\b"
)
# Vietnamese "không", "chưa" before a verb negate it ("không hoàn lại à?"): no answer that opens a clause.
_OPENS_WITH_ANSWER = re.compile(
    r"^\s*(?!(?:không|khong|ko|hông|hong|chưa|chua|chẳng|chang)\s+(?!ạ|a\b|đâu|dau\b))"
    r"(?:" + _NO.pattern + "|" + _YES.pattern + r")(?=\s|$)"
)
_CLAUSE_SPLIT = re.compile(r"[,，、。.!！;；~\n]+|(?<=[?？])")
# fmt: on


@dataclass(frozen=True, slots=True)
class YesNo:
    value: str | None  # "yes" | "no" | None
    strong: bool = False  # decided by a clear word, not only by politeness ("please", "お願いします", "dạ")
    question: bool = False  # the text also asks something
    qualified: bool = False  # "yes, but ..." with more than a question after the "but"
    unsure: bool = False
    ambiguous: bool = False  # yes and no both, and nothing decides


@dataclass(slots=True)
class _Hit:
    pos: int
    value: str  # yes | no | weak
    text: str


def classify(text: str) -> YesNo:
    """Yes or no in a whole reply ("yes please", "아니요 괜찮아요", "dạ được, nhưng có mất phí không?")."""
    t = normalize(text)
    m = _CONTRAST.search(t)
    head, tail = (t[: m.start()], t[m.end() :]) if m else (t, "")
    answer = _answer(head)
    asks = is_question(tail) or (not tail and _asks_after(head))
    if answer.value is not None and asks:
        answer = _answer(_answering_clauses(head))
    if tail and not asks and _has_content(tail):
        return YesNo(answer.value, answer.strong, qualified=answer.value is not None)
    return YesNo(answer.value, answer.strong, asks, False, answer.unsure, answer.ambiguous)


def _answering_clauses(t: str) -> str:
    """The clauses of `t` that can hold the answer: a yes or no inside a clause that asks something
    more is part of that question ("is there no partial refund?", "没有部分退款吗", "ไม่มีคืนบางส่วนเหรอ"),
    unless it opens the clause ("no, why 100%?", "no is there another way")."""
    kept = []
    for clause in (c for c in _CLAUSE_SPLIT.split(t) if c.strip()):
        asking = is_question(clause) or bool(_ASKS_EN.search(clause))
        if not asking or not _has_content(_mask_all(clause)) or _OPENS_WITH_ANSWER.match(clause):
            kept.append(clause)
    return ", ".join(kept)


def is_question(t: str) -> bool:
    """Whether normalized `t` asks something: a question mark after words, a question word or frame."""
    if not _has_content(t):
        return False
    masked = _YES_IDIOM.sub(" ", _NEUTRAL.sub(" ", t))
    return bool("?" in t or _QUESTION_FRAME.search(masked) or _QUESTION_WORD.search(masked))


def _asks_after(t: str) -> bool:
    """A question inside an answer ("はい、キャンセル料はかかりますか"): a clause after the first that asks."""
    clauses = [c for c in _CLAUSE_SPLIT.split(t) if c.strip()]
    if not clauses:
        return False
    if len(clauses) > 1 and any(is_question(c) for c in clauses[1:]):
        return True
    # The first clause asks too when it is more than an answer word ("why is it the full amount?? is
    # there no partial refund": its "no" is inside a question, no answer).
    only = clauses[0]
    masked = _YES_IDIOM.sub(" ", _NEUTRAL.sub(" ", only))
    if _QUESTION_FRAME.search(masked) or _QUESTION_WORD.search(masked):
        return True
    # A question mark asks only when there is more than the answer word ("yes?" is still a yes).
    return "?" in only and _has_content(_mask_all(only))


def mask_answers(t: str) -> str:
    """Normalized `t` with its yes/no words, politeness and question frames blanked out."""
    return _mask_all(t)


def _mask_all(t: str) -> str:
    for rx in (_NEUTRAL, _UNSURE, _YES_IDIOM, _QUESTION_FRAME, _NO, _YES, _WEAK_YES):
        t = rx.sub(" ", t)
    return t


def _has_content(t: str) -> bool:
    letters = [ch for ch in t if ch.isalnum()]
    return len(letters) >= 2 or any(ord(ch) > 0x2E80 for ch in letters)


@dataclass(slots=True)
class _Answer:
    value: str | None = None
    strong: bool = False
    unsure: bool = False
    ambiguous: bool = False


def _answer(t: str) -> _Answer:
    hits: list[_Hit] = []
    work = _NEUTRAL.sub(lambda m: " " * len(m[0]), t)
    if _UNSURE.search(work):
        return _Answer(unsure=True)
    for rx, value in ((_YES_IDIOM, "yes"), (_QUESTION_FRAME, "question")):
        work = _take(rx, work, value, hits)
    work = _take(_NO, work, "no", hits)
    work = _take(_YES, work, "yes", hits)
    if not _has_marks(t):  # Vietnamese typed without tone marks: "co a", "dung roi"
        work = _take(_YES_PLAIN, work, "yes", hits)
    work = _take(_WEAK_YES, work, "weak", hits)
    _clause_starts(work, hits)
    _fine(work, hits)
    if _EMOJI_YES.search(t):
        hits.append(_Hit(len(t), "yes", "👍"))
    if _EMOJI_NO.search(t):
        hits.append(_Hit(len(t), "no", "❌"))
    _negations(t, hits)
    return _resolve(sorted(hits, key=lambda h: h.pos))


def _has_marks(t: str) -> bool:
    return strip_latin_marks(t) != t


def _take(rx: re.Pattern[str], work: str, value: str, hits: list[_Hit]) -> str:
    for m in rx.finditer(work):
        if m[0].strip():
            hits.append(_Hit(m.start(), value, m[0]))
    return rx.sub(lambda m: " " * len(m[0]), work)


def _clause_starts(work: str, hits: list[_Hit]) -> None:
    pos = 0
    for clause in re.split(r"([,，、。.!！;；?？\s]+)", work):
        m = _CLAUSE_YES.match(clause)
        if m and not any(h.pos == pos + m.start() for h in hits):
            hits.append(_Hit(pos + m.end() - 1, "yes", m[0][-1]))
        pos += len(clause)


def _fine(work: str, hits: list[_Hit]) -> None:
    m = _FINE_KO.search(work)
    if m:
        hits.append(_Hit(m.start(), "fine", m[0]))


_NEG_BEFORE = re.compile(
    rf"(?:(?<![{_L}])(?:not|don'?t|dont|do not|never|khong|không|chua|chưa|chẳng|chang|ko)\s+(?:[{_L}']+\s+)?|"
    r"[不没沒唔未别別]|ไม่|안\s*)$"
)
_NEG_AFTER = re.compile(
    r"^\s*(?:しない|しません|できない|できません|じゃない|ではない|じゃありません|ではありません|하지\s*않|"
    r"하지\s*마|지\s*않|안\s*해|안\s*함|しかねます)"
)


def _negations(t: str, hits: list[_Hit]) -> None:
    for h in hits:
        if h.value not in ("yes", "weak", "fine"):
            continue
        before, after = t[max(0, h.pos - 16) : h.pos], t[h.pos + len(h.text) :]
        if _NEG_BEFORE.search(before) or _NEG_AFTER.search(after):
            h.value = "negated"


def _resolve(hits: list[_Hit]) -> _Answer:
    yes = [h for h in hits if h.value == "yes"]
    no = [h for h in hits if h.value in ("no", "negated")]
    weak = [h for h in hits if h.value == "weak"]
    fine = [h for h in hits if h.value == "fine"]
    if not yes and not no:
        if fine:
            return _Answer(ambiguous=True)  # 괜찮아요 alone: "fine" as in "go ahead" or as in "no thanks"
        return _Answer("yes", False) if weak else _Answer()
    if no and not yes:
        return _Answer("no", True)
    if yes and not no:
        return _Answer("yes", True)
    first = min(yes + no, key=lambda h: h.pos)
    if first in no:
        # "いいえ、大丈夫です", "no, that's fine", "아니요 괜찮아요": a polite no.
        return _Answer("no", True)
    return _Answer(ambiguous=True)
