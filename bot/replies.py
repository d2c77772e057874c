"""What the bot says, channel-neutral and untranslated: dialogs return these, handlers render them.

Texts are `Msg` values (a source string and its parameters); `bot.i18n.Translator` turns them into the
customer's language when the engine writes the outbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.i18n import Msg


@dataclass(frozen=True, slots=True)
class Option:
    """A button. `id` is short and stable (it travels in LINE postbacks and Telegram callback_data)."""

    id: str
    label: Msg


@dataclass(frozen=True, slots=True)
class Text:
    text: Msg


@dataclass(frozen=True, slots=True)
class Choices:
    prompt: Msg
    options: tuple[Option, ...]


@dataclass(frozen=True, slots=True)
class DatePicker:
    prompt: Msg
    min_date: dt.date | None = None
    max_date: dt.date | None = None
    # Extra buttons beside the calendar (e.g. "any date", "menu").
    options: tuple[Option, ...] = ()


@dataclass(frozen=True, slots=True)
class HandoffNotice:
    """Tells the customer a person will answer; channels may show it specially."""

    text: Msg


@dataclass(frozen=True, slots=True)
class Card:
    """Content that reads better as a card (the fee explanation, a booking summary).

    `text` is the whole content as prose: what channels without cards show, and LINE's altText. `title`
    and `rows` (label, value) are the same content laid out; LINE draws them as a Flex bubble. Values
    are Msg, Yen, When, dates, numbers or plain strings, formatted like message parameters.
    """

    text: Msg
    title: Msg
    rows: tuple[tuple[Msg, Any], ...]


Reply = Text | Choices | DatePicker | HandoffNotice | Card


@dataclass(frozen=True, slots=True)
class RenderedOption:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Rendered:
    """A reply after translation: what goes into the outbox and the transcript.

    kind: "text" | "choices" | "date_picker" | "handoff". `token` is the prompt token buttons carry.
    """

    kind: str
    text: str
    options: tuple[RenderedOption, ...] = ()
    token: str = ""
    min_date: str | None = None
    max_date: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "text": self.text}
        if self.options:
            data["options"] = [{"id": o.id, "label": o.label} for o in self.options]
        if self.token:
            data["token"] = self.token
        if self.min_date:
            data["min_date"] = self.min_date
        if self.max_date:
            data["max_date"] = self.max_date
        if self.extra:
            data["extra"] = self.extra
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rendered:
        return cls(
            kind=data["kind"],
            text=data["text"],
            options=tuple(RenderedOption(o["id"], o["label"]) for o in data.get("options", ())),
            token=data.get("token", ""),
            min_date=data.get("min_date"),
            max_date=data.get("max_date"),
            extra=data.get("extra", {}),
        )

    def as_numbered_text(self) -> str:
        """Buttons degrade to numbered lines where a channel lacks them (terminal, long LINE lists)."""
        if not self.options:
            return self.text
        lines = [self.text, *(f"{i}. {o.label}" for i, o in enumerate(self.options, 1))]
        return "\n".join(lines)
