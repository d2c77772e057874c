"""The customer's language, chosen on purpose. A chosen language always wins over what the platform
says or what the customer happens to write in, and is kept (the engine records it as "chosen")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from bot.dialogs.base import Ctx, Done, Frame, Transition, missed
from bot.dialogs.common import Flow, Graph, menu_option
from bot.effects import SetLocale
from bot.events import ChoiceIn
from bot.i18n import SUPPORTED, Msg, language_names, msg
from bot.replies import Choices, Option, Reply, Text

PREFIX = "lang_"


def confirmation(locale: str) -> Text:
    # The language's own name is not translated: "日本語" reads the same in every catalog.
    return Text(
        msg("All right, I will write in {language} from now on.", language=Msg(language_names()[locale]))
    )


class LanguageDialog(Flow):
    name: ClassVar[str] = "language"
    menu_label = msg("Language")
    graph: ClassVar[Graph] = {
        "choose": (("a language", "done"),),
    }

    def start(self, ctx: Ctx, args: Mapping[str, Any]) -> Transition:
        frame = self.frame("choose")
        return Transition(next=frame, replies=self.prompt(frame, ctx))

    def ask_choose(self, frame: Frame, ctx: Ctx) -> tuple[Reply, ...]:
        names = language_names()
        options = tuple(Option(f"{PREFIX}{loc}", Msg(names[loc])) for loc in SUPPORTED)
        return (Choices(msg("Which language would you like me to use?"), (*options, menu_option())),)

    def on_choose(self, frame: Frame, ctx: Ctx) -> Transition:
        body = ctx.body
        if isinstance(body, ChoiceIn) and body.option.removeprefix(PREFIX) in SUPPORTED:
            locale = body.option.removeprefix(PREFIX)
            return Transition(next=Done(), replies=(confirmation(locale),), effects=(SetLocale(locale),))
        choice = getattr(ctx.facts.understood, "language_choice", None)
        if choice in SUPPORTED:
            return Transition(next=Done(), replies=(confirmation(choice),), effects=(SetLocale(choice),))
        return missed(frame)
