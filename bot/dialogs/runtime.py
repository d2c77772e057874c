"""Runs the dialog stack for one event: global ways out, stale buttons, misses, idle reset. Pure.

The conversation's `stack` column holds `StackState.to_json()`: the frames (bottom first), the
prompt token the current buttons carry, the count of consecutive misses and the last activity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot import modes
from bot.attachments import messages as attachment_messages
from bot.dialogs import answering, csat, registry
from bot.dialogs.asides import aside, late_notice_first, switch_instead_of_no, with_person
from bot.dialogs.base import Ctx, Done, Exit, Facts, Frame, Push, Start, Transition
from bot.dialogs.common import own_words
from bot.dialogs.hints import hint
from bot.dialogs.keywords import is_menu, wants_human
from bot.dialogs.language import confirmation as language_confirmation
from bot.dialogs.menu import HUMAN, LANGUAGE, MENU
from bot.effects import (
    AttemptLink,
    Effect,
    Escalate,
    MarkUnreachable,
    NoteAttachment,
    RecordConsent,
    SetLocale,
)
from bot.events import (
    AttachmentIn,
    ChoiceIn,
    DateIn,
    FollowIn,
    InboundEvent,
    SystemIn,
    TextIn,
    UnfollowIn,
    UnsupportedIn,
)
from bot.i18n import SUPPORTED, msg
from bot.modes import Mode
from bot.replies import Choices, DatePicker, HandoffNotice, Reply, Text
from bot.understanding import dates
from bot.understanding.text import normalize, strip_latin_marks

IDLE_RESET = dt.timedelta(hours=24)
MAX_MISSES = 2
# Chained transitions (Start -> Push -> ...) in one event are bounded: a cycle is a bug, not a hang.
MAX_HOPS = 16


@dataclass(frozen=True, slots=True)
class StackState:
    frames: tuple[Frame, ...] = ()
    token: str = ""
    misses: int = 0
    at: dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "frames": [f.to_json() for f in self.frames],
            "token": self.token,
            "misses": self.misses,
            "at": self.at.isoformat() if self.at else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> StackState:
        if not data:
            return cls()
        frames = tuple(
            Frame.from_json(f) for f in data.get("frames", ()) if f.get("dialog") in registry.DIALOGS
        )
        at = data.get("at")
        return cls(
            frames,
            data.get("token", ""),
            int(data.get("misses", 0)),
            dt.datetime.fromisoformat(at) if at else None,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    state: StackState
    replies: tuple[Reply, ...] = ()
    effects: tuple[Effect, ...] = ()
    # A person was asked for: the engine queues the conversation.
    handoff: bool = False
    stale: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def advance(state: StackState, ctx: Ctx, new_token: str) -> Outcome:
    """One event through the stack. `new_token` is what buttons rendered now will carry."""
    body = ctx.body
    if state.at is not None and ctx.now - state.at > IDLE_RESET and not isinstance(body, SystemIn):
        state = StackState(token=state.token)
    anywhere = _anywhere(state, ctx, new_token)
    if anywhere is not None:
        return anywhere
    if isinstance(body, AttachmentIn) or (isinstance(body, UnsupportedIn) and body.kind == "sticker"):
        return _received(body, state, ctx, new_token)
    if not state.frames:
        if isinstance(body, SystemIn):
            # An effect's answer with no dialog waiting for it (the customer left meanwhile): nothing to say.
            return Outcome(state)
        return _first_words(state, ctx, new_token)
    return _in_dialog(state, ctx, new_token)


def _anywhere(state: StackState, ctx: Ctx, new_token: str) -> Outcome | None:
    """What is answered the same in every state: following and leaving, the menu, a person, a rich
    menu button or command, a language named. None for everything else."""
    body = ctx.body
    if isinstance(body, UnfollowIn):
        return Outcome(StackState(at=ctx.now, token=state.token), effects=(MarkUnreachable(),))
    if isinstance(body, FollowIn):
        return _finish(
            state, (), _run(registry.MENU.start(ctx, {"payload": body.payload}), ctx, []), ctx, new_token
        )
    if isinstance(body, ChoiceIn) and body.option in (MENU, HUMAN):
        return _global(body.option, state, ctx, new_token)
    if isinstance(body, ChoiceIn) and body.anywhere and body.option in (*registry.FLOWS, LANGUAGE):
        # A rich menu button or a bot command: its flow from the start, whatever was open.
        return _finish(
            StackState(token=state.token),
            (),
            _run(Transition(next=Start(body.option)), ctx, []),
            ctx,
            new_token,
        )
    if isinstance(body, TextIn) and is_menu(body.text):
        return _global(MENU, state, ctx, new_token)
    if isinstance(body, TextIn) and wants_human(body.text):
        return _global(HUMAN, state, ctx, new_token)
    choice = getattr(ctx.facts.understood, "language_choice", None) if isinstance(body, TextIn) else None
    if choice in SUPPORTED and not (state.frames and state.frames[-1].dialog == "language"):
        # "English", "日本語で", "中文": in any state, switch and carry on where we were.
        if state.frames:
            top = state.frames[-1]
            here = _Run(list(state.frames), registry.get(top.dialog).prompt(top, ctx), ())
        else:
            here = _run(registry.MENU.start(ctx, {}), ctx, [])
        here.effects = (*here.effects, SetLocale(choice))
        return _finish(state, (language_confirmation(choice),), here, ctx, new_token)
    return None


def _first_words(state: StackState, ctx: Ctx, new_token: str) -> Outcome:
    """No dialog open: the menu, which also answers a customer's first typed words."""
    if not isinstance(ctx.body, TextIn):
        return _finish(state, (), _run(registry.MENU.start(ctx, {"greet": True}), ctx, []), ctx, new_token)
    opened = _run(registry.MENU.start(ctx, {"greet": True}), ctx, [])
    top = opened.frames[-1]
    stepped = _run(registry.get(top.dialog).step(top, ctx), ctx, list(opened.frames[:-1]))
    if not stepped.missed:
        return _finish(state, (), stepped, ctx, new_token)
    beside = aside(top, ctx, tuple(registry.get(top.dialog).prompt(top, ctx)))
    if beside is None:
        return _finish(state, (), opened, ctx, new_token)
    greeting = tuple(r for r in opened.replies if not isinstance(r, Choices | DatePicker))
    answered = _run(beside, ctx, list(opened.frames[:-1]), current=top)
    return _finish(state, greeting, answered, ctx, new_token)


