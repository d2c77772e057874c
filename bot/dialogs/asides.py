"""What a customer says mid-flow that is not an answer to the open question. Pure.

Asked only when the step could not use the text (a typed answer that fits always wins): a medical
question is declined politely with a person offered; a question about fees or rules is answered in
place and the question asked again; a change of mind ("reschedule instead", "actually cancel it")
moves to that flow keeping the booking; "never mind" ends the flow with nothing filed.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from bot.dialogs import keywords, registry
from bot.dialogs.base import Ctx, Done, Frame, Start, Transition
from bot.dialogs.change_words import sends_now
from bot.dialogs.common import named_booking, upcoming
from bot.dialogs.menu import HUMAN, MENU, WELCOME, human_option
from bot.dialogs.payment import how_to_pay
from bot.events import TextIn
from bot.i18n import Msg, msg
from bot.replies import Choices, DatePicker, Reply, Text
from bot.understanding import answers
from bot.understanding.text import normalize, strip_latin_marks

# Flows that file nothing: leaving them needs no "nothing was sent".
_QUIET = frozenset({"menu", "language", "payment", "identity", "privacy"})
# Dialogs that only inform: a thank-you or a no ends them politely.
_INFORMATIONAL = frozenset({"menu", "payment", "privacy", "language"})
# A change of mind is only read from these intents (a flow of its own exists for each).
_SWITCHABLE = ("cancel", "change", "late", "special_circumstance", "payment", "privacy")

NO_MEDICAL_ADVICE = msg(
    "I'm sorry, I can't give medical advice. A person from our team can ask the clinic for you: "
    "choose “Talk to a person”."
)
FEE_RULES = msg(
    "About fees: cancelling the interpretation costs nothing with 4 or more days' notice, 50% of the "
    "interpretation fee from 3 days before, and 100% on the day before and on the day (counted on Japan "
    "calendar dates). When you decide not to have a surgery at all, its cancellation fee is waived. The "
    "rules set no fee for changing a booking; a person from our team will confirm whether anything applies."
)
SWITCHING = msg("All right, let's do that instead.")
NOTHING_SENT = msg("All right, I haven't sent anything. Your booking stays as it is.")


def aside(frame: Frame, ctx: Ctx, prompt: tuple[Reply, ...]) -> Transition | None:
    """The answer to what the customer said beside the question, or None (a real miss)."""
    if not isinstance(ctx.body, TextIn):
        return None
    understood = ctx.facts.understood
    intent = getattr(understood, "intent", None)
    asked = getattr(ctx.facts.answer, "question_about", None) or getattr(understood, "question_about", None)
    if intent == "medical_question" or asked == "medical":
        # At the menu no question is open: a yes that follows is a yes to the person offered.
        here = frame.to(frame.step, offered=HUMAN) if frame.dialog == "menu" else frame
        return Transition(next=here, replies=(Text(NO_MEDICAL_ADVICE), *with_person(prompt)))
    if intent == "payment" and _is_question(ctx) and frame.dialog in _SUMMARIES and _asks_how_to_pay(ctx):
        # "那这个取消费怎么付？可以用支付宝吗" at the cancellation's summary: how to pay, answered in place;
        # the summary stays open (moving to the payment flow would drop the cancellation).
        return Transition(next=frame, replies=(how_to_pay(ctx), *prompt))
    if asked == "fee" and (intent == "payment" or _switch(frame, ctx, intent) is None):
        # "50%? then can I change the date instead?" is a change of mind first (handled below).
        answer = Text(_fee_answer(frame, ctx))
        if any(getattr(r, "text", None) == answer.text for r in prompt):
            # The summary on screen is what was asked about ("why the full amount?"): the rules behind
            # it answer, not the same summary twice (shown as text or as a card of the same text).
            answer = Text(FEE_RULES)
        return Transition(next=frame, replies=(answer, *prompt))
    other = another_booking(frame, ctx)
    if other is not None:
        return other
    if frame.dialog not in _QUIET and _keeps_it(frame, ctx, understood):
        # "算了，还是不改了", "never mind", "やっぱり変更しなくていいです" at any question of a flow.
        return Transition(next=Done(), replies=(Text(NOTHING_SENT),))
    switched = _switch(frame, ctx, intent)
    if switched is not None:
        return switched
    if frame.dialog in _INFORMATIONAL and _closing(ctx.body.text, understood):
        # "ok thanks" after an answer, "no it's fine" to an offer: nothing more is needed.
        return Transition(next=Done(), replies=(Text(WELCOME),))
    return None


def _keeps_it(frame: Frame, ctx: Ctx, understood: Any) -> bool:
    """The customer gives up what the flow is for: a plain no or "never mind" where no yes/no was asked,
    or the flow's own request negated ("I don't want to change it anymore", "변경 안 할게요")."""
    if isinstance(ctx.facts.answer, answers.No):
        return True
    own = getattr(registry.get(frame.dialog), "intents", ())
    if getattr(understood, "intent", "other") not in ("other", None, *own):
        return False  # "취소 말고 날짜 변경", "no, move it instead": a change of mind, not a no
    if any(i in getattr(understood, "negated", ()) for i in own):
        return True
    text = str(ctx.facts.typed or getattr(ctx.body, "text", ""))
    return keywords.is_no(text) or keywords.is_never_mind(text)


