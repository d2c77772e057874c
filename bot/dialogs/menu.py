"""The main menu: the flows that exist, and the way to a person."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from bot.dialogs.base import Ctx, Frame, Start, Transition, missed
from bot.dialogs.keywords import is_greeting
from bot.events import ChoiceIn, FollowIn, TextIn
from bot.i18n import Msg, msg
from bot.replies import Choices, Option, Reply, Text

HUMAN = "human"
MENU = "menu"


def human_option() -> Option:
    return Option(HUMAN, msg("Talk to a person"))


class MenuDialog:
    name: ClassVar[str] = "menu"
    graph: ClassVar[Mapping[str, tuple[tuple[str, str], ...]]] = {
        "main": (("choose a flow", "@flow"), ("talk to a person", "@handoff")),
    }

    def options(self) -> tuple[Option, ...]:
        from bot.dialogs import registry

        flows = tuple(Option(name, _label(registry.get(name))) for name in registry.FLOWS)
        return (*flows, human_option())

    def start(self, ctx: Ctx, args: Mapping[str, Any]) -> Transition:
        frame = Frame(self.name, "main")
        replies: tuple[Reply, ...] = ()
        if isinstance(ctx.body, FollowIn) or args.get("greet"):
            replies = (
                Text(
                    msg(
                        "Hello! This is the official counseling chat of Beta Me Agent. "
                        "I can help with your bookings, and a person from our team is always one tap away."
                    )
                ),
            )
        return Transition(next=frame, replies=(*replies, *self.prompt(frame, ctx)))

    def prompt(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        return (Choices(msg("How can I help you?"), self.options()),)

    def step(self, frame: Frame, ctx: Ctx) -> Transition:
        from bot.dialogs import registry

        body = ctx.body
        if isinstance(body, ChoiceIn) and body.option in registry.FLOWS:
            return Transition(next=Start(body.option))
        if isinstance(body, TextIn):
            if is_greeting(body.text):
                return Transition(next=frame, replies=self.prompt(frame, ctx))
            intent = getattr(ctx.facts.understood, "intent", None)
            for name in registry.FLOWS:
                if intent and intent in getattr(registry.get(name), "intents", ()):
                    return Transition(next=Start(name, {"text": body.text}))
        return missed(frame)

    def resume(self, frame: Frame, result: Mapping[str, Any], ctx: Ctx) -> Transition:
        return Transition(next=frame, replies=self.prompt(frame, ctx))


def _label(dialog: object) -> Msg:
    label = getattr(dialog, "menu_label", None)
    return label if isinstance(label, Msg) else msg("Other")
