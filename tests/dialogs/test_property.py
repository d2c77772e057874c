"""Any sequence of events — text, buttons current and stale, dates, stickers, long silences — through
runtime.advance (pure, with the engine's effects simulated by Sim): nothing raises, the customer
always has a way out, every move is an edge of the dialog's graph, and no request is filed twice."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from bot.dialogs import registry
from bot.dialogs.runtime import StackState, advance
from bot.effects import FileRequest
from bot.events import Body, ChoiceIn, DateIn, FollowIn, TextIn, UnsupportedIn
from bot.replies import Choices, DatePicker, HandoffNotice
from bot.understanding import understand
from tests.dialogs.support import BIRTH, REFERENCE, Sim, bk, ctx, facts

WORDS = [
    "cancel",
    "I want to change my booking",
    "running 40 minutes late",
    "late",
    "I have a fever",
    "pay",
    "privacy",
    "yes",
    "no",
    "ok",
    "1",
    "2",
    "3",
    "4",
    "5",
    "7",
    REFERENCE,
    BIRTH.isoformat(),
    f"{REFERENCE} {BIRTH.isoformat()}",
    "BK-9999",
    "1985-01-01",
    "2026-03-20",
    "tomorrow",
    "30",
    "45 min",
    "afternoon",
    "my phone changed",
    "hello",
    "menu",
    "talk to a person",
    "???",
    "これはテストです",
]
KNOWN_IDS = [
    "confirm",
    "keep",
    "send",
    "dont_send",
    "called_off",
    "this_only",
    "consent_yes",
    "consent_no",
    "m10",
    "m30",
    "m60",
    "change",
    "on_my_way",
    "dates_done",
    "no_note",
    "morning",
    "illness",
    "see",
    "delete",
    "b1",
    "b2",
    "b3",
    "cancellation",
    "late_arrival",
    "payment",
    "privacy",
    "special_circumstance",
]

press = st.tuples(st.just("press"), st.integers(0, 12))
answer = st.tuples(st.just("answer"), st.integers(0, 12))
words = st.tuples(st.just("text"), st.sampled_from(WORDS))
# Pressing what is offered (and typing sensible words) is likelier, so runs get deep into every flow.
event = st.one_of(
    press,
    press,
    press,
    answer,
    answer,
    answer,
    answer,
    answer,
    st.tuples(st.just("press_any"), st.integers(0, 12)),
    st.tuples(st.just("repeat"), st.none()),
    st.tuples(st.just("repeat"), st.none()),
    words,
    words,
    st.tuples(st.just("text"), st.text(max_size=30)),
    st.tuples(st.just("stale"), st.sampled_from(KNOWN_IDS)),
    st.tuples(st.just("untokened"), st.sampled_from(KNOWN_IDS)),
    st.tuples(st.just("date"), st.dates(dt.date(1950, 1, 1), dt.date(2027, 12, 31))),
    st.tuples(st.just("stale_date"), st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31))),
    st.tuples(st.just("unsupported"), st.sampled_from(["sticker", "image", "location"])),
    st.tuples(st.just("follow"), st.none()),
)
pause = st.sampled_from([5, 5, 5, 5, 60, 60, 600, 3 * 3600, 13 * 3600, 25 * 3600])
bookings = st.lists(
    st.tuples(
        st.sampled_from(["surgery", "treatment", "online_consultation", "consultation"]),
        st.integers(-1, 12),
        st.sampled_from([9, 14, 23]),
        st.sampled_from([None, 8_000, 33_333, 120_000]),
    ),
    max_size=3,
)


def body_for(sim: Sim, kind: str, value: object, last: Body | str) -> Body | str:
    """The event to send; "repeat" sends the previous one again as it was (a double tap, a resend)."""
    match kind:
        case "repeat":
            return last
        case "text":
            return str(value) or " "
        case "press" | "press_any":
            options = sim.options()
            if kind == "press":  # a button of the flow itself, not one of the ways out
                options = [o for o in options if o not in ("menu", "human")] or options
            if not options:
                return ChoiceIn("menu", sim.token)
            return ChoiceIn(options[int(str(value)) % len(options)], sim.token)
        case "answer":
            return cooperative(sim, int(str(value)))
        case "stale":
            return ChoiceIn(str(value), "0")
        case "untokened":
            return ChoiceIn(str(value), "")
        case "date":
            assert isinstance(value, dt.date)
            return DateIn(value, token=sim.token)
        case "stale_date":
            assert isinstance(value, dt.date)
            return DateIn(value, token="0")
        case "unsupported":
            return UnsupportedIn(str(value))
    return FollowIn()


def cooperative(sim: Sim, n: int) -> Body | str:
    """What a cooperative customer answers where typing is expected (so runs reach the last steps)."""
    match sim.where():
        case ("identity", "reference"):
            return REFERENCE if n % 4 else f"{REFERENCE} {BIRTH.isoformat()}"
        case ("identity", "birth_date"):
            return DateIn(BIRTH, token=sim.token) if n % 3 else "1991-02-03"
        case ("booking_change", "dates"):
            if n % 5 == 0:
                return ChoiceIn("dates_done", sim.token)
            return DateIn(sim.now.date() + dt.timedelta(days=3 + n), token=sim.token)
        case ("late_arrival", "minutes"):
            return str(5 + 7 * n)
        case ("booking_change", "note") | ("special_circumstance", "details") | ("privacy", "correction"):
            return "Some words of explanation."
    options = [o for o in sim.options() if o not in ("menu", "human")]
    return ChoiceIn(options[n % len(options)], sim.token) if options else "menu"


def check_way_out(state: StackState, token: str) -> None:
    menu = advance(state, ctx(ChoiceIn("menu", token), facts()), "x")
    assert [f.dialog for f in menu.state.frames] == ["menu"] and not menu.effects
    person = advance(state, ctx(TextIn("talk to a person"), facts()), "x")
    assert person.handoff and person.state.frames == ()


def check_moves(sim: Sim) -> None:
    for before, after in sim.moves:
        for depth, old in enumerate(before.frames):
            if depth >= len(after.frames):
                break
            new = after.frames[depth]
            if new.dialog != old.dialog or new.step == old.step or new.data.get("run") != old.data.get("run"):
                continue
            targets = {t for _, t in registry.get(old.dialog).graph[old.step]}
            assert new.step in targets, f"{old.dialog}: {old.step} -> {new.step} is not in the graph"


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=st.lists(st.tuples(event, pause), min_size=1, max_size=40),
    booked=bookings,
    linked=st.booleans(),
    no_shows=st.integers(0, 3),
    understood=st.booleans(),
)
def test_any_sequence_of_events(
    events: list[tuple[tuple[str, object], int]],
    booked: list[tuple[str, int, int, int | None]],
    linked: bool,
    no_shows: int,
    understood: bool,
) -> None:
    sim = Sim(
        linked=linked, consented=linked, no_shows=no_shows, understand=understand if understood else None
    )
    sim.bookings = tuple(
        bk(kind, days, hour, fee, id=i + 1, reference=REFERENCE if i == 0 else f"BK-{i + 1:04d}")
        for i, (kind, days, hour, fee) in enumerate(booked)
    )
    last: Body | str = "hello"
    for (kind, value), seconds in events:
        queued = sim.mode != "bot"
        last = body_for(sim, kind, value, last)
        replies = sim.send(last, after=dt.timedelta(seconds=seconds))
        if queued and sim.mode != "bot":
            assert replies == [], "while a person has it the bot stays silent"
            continue
        assert replies, "every customer event is answered"
        assert len(sim.state.frames) <= 3
        if sim.mode == "bot":
            assert any(isinstance(r, Choices | DatePicker) for r in replies), (
                "something to press, at least the menu"
            )
        else:
            assert any(isinstance(r, HandoffNotice) for r in replies)
        check_way_out(sim.state, sim.token)
    # Steer generation towards runs that visit many different steps (deep into the flows).
    target(float(len({(f.dialog, f.step) for _, after in sim.moves for f in after.frames})))
    filed = Counter((e.kind, e.dedupe) for e in sim.effects if isinstance(e, FileRequest))
    assert all(n == 1 for n in filed.values()), f"filed twice: {filed}"
    check_moves(sim)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(st.tuples(st.integers(0, 12), st.sampled_from([0, 1, 1, 2])), min_size=1, max_size=30),
    booked=bookings,
    linked=st.booleans(),
)
def test_a_cooperative_customer_who_taps_twice_files_each_request_once(
    steps: list[tuple[int, int]], booked: list[tuple[str, int, int, int | None]], linked: bool
) -> None:
    """Straight through the flows, every answer sent once, twice or three times (double taps, resends)."""
    sim = Sim(linked=linked, consented=linked)
    sim.bookings = tuple(
        bk(kind, max(days, 0), hour, fee, id=i + 1, reference=REFERENCE if i == 0 else f"BK-{i + 1:04d}")
        for i, (kind, days, hour, fee) in enumerate(booked)
    )
    for n, extra in steps:
        if sim.mode != "bot":
            sim.send("menu")
        body = cooperative(sim, n)
        for _ in range(1 + extra):
            sim.send(body)
    filed = Counter((e.kind, e.dedupe) for e in sim.effects if isinstance(e, FileRequest))
    assert all(n == 1 for n in filed.values()), f"filed twice: {filed}"
    check_moves(sim)