def _closing(text: str, understood: Any) -> bool:
    if getattr(understood, "intent", "other") not in ("other", None):
        return False
    return keywords.is_thanks(text) or keywords.is_no(text)


def _fee_answer(frame: Frame, ctx: Ctx) -> Msg:
    dialog: Any = registry.get(frame.dialog)
    own = getattr(dialog, "fee_answer", None)
    found = own(frame, ctx) if callable(own) else None
    return found if isinstance(found, Msg) else FEE_RULES


def switch_instead_of_no(frame: Frame, ctx: Ctx) -> Transition | None:
    """ "No, not cancel — can I change the date?": the no comes with another flow; that flow wins
    (nothing is filed either way, and the customer is not asked the same thing again)."""
    read = ctx.facts.answer
    intent = getattr(ctx.facts.understood, "intent", None)
    own = getattr(registry.get(frame.dialog), "intents", ())
    declared = getattr(registry.get(frame.dialog), "expects", {}).get(frame.step)
    if any(i in getattr(ctx.facts.understood, "negated", ()) for i in own) and intent not in own:
        # "Actually don't cancel it, just move it" at any question of the cancellation: whatever the
        # step would make of its "don't", the customer wants the other flow.
        switched = _switch(frame, ctx, intent)
        if switched is not None or not getattr(declared, "confirms", False) or _says_yes(read, ctx):
            # "Yes. Please don't cancel my other appointment though": a yes to this summary.
            return switched
        # "100%? then I won't cancel, I'll go as booked" at the summary: kept, nothing sent — even when
        # it also asks about the fee (a later "ok thanks" must not send it).
        return Transition(next=Done(), replies=(Text(NOTHING_SENT),))
    if not (isinstance(read, answers.No) or (isinstance(read, answers.NoFit) and read.then == answers.No())):
        return None
    if isinstance(read, answers.NoFit) and read.reason == "question" and _asks_about(read, ctx):
        # "why is it the full amount? is there no partial refund": a question about the fee holding a
        # "no" is no change of mind to the payment flow; `aside` answers it and asks again.
        return None
    other = another_booking(frame, ctx)
    if other is not None:
        # "No, the treatment" at the cancellation's summary: not a no, the other booking.
        return other
    if not getattr(declared, "confirms", False):
        # Elsewhere a no is an answer of its own ("No, only this appointment").
        return None
    return _switch(frame, ctx, intent)


def _says_yes(read: object, ctx: Ctx) -> bool:
    # A plain yes; a "yes" only inside a question ("…เหรอคะ งั้นไม่ cancel แล้วค่ะ": ค่ะ is politeness) is none.
    if isinstance(read, answers.Yes):
        return True
    return sends_now(str(ctx.facts.typed or getattr(ctx.body, "text", "")))


def another_booking(frame: Frame, ctx: Ctx) -> Transition | None:
    """ "Not that one, the treatment" while a flow works on the surgery: the flow starts again for the
    booking named (by kind or reference), so nothing is filed for the wrong one."""
    dialog = registry.get(frame.dialog)
    current = frame.data.get("booking_id")
    text = ctx.facts.typed or getattr(ctx.body, "text", "")
    if frame.step not in getattr(dialog, "booking_steps", ()) or current is None or not text:
        return None
    named = named_booking(ctx, upcoming(ctx), text, by_date=False)
    if named is None or named.id == current:
        return None
    return Transition(next=Start(frame.dialog, {"booking_id": named.id, "text": text}), replies=())


