"""Typed answers read against the open question, before the dialog sees them. Pure.

Every step declares what it expects (`Flow.expects`, or what its buttons imply), and
`bot.understanding.answers.read` reads the customer's text against that one expectation in any of
the seven languages. A text that fits becomes what pressing the button would have sent (a typed
"ok" on "Shall I send it?" is the "Yes, send it" press; "1 เม.ย. 2533" on the birth-date question is
a date), so each dialog has one way in for an answer. What fits no button (a reference, minutes, a
date that could be read two ways) reaches the step as `ctx.facts.answer`.

The expectation is the open question's only: a yes never answers an offer shown beside it, and a
yes typed where a date is expected is no date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.dialogs.base import Ctx, Frame
from bot.events import ChoiceIn, DateIn, TextIn
from bot.i18n import Translator
from bot.replies import Choices, DatePicker, Option, Reply
from bot.understanding import answers


@dataclass(frozen=True, slots=True)
class Expectation:
    """What one question expects. `yes` / `no`: the option ids a typed yes or no stands for."""

    kind: str  # yes_no | option | date | birth_date | reference | minutes | free_text | intent
    yes: str | None = None
    no: str | None = None
    # The question confirms a request: its no keeps everything as it is (a change of mind may follow).
    confirms: bool = False


def yes_no(yes: str, no: str, *, confirms: bool = False) -> Expectation:
    return Expectation("yes_no", yes, no, confirms)


OPTION = Expectation("option")
DATE = Expectation("date")
BIRTH_DATE = Expectation("birth_date")
REFERENCE = Expectation("reference")
MINUTES = Expectation("minutes")
FREE_TEXT = Expectation("free_text")
# Typed words say what the customer wants (the menu): read by bot.understanding, not as an answer.
INTENT = Expectation("intent")


def expectation(dialog: Any, frame: Frame, prompt: Iterable[Reply]) -> Expectation:
    """The step's declared expectation, else what its buttons imply (a calendar: a date)."""
    declared: Mapping[str, Expectation] = getattr(dialog, "expects", {})
    if frame.step in declared:
        return declared[frame.step]
    last = _last_question(prompt)
    if isinstance(last, DatePicker):
        return DATE
    return OPTION if last is not None else FREE_TEXT


def read_typed(
    dialog: Any, frame: Frame, ctx: Ctx, token: str, appointment_at: dt.datetime | None = None
) -> Ctx:
    """`ctx` with a typed answer turned into the press or date it stands for, and the reading kept."""
    body = ctx.body
    if not isinstance(body, TextIn):
        return ctx
    prompt = tuple(dialog.prompt(frame, ctx))
    expect = expectation(dialog, frame, prompt)
    if expect.kind == "intent":
        # The menu routes typed words by what they ask for (and hands them to the flow it starts).
        return ctx
    options = _reader_options(prompt, expect, Translator(ctx.facts.locale), Translator("en"))
    reading = _read(body.text, expect, options, ctx, appointment_at)
    pressed = _as_press(reading, expect, options, token)
    facts = replace(ctx.facts, answer=reading, typed=body.text)
    if pressed is not None:
        return Ctx(replace(ctx.event, body=pressed), facts)
    return Ctx(ctx.event, facts)


def _read(
    text: str,
    expect: Expectation,
    options: tuple[answers.Option, ...],
    ctx: Ctx,
    appointment_at: dt.datetime | None,
) -> answers.Reading:
    """The step's kind of answer first ("5" on "how late?" is five minutes, not button 5); where it does
    not fit, or the step takes any text, a button's own label or number (they are on screen)."""
    locale, now = ctx.facts.locale, ctx.now
    own = answers.read(text, answers.Expect(expect.kind, options, appointment_at), locale=locale, now=now)
    if not options or expect.kind in ("option", "yes_no"):
        return own
    if expect.kind != "free_text" and not isinstance(own, answers.NoFit):
        return own
    picked = answers.read(text, answers.Expect("option", options), locale=locale, now=now)
    return picked if isinstance(picked, answers.Picked) else own


def _as_press(
    reading: answers.Reading, expect: Expectation, options: tuple[answers.Option, ...], token: str
) -> ChoiceIn | DateIn | None:
    ids = {o.id for o in options}
    match reading:
        case answers.Picked(option_id=picked) if picked in ids:
            return ChoiceIn(picked, token)
        case answers.Yes() if expect.yes in ids:
            return ChoiceIn(str(expect.yes), token)
        case answers.No() if expect.no in ids:
            return ChoiceIn(str(expect.no), token)
        case answers.NoFit(then=answers.No()) if expect.no in ids:
            # "50%?? no, keep it then": a no that comes with a question is still a no (it files nothing).
            # A yes that comes with one never confirms anything: the question is answered first.
            return ChoiceIn(str(expect.no), token)
        case answers.DateAnswer(date=day) if expect.kind in ("date", "birth_date"):
            return DateIn(day, token=token)
    return None


def _last_question(prompt: Iterable[Reply]) -> Choices | DatePicker | None:
    found: Choices | DatePicker | None = None
    for reply in prompt:
        if isinstance(reply, Choices | DatePicker):
            found = reply
    return found


def _reader_options(
    prompt: tuple[Reply, ...], expect: Expectation, tr: Translator, en: Translator
) -> tuple[answers.Option, ...]:
    last = _last_question(prompt)
    buttons: tuple[Option, ...] = last.options if last is not None else ()
    return tuple(
        answers.Option(
            o.id,
            tuple(dict.fromkeys((tr.render(o.label), en.render(o.label)))),
            "yes" if o.id == expect.yes else "no" if o.id == expect.no else None,
        )
        for o in buttons
    )