def _in_dialog(state: StackState, ctx: Ctx, new_token: str) -> Outcome:
    """The open dialog's step: a stale button, something it cannot read, a typed answer, a miss."""
    body = ctx.body
    top = state.frames[-1]
    dialog = registry.get(top.dialog)
    stale_rating = isinstance(body, ChoiceIn) and csat.parse_option(body.option) is not None
    if isinstance(body, ChoiceIn | DateIn) and (
        (body.token and body.token != state.token) or (stale_rating and top.dialog != csat.CsatDialog.name)
    ):
        # A rating pressed twice, or for an old ticket, is as stale as any old button: nothing changes.
        notice = Text(
            csat.STALE
            if stale_rating
            else msg("That button belongs to an earlier message. Here is where we are now:")
        )
        return Outcome(
            StackState(state.frames, state.token, state.misses, ctx.now),
            replies=(notice, *dialog.prompt(top, ctx)),
            stale=True,
        )
    if isinstance(body, UnsupportedIn):
        notice = Text(msg("Sorry, I can only read text messages and button presses here."))
        return _finish(
            state, (notice,), _Run(list(state.frames), dialog.prompt(top, ctx), ()), ctx, new_token
        )
    if isinstance(body, TextIn):
        ctx = answering.read_typed(dialog, top, ctx, state.token, _appointment(top, ctx))
        instead = switch_instead_of_no(top, ctx) or late_notice_first(top, ctx)
        if instead is not None:
            return _finish(
                state, (), _run(instead, ctx, list(state.frames[:-1]), current=top), ctx, new_token
            )
    run = _run(dialog.step(top, ctx), ctx, list(state.frames[:-1]), current=top)
    if run.missed and isinstance(body, SystemIn):
        # Not the customer's doing: an answer the step no longer waits for is dropped, not a miss.
        return Outcome(state)
    if not run.missed:
        return _finish(state, (), run, ctx, new_token)
    prompt = tuple(dialog.prompt(top, ctx))
    beside = aside(top, ctx, prompt)
    if beside is not None:
        return _finish(state, (), _run(beside, ctx, list(state.frames[:-1]), current=top), ctx, new_token)
    return _missed(state, top, ctx, prompt, run.effects)