def late_notice_first(frame: Frame, ctx: Ctx) -> Transition | None:
    """ "Sorry, I'm running 20 minutes late today" typed at another flow's question is a late notice
    before anything else: it is urgent, and its words ("today", "20") would otherwise be taken as that
    question's answer (a wished date, a time of day, a note)."""
    # Typed, not pressed: a typed date already reads as a DateIn here, so the words are what count.
    if not ctx.facts.typed or not getattr(ctx.facts.understood, "says_late", False):
        return None
    return _switch(frame, ctx, "late")


def _asks_about(read: answers.NoFit, ctx: Ctx) -> bool:
    """A question about the fee or how to pay it whose words only sound like the payment flow ("is
    there no refund?", "can I pay it by Alipay?"); "50%? then can I change the date instead?" still
    switches."""
    return getattr(ctx.facts.understood, "intent", None) == "payment"


# Flows whose last question is a summary to send: a question about paying is answered beside it.
_SUMMARIES = frozenset({"cancellation", "booking_change"})


_HOW_TO_PAY = re.compile(
    r"\bhow (?:do|can|should) i pay\b|\bpay (?:it |this |that )?(?:by|with|via|using)\b|\b(?:credit )?card\b|"
    r"\bbank transfer\b|\bpaypal\b|\balipay\b|\bwechat\b|\bcash\b|怎么付|怎麼付|如何付|支付宝|支付寶|微信|转账|轉帳|"
    r"刷卡|信用卡|转数快|轉數快|\bfps\b|どうやって払|支払い方法|お支払い方法|カード|振込|振り込|"
    r"어떻게 (?:내|결제|지불)|결제 방법|카드|계좌|송금|จ่ายยังไง|ชำระยังไง|บัตร|โอน|"
    r"\b(?:thanh toan|tra) (?:bang|the nao|nhu the nao)\b|\bchuyen khoan\b|\bthe tin dung\b",
    re.IGNORECASE,
)


def _asks_how_to_pay(ctx: Ctx) -> bool:
    text = strip_latin_marks(normalize(str(ctx.facts.typed or getattr(ctx.body, "text", ""))))
    return _HOW_TO_PAY.search(text) is not None


def _is_question(ctx: Ctx) -> bool:
    read = ctx.facts.answer
    text = str(ctx.facts.typed or getattr(ctx.body, "text", ""))
    return (isinstance(read, answers.NoFit) and read.reason == "question") or "?" in text or "？" in text


def _switch(frame: Frame, ctx: Ctx, intent: str | None) -> Transition | None:
    if intent not in _SWITCHABLE or frame.dialog in ("menu", "identity", "language"):
        return None
    if intent in getattr(registry.get(frame.dialog), "intents", ()):
        return None
    target = next((n for n in registry.FLOWS if intent in getattr(registry.get(n), "intents", ())), None)
    if target is None:
        return None
    text = ctx.facts.typed or getattr(ctx.body, "text", "")
    args = {"booking_id": frame.data.get("booking_id"), "text": text}
    return Transition(next=Start(target, args), replies=(Text(SWITCHING),))


def with_person(prompt: tuple[Reply, ...]) -> tuple[Reply, ...]:
    """The prompt with "Talk to a person" among the last question's buttons (before "menu")."""
    last = max((i for i, r in enumerate(prompt) if isinstance(r, Choices | DatePicker)), default=None)
    if last is None:
        return (
            *prompt,
            Choices(msg("Would you like a person from our team to help you?"), (human_option(),)),
        )
    question = prompt[last]
    assert isinstance(question, Choices | DatePicker)
    if any(o.id == HUMAN for o in question.options):
        return prompt
    kept = [o for o in question.options if o.id != MENU]
    menu = [o for o in question.options if o.id == MENU]
    widened = replace(question, options=(*kept, human_option(), *menu))
    return (*prompt[:last], widened, *prompt[last + 1 :])
