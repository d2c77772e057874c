"""One update, whichever way it came (webhook or long polling): into the engine, then the small
Telegram-side touches that need no durability (stop the button spinner, mark the pressed keyboard,
turn a calendar page). Those run after the event is stored and never hold up the acknowledgement.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, MaybeInaccessibleMessage, Update
from telegram.error import BadRequest, TelegramError

from bot.engine import Engine, HandleResult
from bot.handlers.telegram import calendar, inbound, render
from bot.handlers.telegram.commands import ChatCommands

log = logging.getLogger(__name__)


USED_KINDS = ("message", "edited_message", "callback_query", "my_chat_member")


class MalformedUpdate(ValueError):
    pass


def parse_update(data: object) -> Update:
    """A webhook body -> PTB's Update; MalformedUpdate when it is not one.

    Only the kinds counselbot uses are parsed: an update of another kind (or a newer API's field in
    one) is acknowledged and ignored rather than refused, which would make Telegram resend it forever.
    """
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise MalformedUpdate("no integer update_id")
    used = {k: v for k, v in data.items() if k in USED_KINDS}
    try:
        update = Update.de_json({"update_id": data["update_id"], **used}, None)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedUpdate(type(exc).__name__) from None
    if update is None:
        raise MalformedUpdate("empty update")
    return update


class UpdateProcessor:
    def __init__(
        self,
        engine: Engine,
        bot: Bot,
        clock: Callable[[], dt.datetime] | None = None,
        chat_commands: ChatCommands | None = None,
    ) -> None:
        self.engine, self.bot = engine, bot
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._tasks: set[asyncio.Task[None]] = set()
        self.chat_commands = chat_commands

    async def process(self, update: Update) -> HandleResult | None:
        """Store the update's event (returns once it is durable); None when there was nothing to store."""
        action = inbound.interpret(update, self._clock())
        match action:
            case inbound.ToEngine(event=event, query=query, chosen_label=label):
                result = await self.engine.handle(event)
                if query is not None:
                    self._later(self._after_press(query, label))
                if self.chat_commands is not None and result.status != "duplicate":
                    # The language may have just changed: the chat's own command list follows.
                    self._later(self.chat_commands.follow(event.key.user_id))
                return result
            case inbound.TurnPage(query=query, turn=turn):
                self._later(self._turn_page(query, turn))
            case inbound.AnswerOnly(query=query):
                self._later(self._answer(query))
            case inbound.Ignore(reason=reason):
                log.debug("telegram: update ignored", extra={"update_id": update.update_id, "reason": reason})
        return None

    async def drain(self, grace: float = 5.0) -> None:
        """Let pending touches finish (shutdown, tests); cancel what still runs after `grace` seconds."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()

    def _later(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, query: CallbackQuery) -> None:
        # Always answered, so the customer's spinner stops; a second answer (a redelivered update)
        # is refused by Telegram and that is fine.
        await _quietly(self.bot.answer_callback_query(query.id), "answerCallbackQuery")

    async def _after_press(self, query: CallbackQuery, label: str | None) -> None:
        await self._answer(query)
        message = query.message
        if message is None or label is None:
            return
        # The keyboard becomes one inert "✓ choice" button: the press is visibly taken, and a second
        # press on this message is impossible (one from a stale client copy is answered as stale).
        await self._edit(message, render.chosen(label))

    async def _turn_page(self, query: CallbackQuery, turn: Any) -> None:
        await self._answer(query)
        message = query.message
        if message is None:
            return
        rows = calendar.month_rows(turn.token, turn.month, turn.min_date, turn.max_date, turn.locale)
        # Keep the extra option buttons (not the old calendar) under the new month.
        markup = getattr(message, "reply_markup", None)
        extra = [
            list(row)
            for row in (markup.inline_keyboard if markup else ())
            if row and all(str(b.callback_data or "").startswith("c:") for b in row)
        ]
        await self._edit(message, InlineKeyboardMarkup(rows + extra))

    async def _edit(self, message: MaybeInaccessibleMessage, markup: InlineKeyboardMarkup) -> None:
        await _quietly(
            self.bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=message.message_id, reply_markup=markup
            ),
            "editMessageReplyMarkup",
        )


async def _quietly(call: Coroutine[Any, Any, Any], what: str) -> None:
    """Cosmetic calls: a failure is logged (type and Telegram's description only) and dropped."""
    try:
        await call
    except BadRequest as exc:
        # "message is not modified", "query is too old": expected after redeliveries.
        log.debug("telegram: %s refused: %s", what, exc.message)
    except TelegramError as exc:
        log.warning("telegram: %s failed: %s", what, type(exc).__name__)