def _received(body: AttachmentIn | UnsupportedIn, state: StackState, ctx: Ctx, new_token: str) -> Outcome:
    """A file, a location or a sticker: thanked, noted for the agents (not a sticker), and the open
    question asked again where it was — the customer's place in the dialog is not lost."""
    if isinstance(body, AttachmentIn):
        notice = Text(attachment_messages.thanks(body.kind))
        effects: tuple[Effect, ...] = (NoteAttachment(body.kind, ctx.event.event_id),)
    else:
        notice, effects = Text(attachment_messages.STICKER), ()
    if state.frames:
        top = state.frames[-1]
        here = _Run(list(state.frames), registry.get(top.dialog).prompt(top, ctx), effects)
    else:
        # Nothing was open (often a new customer's first message): the greeting and the menu.
        here = _run(registry.MENU.start(ctx, {"greet": True}), ctx, [])
        here.effects = (*here.effects, *effects)
    return _finish(state, (notice,), here, ctx, new_token)


def _missed(
    state: StackState, top: Frame, ctx: Ctx, prompt: tuple[Reply, ...], effects: tuple[Effect, ...]
) -> Outcome:
    """The same question again, saying what it expects; a person offered in it after two misses.

    The person is one more button of the open question, not a question of its own, so a typed "yes"
    still answers what was asked; the buttons already on screen stay valid (the token is kept).
    """
    misses = state.misses + 1
    expect = answering.expectation(registry.get(top.dialog), top, prompt)
    replies: list[Reply] = [Text(hint(expect))]
    no_such_day = _no_such_day(ctx) if expect.kind in ("date", "birth_date") else None
    if no_such_day is not None:
        # "31/2": saying why it was not taken beats asking for a date as if none had been typed.
        replies.insert(0, Text(msg("There is no such day in the calendar: {said}.", said=no_such_day)))
    if misses >= MAX_MISSES:
        replies.append(
            Text(msg("If you prefer, a person from our team can help: choose “Talk to a person”."))
        )
        prompt = with_person(prompt)
    replies.extend(prompt)
    return Outcome(StackState(state.frames, state.token, misses, ctx.now), tuple(replies), effects)


def _no_such_day(ctx: Ctx) -> str | None:
    typed = own_words(ctx)
    if typed is None:
        return None
    t = normalize(typed)
    span = dates.impossible(strip_latin_marks(t), ctx.facts.locale.replace("_", "-"))
    return None if span is None else t[span[0] : span[1]].strip()


def _appointment(frame: Frame, ctx: Ctx) -> dt.datetime | None:
    wanted = frame.data.get("booking_id")
    return next((b.service_at for b in ctx.facts.bookings if b.id == wanted), None)


def _global(option: str, state: StackState, ctx: Ctx, new_token: str) -> Outcome:
    return _finish(
        StackState(token=state.token), (), _run(Transition(next=Exit(option)), ctx, []), ctx, new_token
    )


