"""Satisfaction (CSAT): after a person resolved the customer's ticket, one question — how was the help,
1 to 5 — and an optional comment. Pure; the answers are stored by effects (bot.apply).

The engine puts this dialog on the stack when it hands a resolved conversation back (Engine.hand_back_in,
with the survey bot.modes.resolve opened). The survey never holds the customer: a new request typed
instead is routed by the menu as usual, a button of an earlier survey changes nothing, and "no thanks"
lets the survey go.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from bot.dialogs import keywords
from bot.dialogs.answering import FREE_TEXT, OPTION, Expectation
from bot.dialogs.base import Ctx, Done, Frame, Start, Transition, missed
from bot.dialogs.csat_words import rating_of
from bot.dialogs.menu import WELCOME
from bot.effects import RecordCsat
from bot.events import ChoiceIn, TextIn
from bot.i18n import msg
from bot.replies import Choices, Option, Reply, Text

SKIP = "csat_skip"
# Option ids: "rate:<survey>:<n>" — the survey travels with the press, so an old survey's button is known.
PREFIX = "rate:"
LABELS = (
    msg("1 – Very poor"),
    msg("2 – Poor"),
    msg("3 – Okay"),
    msg("4 – Good"),
    msg("5 – Very good"),
)
MAX_COMMENT = 1000
# registry.FLOWS (which imports this module); tests/dialogs/test_csat.py keeps the two equal.
FLOWS = ("cancellation", "booking_change", "late_arrival", "special_circumstance", "payment", "privacy")
STALE = msg(
    "Thank you — that rating was already received, or belongs to an earlier question. Nothing was changed."
)
THANKS = msg("Thank you for your feedback!")


def option_id(survey: int, n: int) -> str:
    return f"{PREFIX}{survey}:{n}"


def parse_option(option: str) -> tuple[int, int] | None:
    """(survey, rating) of a rating button, or None when it is not one."""
    if not option.startswith(PREFIX):
        return None
    survey, _, n = option.removeprefix(PREFIX).partition(":")
    if not (survey.isdigit() and n.isdigit() and 1 <= int(n) <= 5):
        return None
    return int(survey), int(n)


class CsatDialog:
    name: ClassVar[str] = "csat"
    expects: ClassVar[Mapping[str, Expectation]] = {"rating": OPTION, "comment": FREE_TEXT}
    _requests: ClassVar[tuple[tuple[str, str], ...]] = tuple(
        (f"a {flow} request typed instead", f"@{flow}") for flow in FLOWS
    )
    graph: ClassVar[Mapping[str, tuple[tuple[str, str], ...]]] = {
        "start": (("asked", "rating"),),
        "rating": (
            ("rated 1-5 (button, number or words)", "comment"),
            ("a button of an earlier survey: nothing changes", "rating"),
            ("thanks, or no thanks: the survey lets go", "done"),
            *_requests,
        ),
        "comment": (
            ("a comment written", "done"),
            ("skipped", "done"),
            ("a button of an earlier survey: nothing changes", "comment"),
            *_requests,
        ),
    }

    def start(self, ctx: Ctx, args: Mapping[str, Any]) -> Transition:
        frame = Frame(self.name, "rating", {"survey": int(args["survey"])})
        return Transition(next=frame, replies=self.prompt(frame, ctx))

    def prompt(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        return self.ask_comment(frame, ctx) if frame.step == "comment" else self.ask_rating(frame, ctx)

    def ask_rating(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        survey = int(frame.data.get("survey", 0))
        options = tuple(Option(option_id(survey, n), label) for n, label in enumerate(LABELS, 1))
        return (Choices(msg("How satisfied are you with the help you received from our team?"), options),)

    def ask_comment(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        return (
            Choices(
                msg(
                    "Thank you! Is there anything you would like to tell us? Write it here, or choose “Skip”."
                ),
                (Option(SKIP, msg("Skip")),),
            ),
        )

    def step(self, frame: Frame, ctx: Ctx) -> Transition:
        if frame.step == "comment":
            return self.on_comment(frame, ctx)
        if frame.step == "rating":
            return self.on_rating(frame, ctx)
        return Transition(next=Done())  # a step of an older version: let go

    def on_rating(self, frame: Frame, ctx: Ctx) -> Transition:
        survey = int(frame.data.get("survey", 0))
        body = ctx.body
        if isinstance(body, ChoiceIn) and (pressed := parse_option(body.option)) is not None:
            if pressed[0] != survey:
                return Transition(next=frame, replies=(Text(STALE), *self.prompt(frame, ctx)))
            return self._rated(frame, survey, pressed[1], ctx)
        if isinstance(body, TextIn):
            n = rating_of(body.text)
            if n is not None:
                return self._rated(frame, survey, n, ctx)
            routed = _request(body, ctx)
            if routed is not None:
                return routed
            if keywords.is_thanks(body.text) or keywords.is_no(body.text):
                # "No thanks", "ありがとう": the customer does not want to rate; never insist.
                return Transition(next=Done(), replies=(Text(WELCOME),))
        # Anything else is asked again by the runtime (with a person offered after two misses).
        return missed(frame)

    def _rated(self, frame: Frame, survey: int, n: int, ctx: Ctx) -> Transition:
        nxt = frame.to("comment", rating=n)
        return Transition(next=nxt, replies=self.prompt(nxt, ctx), effects=(RecordCsat(survey, rating=n),))

    def on_comment(self, frame: Frame, ctx: Ctx) -> Transition:
        survey = int(frame.data.get("survey", 0))
        body = ctx.body
        if isinstance(body, ChoiceIn) and body.option == SKIP:
            return Transition(next=Done(), replies=(Text(THANKS),))
        if isinstance(body, ChoiceIn) and parse_option(body.option) is not None:
            # A rating pressed again (or an old survey's): the first answer stands.
            return Transition(next=frame, replies=(Text(STALE), *self.prompt(frame, ctx)))
        if isinstance(body, TextIn) and body.text.strip():
            routed = _request(body, ctx)
            if routed is not None:
                return routed
            comment = body.text.strip()[:MAX_COMMENT]
            return Transition(
                next=Done(), replies=(Text(THANKS),), effects=(RecordCsat(survey, comment=comment),)
            )
        return missed(frame)

    def resume(self, frame: Frame, result: Mapping[str, Any], ctx: Ctx) -> Transition:
        return Transition(next=frame, replies=self.prompt(frame, ctx))


def _request(body: TextIn, ctx: Ctx) -> Transition | None:
    """A new request typed instead of an answer: the menu's own routing starts its flow."""
    from bot.dialogs import registry

    routed = registry.MENU.step(Frame("menu", "main"), ctx)
    if isinstance(routed.next, Start) and routed.next.dialog in registry.FLOWS:
        return routed
    return None
