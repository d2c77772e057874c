"""A request is filed only when the customer confirmed that request; a yes answers only the question
asked. Any sequence of typed and pressed answers in several languages, through runtime.advance with the
real understanding and answer reader (Sim answers the engine's effects)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dialogs import answering, registry
from bot.effects import FileRequest
from bot.events import Body, ChoiceIn, DateIn, TextIn
from bot.replies import Choices, DatePicker, Reply
from bot.understanding import understand
from tests.dialogs.support import BIRTH, REFERENCE, Sim, bk, ctx, facts

# The question that must have been answered yes for each kind of request that needs a confirmation
# (late notices and special circumstances are reports: telling us is the request).
CONFIRM = {
    "cancellation": ("cancellation", "explain", "confirm"),
    "change": ("booking_change", "confirm", "send"),
}
YES = [
    "yes",
    "yes please",
    "ok",
    "sure",
    "はい",
    "お願いします",
    "네",
    "좋아요",
    "可以",
    "好的",
    "係",
    "ได้ค่ะ",
    "đúng rồi",
]
OTHER = [
    "no",
    "no, keep it",
    "never mind",
    "how much is the fee?",
    "can I reschedule instead?",
    "I have a fever",
    "is botox safe while breastfeeding?",
    "1",
    "2",
    "3",
    REFERENCE,
    BIRTH.isoformat(),
    "20 minutes",
    "tomorrow",
    "2026-03-20",
    "afternoon",
    "talk to a person",
    "???",
]
event = st.one_of(
    st.tuples(st.just("text"), st.sampled_from(YES + OTHER)),
    st.tuples(st.just("press"), st.integers(0, 8)),
    st.tuples(st.just("date"), st.integers(1, 40)),
)
bookings = st.lists(
    st.tuples(
        st.sampled_from(["surgery", "treatment", "online_consultation"]),
        st.integers(0, 12),
        st.sampled_from([None, 40_000, 120_000]),
    ),
    min_size=1,
    max_size=3,
)


def _body(sim: Sim, kind: str, value: object) -> Body | str:
    if kind == "text":
        return str(value)
    if kind == "date":
        return DateIn(sim.now.date() + dt.timedelta(days=int(str(value))), token=sim.token)
    options = sim.options()
    return ChoiceIn(options[int(str(value)) % len(options)], sim.token) if options else "menu"


def _on_screen(replies: list[Reply], option: str) -> bool:
    return any(
        isinstance(r, Choices | DatePicker) and any(o.id == option for o in r.options) for r in replies
    )


def _numbered(replies: list[Reply], typed: str) -> str | None:
    """The option a typed number names in the last question shown (buttons degrade to numbered lines)."""
    questions = [r for r in replies if isinstance(r, Choices | DatePicker)]
    if not typed.isdigit() or not questions:
        return None
    options = questions[-1].options
    n = int(typed)
    return options[n - 1].id if 1 <= n <= len(options) else None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=st.lists(event, min_size=1, max_size=30),
    booked=bookings,
    start=st.sampled_from(["cancel", "change"]),
)
def test_a_request_is_never_filed_without_the_confirmation_for_it(
    events: list[tuple[str, object]], booked: list[tuple[str, int, int | None]], start: str
) -> None:
    sim = Sim(linked=True, consented=True, understand=understand)
    sim.bookings = tuple(
        bk(kind, days, 14, fee, id=i + 1, reference=f"BK-{i + 1:04d}")
        for i, (kind, days, fee) in enumerate(booked)
    )
    sim.send(start)
    for kind, value in events:
        if sim.mode != "bot":
            sim.send("menu")
        before, shown = sim.top, list(sim.replies)
        body = _body(sim, kind, value)
        count = len(sim.filed)
        sim.send(body)
        if len(sim.filed) == count:
            continue
        filed = [e for e in list(sim.filed.values())[count:] if isinstance(e, FileRequest)]
        for request in filed:
            if request.kind not in CONFIRM:
                continue
            dialog, step, option = CONFIRM[request.kind]
            assert before is not None and (before.dialog, before.step) == (dialog, step), (
                f"{request.kind} filed from {before} by {body!r}"
            )
            assert _on_screen(shown, option), f"{request.kind} filed without its question on screen"
            if isinstance(body, ChoiceIn):
                assert body.option == option
            else:
                assert isinstance(body, str), body
                assert body in YES or _numbered(shown, body) == option, (
                    f"{request.kind} filed by typing {body!r}"
                )


@settings(max_examples=200, deadline=None)
@given(text=st.sampled_from(YES), step=st.sampled_from(["reference", "birth_date"]))
def test_a_yes_is_no_answer_to_a_question_that_does_not_ask_yes_or_no(text: str, step: str) -> None:
    sim = Sim()
    sim.send("cancel")
    sim.send("I agree")
    if step == "birth_date":
        sim.send(REFERENCE)
    assert sim.where() == ("identity", step), sim.text()
    top = sim.top
    assert top is not None
    read = answering.read_typed(
        registry.get("identity"), top, ctx(TextIn(text), facts(linked=False)), sim.token
    )
    assert isinstance(read.body, TextIn), f"{text!r} became {read.body!r} on the {step} question"
    sim.send(text)
    assert sim.where() == ("identity", step) and not sim.filed