def _handoff() -> Transition:
    reply = HandoffNotice(
        msg("Thank you. I have asked a person from our team to take over; they will answer you here.")
    )
    return Transition(
        next=Done(show_menu=False),
        replies=(reply,),
        effects=(Escalate("human", "normal", "The customer asked to talk to a person."),),
    )


@dataclass
class _Run:
    frames: list[Frame]
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...]
    missed: bool = False
    handoff: bool = False


def _run(t: Transition, ctx: Ctx, below: list[Frame], current: Frame | None = None) -> _Run:
    """Follow a transition (and what it starts, pushes or resumes) to the next resting stack."""
    frames = list(below)
    replies: list[Reply] = list(t.replies)
    effects: list[Effect] = list(t.effects)
    handoff = any(isinstance(e, Escalate) or getattr(e, "handoff", False) for e in t.effects)
    nxt = t.next
    for _ in range(MAX_HOPS):
        if isinstance(nxt, Frame):
            frames.append(nxt)
            return _Run(frames, tuple(replies), tuple(effects), t.missed, handoff)
        if isinstance(nxt, Exit):
            # Every frame is left behind: nothing resumes, whatever was pushed.
            frames = []
            t2 = _handoff() if nxt.to == HUMAN else registry.MENU.start(ctx, {})
        elif isinstance(nxt, Start):
            t2 = registry.get(nxt.dialog).start(ctx, nxt.args)
        elif isinstance(nxt, Push):
            if nxt.then is not None:
                frames.append(nxt.then)
            elif current is not None:
                frames.append(current)
            t2 = registry.get(nxt.dialog).start(ctx, nxt.args)
        elif isinstance(nxt, Done):
            if frames and frames[-1].dialog == registry.MENU.name and not nxt.show_menu:
                # A request waiting behind a flow that handed over: the person reads the message.
                frames.pop()
            if frames:
                parent = frames.pop()
                t2 = registry.get(parent.dialog).resume(parent, nxt.result, ctx)
            elif nxt.show_menu and not handoff:
                # The menu keeps what the finished flow left for it (a late notice it may update).
                t2 = registry.MENU.start(ctx, {"after": dict(nxt.result)})
            else:
                return _Run(frames, tuple(replies), tuple(effects), False, handoff)
        else:  # pragma: no cover - Next is closed
            raise TypeError(nxt)
        replies.extend(t2.replies)
        effects.extend(t2.effects)
        handoff = handoff or any(isinstance(e, Escalate) or getattr(e, "handoff", False) for e in t2.effects)
        nxt = t2.next
        current = None
    raise RuntimeError("dialog transitions did not settle")


def _finish(state: StackState, prefix: tuple[Reply, ...], run: _Run, ctx: Ctx, new_token: str) -> Outcome:
    replies = (*prefix, *run.replies)
    has_buttons = any(isinstance(r, Choices | DatePicker) for r in replies)
    token = new_token if has_buttons else state.token
    return Outcome(
        StackState(tuple(run.frames), token, 0, ctx.now),
        replies=replies,
        effects=run.effects,
        handoff=run.handoff,
    )


def current_prompt(state: StackState, ctx: Ctx) -> tuple[Reply, ...]:
    if not state.frames:
        return registry.MENU.prompt(Frame("menu", "main"), ctx)
    top = state.frames[-1]
    return registry.get(top.dialog).prompt(top, ctx)


# ---------------------------------------------------------------------------------------------------
# One whole turn: the dialog step, the effect rounds, the handoff and the resulting mode (ADR 0003).
# The caller (the engine, the test simulator) only does the I/O a `Pending` asks for:
#
#     step = turn(state, event, facts, mode=mode, token=token)
#     while isinstance(step, Pending):
#         results = apply(step.effects)                      # I/O, in the event's transaction
#         step = step.resume(results, load() if step.refresh else None)
#     # step is Settled: persist step.state and step.mode, render step.replies with step.facts
# ---------------------------------------------------------------------------------------------------

