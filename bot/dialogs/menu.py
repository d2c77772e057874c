"""The main menu: the flows that exist, and the way to a person.

Typed text is routed by intent: bot.understanding's (`ctx.facts.understood`, which the engine fills
for every text; read here when a caller did not). Text that names no flow is re-asked with the
options rather than guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from bot.dialogs import keywords
from bot.dialogs.answering import INTENT, Expectation
from bot.dialogs.base import FIRST_CHARS, Ctx, Done, Exit, Frame, Push, Start, Transition, missed
from bot.events import ChoiceIn, FollowIn, TextIn
from bot.i18n import Msg, msg
from bot.replies import Choices, Option, Reply, Text
from bot.understanding import understand

HUMAN = "human"
MENU = "menu"
LANGUAGE = "language"
NOT_NOW = "not_now"
# How long after a late notice a time typed at the menu still updates it.
LATE_UPDATE_WINDOW = dt.timedelta(hours=3)


WELCOME = msg("You're welcome. If you need anything else, just write here.")


# Flows a customer may be asked to choose between when a message asks for two of them as strongly.
_CHOOSABLE = ("cancellation", "booking_change", "late_arrival", "payment", "privacy")
# Flows a second request of one message can start (bot.understanding.requests).
_SECOND = ("cancellation", "booking_change", "late_arrival", "privacy")


def human_option() -> Option:
    return Option(HUMAN, msg("Talk to a person"))


class MenuDialog:
    name: ClassVar[str] = "menu"
    expects: ClassVar[Mapping[str, Expectation]] = {"main": INTENT}
    graph: ClassVar[Mapping[str, tuple[tuple[str, str], ...]]] = {
        "main": (
            ("Cancel a booking, or typed cancel", "@cancellation"),
            ("Change a booking, or typed change", "@booking_change"),
            ("Running late, or typed late", "@late_arrival"),
            ("Emergency, or typed special circumstance", "@special_circumstance"),
            ("Payment, or typed payment", "@payment"),
            ("Privacy, or typed privacy", "@privacy"),
            ("Language", "@language"),
            ("Talk to a person, or typed human", "@handoff"),
            ("no thanks: a polite closing", "done"),
            ("two requests as likely: asked which", "which"),
            ("two requests in one message: the first, the second waits", "then"),
        ),
        "which": tuple((f"{flow} chosen", f"@{flow}") for flow in _CHOOSABLE),
        "then": (
            *((f"{flow}: yes", f"@{flow}") for flow in _SECOND),
            # Anything else typed is read as the menu reads it (main's edges).
            ("not now: the menu", "main"),
        ),
    }

    def options(self) -> tuple[Option, ...]:
        from bot.dialogs import registry

        flows = tuple(Option(name, _label(registry.get(name))) for name in registry.FLOWS)
        return (*flows, Option(LANGUAGE, _label(registry.get(LANGUAGE))), human_option())

    def start(self, ctx: Ctx, args: Mapping[str, Any]) -> Transition:
        after = args.get("after") or {}
        late_for = after.get("late_for") if isinstance(after, Mapping) else None
        # A late notice just given: "now more like 40 minutes" at the menu updates it.
        frame = Frame(
            self.name, "main", {"late_for": late_for, "late_at": ctx.now.isoformat()} if late_for else {}
        )
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
        payload = str(args.get("payload") or "")
        if payload and ctx.facts.customer is None:
            # A deep link with a booking reference starts linking at once; the menu waits below it.
            return Transition(next=Push("identity", {"reference": payload}, then=frame), replies=replies)
        return Transition(next=frame, replies=(*replies, *self.prompt(frame, ctx)))

    def prompt(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        flow = str(frame.data.get("flow"))
        if frame.step == "then" and flow in _SECOND:
            from bot.dialogs import registry

            label = _label(registry.get(flow))
            question = msg("You also asked about this: {what}. Shall we go on with it now?", what=label)
            return (
                Choices(question, (Option(flow, label), Option(NOT_NOW, msg("Not now")), human_option())),
            )
        if frame.step == "which":
            from bot.dialogs import registry

            flows = [f for f in frame.data.get("flows", ()) if f in registry.FLOWS]
            options = (*(Option(f, _label(registry.get(f))) for f in flows), human_option())
            return (Choices(msg("Which would you like to do?"), options),)
        return (Choices(msg("How can I help you?"), self.options()),)

    def step(self, frame: Frame, ctx: Ctx) -> Transition:
        from bot.dialogs import registry

        body = ctx.body
        if frame.step == "then":
            return self._then(frame, ctx)
        if frame.step == "which":
            if isinstance(body, ChoiceIn) and body.option in frame.data.get("flows", ()):
                return Transition(next=Start(body.option, {"text": frame.data.get("text", "")}))
            if isinstance(body, ChoiceIn) and body.option == HUMAN:
                return Transition(next=Exit(HUMAN))
            return missed(frame)
        if isinstance(body, TextIn):
            n = keywords.option_number(body.text)
            options = self.options()
            if n is not None and 1 <= n <= len(options):
                ctx = replace(ctx, event=replace(ctx.event, body=ChoiceIn(options[n - 1].id)))
                body = ctx.body
        if isinstance(body, ChoiceIn) and (body.option in registry.FLOWS or body.option == LANGUAGE):
            return Transition(next=Start(body.option))
        if isinstance(body, ChoiceIn) and body.option == HUMAN:
            return Transition(next=Exit(HUMAN))
        if isinstance(body, TextIn) and frame.data.get("offered") == HUMAN and keywords.is_yes(body.text):
            # "Yes please" right after a person was offered (a medical question): that person.
            return Transition(next=Exit(HUMAN))
        if isinstance(body, TextIn) and keywords.is_thanks(body.text) and keywords.is_no(body.text):
            # "No thanks", "不用了，謝謝", "괜찮아요 감사합니다": a closing, not a request.
            return Transition(next=Done(), replies=(Text(WELCOME),))
        if isinstance(body, TextIn):
            understood = ctx.facts.understood or understand(body.text, ctx.now)
            intent = getattr(understood, "intent", None)
            update = _late_update(frame, ctx, body.text, intent)
            if update is not None:
                return update
            if intent == HUMAN:
                return Transition(next=Exit(HUMAN))
            both = [_flow_for(r.intent) for r in getattr(understood, "requests", ())]
            if len(both) == 2 and all(both) and both[0] != both[1]:
                # "Cancel tomorrow's and move the treatment": the first now, the second asked about
                # when the first is done (each flow gets its own part of the message).
                first, then = understood.requests
                waiting = frame.to("then", flow=both[1], text=then.text[:FIRST_CHARS])
                return Transition(next=Push(str(both[0]), {"text": first.text[:FIRST_CHARS]}, then=waiting))
            flows = [_flow_for(i) for i in (intent, getattr(understood, "alternative", None))]
            if all(flows) and flows[0] != flows[1]:
                # "Cancel or move it?": two requests as likely; ask rather than guess.
                asked = frame.to("which", flows=flows, text=body.text)
                return Transition(next=asked, replies=self.prompt(asked, ctx))
            for name in registry.FLOWS:
                if intent and intent in getattr(registry.get(name), "intents", ()):
                    return Transition(next=Start(name, {"text": body.text}))
        return missed(frame)

    def resume(self, frame: Frame, result: Mapping[str, Any], ctx: Ctx) -> Transition:
        return Transition(next=frame, replies=self.prompt(frame, ctx))

    def _then(self, frame: Frame, ctx: Ctx) -> Transition:
        """The second request of a message, asked about once the first is done."""
        body, flow = ctx.body, str(frame.data.get("flow"))
        main = Frame(self.name, "main")
        if flow not in _SECOND:
            return self.step(main, ctx)
        if isinstance(body, ChoiceIn) and body.option == flow:
            return Transition(next=Start(flow, {"text": frame.data.get("text", "")}))
        if isinstance(body, ChoiceIn) and body.option == NOT_NOW:
            return Transition(next=main, replies=self.prompt(main, ctx))
        if isinstance(body, TextIn) and keywords.option_number(body.text) is None:
            if keywords.is_yes(body.text) and not keywords.is_no(body.text):
                return Transition(next=Start(flow, {"text": frame.data.get("text", "")}))
            if keywords.is_no(body.text):
                return Transition(next=main, replies=self.prompt(main, ctx))
        # Another request, or a number of the menu's: read as the menu reads it.
        return self.step(main, ctx)


def _late_update(frame: Frame, ctx: Ctx, text: str, intent: object) -> Transition | None:
    """The late notice given a moment ago, updated: "sorry, more like 40 minutes now"."""
    from bot.dialogs.late_arrival import LateArrivalDialog, said_minutes

    late_for, late_at = frame.data.get("late_for"), frame.data.get("late_at")
    if not late_for or not isinstance(late_at, str) or intent not in ("late", "other"):
        return None
    if ctx.now - dt.datetime.fromisoformat(late_at) > LATE_UPDATE_WINDOW:
        return None
    b = next((b for b in ctx.facts.bookings if b.id == late_for and b.status == "confirmed"), None)
    if b is None or said_minutes(text, b, ctx) is None:
        return None
    return Transition(next=Start(LateArrivalDialog.name, {"text": text, "booking_id": b.id}))


def _flow_for(intent: object) -> str | None:
    from bot.dialogs import registry

    return next(
        (n for n in registry.FLOWS if intent and intent in getattr(registry.get(n), "intents", ())), None
    )


def _label(dialog: object) -> Msg:
    label = getattr(dialog, "menu_label", None)
    return label if isinstance(label, Msg) else msg("Other")
