"""Telegram: the "typing" chat action while the agent holding the conversation writes in the console
(at most one per chat every ~4 s), and the command menu's commands in the middle of a flow."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.handlers.telegram import typing as typing_module
from bot.handlers.telegram.typing import TypingRelay
from storage.models import Conversation, Ticket
from tests.console.support import add_agent, signed_in
from tests.fakes.telegram_api import CHAT_ID, telegram_app
from tests.support.wait import eventually


async def test_the_agent_typing_in_the_console_shows_typing_in_telegram(
    settings: Settings, monkeypatch: Any
) -> None:
    # The burst below must fall inside one interval even on a loaded machine: the interval itself is
    # tested on a clock of its own in the next test.
    monkeypatch.setattr(typing_module, "INTERVAL", 600.0)
    monkeypatch.setattr(TypingRelay.__init__, "__defaults__", (600.0,))
    async with telegram_app(settings) as tg:
        await tg.text("I want to talk to a person")
        await tg.settled()
        async with tg.db.read() as s:
            conv_id = (await s.execute(select(Conversation.id))).scalar_one()
            ticket_id = (await s.execute(select(Ticket.id))).scalar_one()
        await add_agent(tg.db, "ann@agency.example", "Ann")
        async with signed_in(str(tg.http.base_url), "ann@agency.example", db=tg.db) as ann:
            typing = f"/console/conversations/{conv_id}/typing"
            # Not hers yet: looking is not answering, nothing is signalled.
            early = await ann.post_json(typing)
            assert early.status_code == 200 and early.json()["signalled"] is False
            assert (await ann.post_json(f"/console/tickets/{ticket_id}/claim")).status_code == 200
            first = await ann.post_json(typing)
            assert first.json()["signalled"] is True
            await eventually(lambda: bool(tg.fake.calls_of("sendChatAction")))
            # Typing on: a burst of signals is one chat action.
            for _ in range(3):
                await ann.post_json(typing)
            [call] = tg.fake.calls_of("sendChatAction")
            assert (str(call.params["chat_id"]), call.params["action"]) == (str(CHAT_ID), "typing")


def test_the_relay_sends_at_most_one_chat_action_per_interval(monkeypatch: Any) -> None:
    clock = [100.0]
    monkeypatch.setattr(typing_module.time, "monotonic", lambda: clock[0])
    relay = TypingRelay(bot=None, bus=None, db=None, interval=4.0)  # type: ignore[arg-type]
    assert relay.due(1) and not relay.due(1) and relay.due(2)
    clock[0] += 3.9
    assert not relay.due(1)
    clock[0] += 0.2
    assert relay.due(1)


async def test_language_and_human_commands_work_in_the_middle_of_a_flow(settings: Settings) -> None:
    async with telegram_app(settings) as tg:
        await tg.text("I'm running late")
        await tg.settled()
        await tg.text("/language")
        await tg.settled()
        assert tg.fake.texts(CHAT_ID)[-1] == "Which language would you like me to use?"
        await tg.text("/human")
        await tg.settled()
        async with tg.db.read() as s:
            assert (await s.execute(select(Ticket.reason))).scalar_one() == "human"


async def test_a_traditional_chinese_chat_gets_its_own_command_list(settings: Settings) -> None:
    async with telegram_app(settings) as tg:
        await tg.text("請用繁體中文")
        await tg.settled()
        scope = (f"chat:{CHAT_ID}", "")
        await eventually(lambda: scope in tg.fake.commands)
        assert [c["description"] for c in tg.fake.commands[scope]] == ["開始聊天", "顯示選單", *_hant_rest()]
        await tg.text("English please")
        await tg.settled()
        await eventually(lambda: scope not in tg.fake.commands)


def _hant_rest() -> list[str]:
    from bot.dialogs.menu import human_option
    from bot.i18n import translator

    return [translator("zh_Hant").render(human_option().label), "變更語言"]