# Rounds of effects one event may cause (an effect's answer may cause more): a longer chain is a bug.
MAX_EFFECT_ROUNDS = 4


class TurnDidNotSettle(RuntimeError):
    """Effects kept answering back beyond MAX_EFFECT_ROUNDS; nothing of the turn may be committed."""


@dataclass(frozen=True, slots=True)
class Settled:
    """Where the turn ends: what to persist and what to say, rendered with `facts` (the final ones)."""

    state: StackState
    replies: tuple[Reply, ...]
    mode: Mode
    facts: Facts
    handoff: bool = False
    # False: a person has the conversation; the bot said nothing and the stack is untouched.
    answered: bool = True
    stale: bool = False
    # The stack after each dialog step of the turn (the event's, then each effect answer's), in order.
    path: tuple[StackState, ...] = ()


@dataclass(frozen=True, slots=True)
class Pending:
    """Effects to apply before the turn can go on; `resume` with their answers (SystemIn events).

    `refresh`: some effect changes what the facts say (a link, consent, the language): pass freshly
    loaded facts to `resume`; otherwise None keeps the current ones.
    """

    effects: tuple[Effect, ...]
    refresh: bool
    round: int
    event: InboundEvent
    token: str
    facts: Facts
    sofar: Settled

    def resume(self, results: Sequence[SystemIn], facts: Facts | None = None) -> Pending | Settled:
        facts = facts or self.facts
        replies, path = list(self.sofar.replies), list(self.sofar.path)
        effects: list[Effect] = []
        state, handoff = self.sofar.state, self.sofar.handoff
        for result in results:
            answer = InboundEvent(self.event.key, self.event.event_id, self.event.received_at, result)
            out = advance(state, Ctx(answer, facts), self.token)
            state, handoff = out.state, handoff or _hands_off(out)
            path.append(state)
            replies.extend(out.replies)
            effects.extend(out.effects)
        sofar = replace(
            self.sofar, state=state, replies=tuple(replies), facts=facts, handoff=handoff, path=tuple(path)
        )
        return _settle_or_apply(sofar, tuple(effects), self.round + 1, self.event, self.token)


def turn(
    state: StackState, event: InboundEvent, facts: Facts, *, mode: Mode, token: str
) -> Pending | Settled:
    """One customer event in a conversation in `mode`: pure. `token` is what new buttons carry."""
    answering = modes.answering(mode, event.body)
    if answering is None:
        return Settled(state, (), mode, facts, answered=False)
    out = advance(state, Ctx(event, facts), token)
    sofar = Settled(
        out.state, out.replies, answering, facts, _hands_off(out), stale=out.stale, path=(out.state,)
    )
    return _settle_or_apply(sofar, out.effects, 1, event, token)


def _settle_or_apply(
    sofar: Settled, effects: tuple[Effect, ...], round_: int, event: InboundEvent, token: str
) -> Pending | Settled:
    if not effects:
        return replace(sofar, mode=modes.after_turn(sofar.mode, sofar.handoff))
    if round_ > MAX_EFFECT_ROUNDS:
        raise TurnDidNotSettle(f"effects still pending after {MAX_EFFECT_ROUNDS} rounds: {effects!r}")
    refresh = any(isinstance(e, AttemptLink | RecordConsent | SetLocale) for e in effects)
    return Pending(effects, refresh, round_, event, token, sofar.facts, sofar)


def _hands_off(out: Outcome) -> bool:
    """A person was asked for: by the dialog, or by an effect that queues the conversation."""
    return out.handoff or any(isinstance(e, Escalate) or getattr(e, "handoff", False) for e in out.effects)


__all__ = [
    "MAX_EFFECT_ROUNDS",
    "DateIn",
    "Outcome",
    "Pending",
    "Settled",
    "StackState",
    "SystemIn",
    "TurnDidNotSettle",
    "advance",
    "current_prompt",
    "turn",
]
