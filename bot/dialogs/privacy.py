"""Privacy: the policy in short (RULES.md §6); a request to see, correct or delete one's data goes
through the identity check first, then becomes a data request and a ticket for a person."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from bot.dialogs import keywords
from bot.dialogs.answering import FREE_TEXT, Expectation, yes_no
from bot.dialogs.base import FIRST_CHARS, Ctx, Done, Frame, Transition, missed
from bot.dialogs.common import Flow, Graph, answer, menu_option, not_linked, run_id
from bot.effects import FileRequest
from bot.events import ChoiceIn, TextIn
from bot.i18n import msg
from bot.replies import Choices, Option, Reply, Text
from bot.understanding import yesno
from bot.understanding.text import normalize, strip_latin_marks

SEE, CORRECT, DELETE = "see", "correct", "delete"
SEND, KEEP = "send", "keep"
NOTE_CHARS = 1000
# fmt: off
_ACTION_WORDS = {
    SEE: ("see", "show", "view", "access", "copy of", "見せ", "見た", "開示", "確認したい", "查看", "看", "睇", "보기", "보고",
          "열람", "ดู", "xem"),
    CORRECT: ("correct", "fix", "update", "change", "wrong", "new number", "new phone", "new e-mail", "new email",
              "new address", "is now", "訂正", "修正", "変更", "変わ", "間違", "新しい", "更正", "修改", "更新", "更改",
              "改成", "改为", "改為", "换", "換", "新号", "新號", "新的", "变了", "變了", "填错", "填錯", "정정", "수정", "변경", "바뀌", "바꿔",
              "틀렸", "แก้", "เปลี่ยน", "ผิด", "ใหม่", "sửa", "đổi", "cập nhật", "thay", "sai"),
    DELETE: ("delete", "erase", "remove", "削除", "消し", "删除", "刪除", "삭제", "ลบ", "xóa", "xoá"),
}
# fmt: on
# The new value itself: a phone number, an e-mail address, or "is now ...".
_NEW_VALUE = re.compile(
    r"\d[\d\s()+-]{6,}\d|[^\s@]+@[^\s@]+\.[a-z]{2,}|\bis now\b|改成|改为|改為|になりました|로 바|"
    # The wrong value beside the right one: "Whitfeild but it should be Whitfield", "SATO ではなく SATOH",
    # "KIM MINJI로 되어 있는데 여권에는 KIM MINJEE예요".
    r"\bshould be\b|\binstead of\b|\bnot [a-z]+ but\b|->|→|ではなく|じゃなくて|应该是|應該是|写成|寫成|不是.{1,20}是|"
    r"(?:로|으로) 되어 ?있는데|(?:이|가) 아니라|ที่ถูก(?:ต้อง)?คือ|ไม่ใช่.{1,20}แต่|\bdung ra la\b|đúng ra là",
    re.I,
)
_AFTER_LINK = (
    ("see: request filed", "done"),
    ("correct", "correction"),
    ("correct, the new value said up front: request filed", "done"),
    ("delete", "confirm_delete"),
)


class PrivacyDialog(Flow):
    name: ClassVar[str] = "privacy"
    menu_label = msg("Privacy and my data")
    intents = ("privacy",)
    expects: ClassVar[Mapping[str, Expectation]] = {
        "correction": FREE_TEXT,
        "confirm_delete": yes_no(SEND, KEEP, confirms=True),
    }
    graph: ClassVar[Graph] = {
        "start": (
            ("policy in short", "choose"),
            ("see, correct or delete asked up front: not linked", "identity"),
            *((f"asked up front, linked: {label}", to) for label, to in _AFTER_LINK),
        ),
        "choose": (
            ("see, correct or delete: not linked", "identity"),
            *((f"linked: {label}", to) for label, to in _AFTER_LINK),
        ),
        "identity": (*((f"linked: {label}", to) for label, to in _AFTER_LINK), ("not linked", "done")),
        "correction": (("what to correct typed: request filed", "done"),),
        "confirm_delete": (("send: request filed", "done"), ("keep my data", "done")),
    }

    def start(self, ctx: Ctx, args: Mapping[str, Any]) -> Transition:
        summary = msg(
            "Our privacy policy in short: we collect your name, date of birth, gender, phone, e-mail and past "
            "cosmetic treatments. We use them only to arrange your care and to contact you, share them only with "
            "the partner clinics that treat you, and never give them to anyone else without your consent unless "
            "the law requires it. Your treatment history is handled as sensitive data. You can ask to see, "
            "correct or delete your data; we answer after confirming it is really you."
        )
        first = str(args.get("text") or "")
        frame = self.frame("choose", run=run_id(ctx, self.name), first=first[:FIRST_CHARS])
        said = _typed_action(first)
        # "Who can see my photos?" asks about the policy; only a request is acted on at once.
        if said is not None and not _asks(first):
            # "Please delete all my data": what was asked for is not asked again; nor what to correct
            # ("把我的电话改成139 1234 5678").
            note = first.strip()[:NOTE_CHARS] if said == CORRECT and _NEW_VALUE.search(first) else ""
            t = self._act(frame.to("choose", note=note or None), ctx, said)
            return replace(t, replies=(Text(summary), *t.replies))
        return self.go(frame, ctx, "choose", Text(summary))

    def ask_choose(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        options = (
            Option(SEE, msg("See my data")),
            Option(CORRECT, msg("Correct my data")),
            Option(DELETE, msg("Delete my data")),
            menu_option(),
        )
        return (Choices(msg("What would you like to do?"), options),)

    def on_choose(self, frame: Frame, ctx: Ctx) -> Transition:
        body = ctx.body
        action: str | None = None
        if isinstance(body, ChoiceIn) and body.option in (SEE, CORRECT, DELETE):
            action = body.option
        elif isinstance(body, TextIn):
            action = _typed_action(body.text)
        if action is None:
            return missed(frame)
        if action == CORRECT and isinstance(body, TextIn) and _NEW_VALUE.search(body.text):
            # "新號碼是0912-345-678": the correction itself, not only the wish to make one.
            frame = frame.to("choose", note=body.text.strip()[:NOTE_CHARS])
        return self._act(frame, ctx, action)

    def _act(self, frame: Frame, ctx: Ctx, action: str) -> Transition:
        frame = frame.to("choose", action=action)
        if ctx.facts.customer is None:
            return self.need_identity(frame)
        return self._after_link(frame, ctx)

    def resume_identity(self, frame: Frame, result: Mapping[str, Any], ctx: Ctx) -> Transition:
        if not result.get("linked") or ctx.facts.customer is None:
            return not_linked(result)
        return self._after_link(frame, ctx)

    def _after_link(self, frame: Frame, ctx: Ctx) -> Transition:
        match frame.data.get("action"):
            case "correct" if frame.data.get("note"):
                return _file(frame, CORRECT, str(frame.data["note"]))
            case "correct":
                return self.go(frame, ctx, "correction")
            case "delete":
                return self.go(frame, ctx, "confirm_delete")
        return _file(frame, SEE, "")

    def ask_correction(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        ask = msg("What should we correct? Please type it, for example: “my phone number is now …”.")
        return (Choices(ask, (menu_option(),)),)

    def on_correction(self, frame: Frame, ctx: Ctx) -> Transition:
        body = ctx.body
        if not isinstance(body, TextIn) or not body.text.strip():
            return missed(frame)
        return _file(frame, CORRECT, body.text.strip()[:NOTE_CHARS])

    def ask_confirm_delete(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        ask = msg(
            "Shall I send a request to delete your personal data? Before anything is deleted, a person from our "
            "team will tell you what it means for any upcoming bookings."
        )
        return (
            Choices(
                ask, (Option(SEND, msg("Yes, send it")), Option(KEEP, msg("No, keep my data")), menu_option())
            ),
        )

    def on_confirm_delete(self, frame: Frame, ctx: Ctx) -> Transition:
        match answer(ctx, SEND, KEEP):
            case "send":
                return _file(frame, DELETE, "")
            case "keep":
                return Transition(next=Done(), replies=(Text(msg("All right, nothing was sent.")),))
        return missed(frame)


def _file(frame: Frame, action: str, note: str) -> Transition:
    filed = FileRequest(
        kind="data",
        dedupe=str(frame.data["run"]),
        details={"action": action, "note": note},
        summary=(
            f"Data request: {action} (RULES §6). The chat is linked by booking reference and date of birth; "
            "confirm the person's identity before answering."
        ),
    )
    sent = msg(
        "Your request has been sent. A person from our team will confirm it is really you and answer you here "
        "without delay."
    )
    return Transition(next=Done(), replies=(Text(sent),), effects=(filed,))


# fmt: off
# A polite request is often a question ("can you delete my data?", "消してもらえますか", "cho em xem ... được
# không ạ"): these frames ask for something to be done for the customer.
_REQUEST = re.compile(
    r"\b(?:i'd like|i would like|i want|i wanna|i need|i'd want|please|pls|can you|could you|would you|can i|"
    r"could i|may i|let me|i'm asking|i am asking|i request|"
    r"cho (?:em|toi|minh|chi|anh|con)(?! hoi)|muon|xin|giup|lam on|nho)\b|"
    r"てもらえ|てもらい|ていただけ|ていただき|てください|て下さい|てほしい|て欲しい|たいです|たいのですが|たいんですが|"
    r"お願い|させて|"
    r"我想|我要|想要|请|請|麻烦|麻煩|帮我|幫我|幫手|帮忙|幫忙|唔該|可唔可以|可不可以|能不能|"
    r"주세요|주실|주시|싶어요|싶습니다|싶은데|해줘|해 줘|부탁|"
    r"ขอ|อยาก|ช่วย|ให้หน่อย|รบกวน",
    re.ASCII,
)
# A question about who, where or how long (the policy), even when framed as a request.
_POLICY_QUESTION = re.compile(
    r"\b(?:who|whom|whose|which clinics?|where|how long|ai|o dau|bao lau)\b|"
    r"誰|だれ|どこ|いつまで|谁|哪些人|哪里|哪裡|多久|邊個|边个|邊度|누가|누구|어디|언제까지|ใคร|ที่ไหน|นานแค่ไหน",
    re.ASCII,
)
# fmt: on


def _asks(text: str) -> bool:
    """ "Who can see my photos?", "ảnh của em thì ai được xem vậy ạ?": a question about the policy;
    "what data do you have on me? I'd like to see it", "消してもらえますか": a request, asked politely."""
    t = normalize(text)
    if not ("?" in text or "？" in text or yesno.is_question(t)):
        return False
    plain = strip_latin_marks(t)
    return bool(_POLICY_QUESTION.search(plain)) or not _REQUEST.search(plain)


def _typed_action(text: str) -> str | None:
    t = keywords.normalize(text)
    found = [a for a, words in _ACTION_WORDS.items() if any(w in t for w in words)]
    return found[0] if len(found) == 1 else None
