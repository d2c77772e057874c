"""`counselbot telegram set-webhook|delete-webhook|info` against the fake Bot API."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest

from bot.cli import main
from bot.commands.telegram import webhook_url
from tests.fakes.telegram_api import FakeTelegram, run_fake_telegram


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> AsyncIterator[FakeTelegram]:
    async with run_fake_telegram() as f:
        monkeypatch.chdir(str(tmp_path))  # no stray .env
        monkeypatch.setenv("COUNSELBOT_TELEGRAM_BOT_TOKEN", f.token)
        monkeypatch.setenv("COUNSELBOT_TELEGRAM_API_BASE", f.base_url)
        monkeypatch.delenv("COUNSELBOT_TELEGRAM_WEBHOOK_SECRET", raising=False)
        monkeypatch.delenv("COUNSELBOT_PUBLIC_URL", raising=False)
        yield f


async def run(*argv: str) -> int:
    # The command runs its own event loop; the fake serves from this one.
    return await asyncio.to_thread(main, ["telegram", *argv])


async def test_set_webhook_registers_a_generated_secret_and_prints_it_not_the_token(
    fake: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("set-webhook", "https://bot.example.com") == 0
    out, err = capsys.readouterr()
    assert fake.webhook_url == "https://bot.example.com/webhooks/telegram"
    match = re.search(r"^COUNSELBOT_TELEGRAM_WEBHOOK_SECRET=([A-Za-z0-9_-]+)$", out, re.M)
    assert match is not None
    assert match.group(1) == fake.webhook_secret
    assert len(match.group(1)) >= 32
    assert fake.token not in out + err
    assert fake.token.split(":")[1] not in out + err
    [call] = fake.calls_of("setWebhook")
    assert call.params["allowed_updates"] == ["message", "edited_message", "callback_query", "my_chat_member"]
    # A second run makes a new secret.
    assert await run("set-webhook", "https://bot.example.com/webhooks/telegram") == 0
    again = re.search(r"^COUNSELBOT_TELEGRAM_WEBHOOK_SECRET=(\S+)$", capsys.readouterr().out, re.M)
    assert again is not None and again.group(1) != match.group(1)


async def test_keep_secret_reuses_the_configured_one(
    fake: FakeTelegram, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COUNSELBOT_TELEGRAM_WEBHOOK_SECRET", "configured_secret-123")
    monkeypatch.setenv("COUNSELBOT_PUBLIC_URL", "https://bot.example.com/")
    assert await run("set-webhook", "--keep-secret") == 0
    assert fake.webhook_secret == "configured_secret-123"
    assert fake.webhook_url == "https://bot.example.com/webhooks/telegram"
    assert "configured_secret-123" not in capsys.readouterr().out


async def test_delete_webhook_and_info(fake: FakeTelegram, capsys: pytest.CaptureFixture[str]) -> None:
    fake.webhook_url = "https://bot.example.com/webhooks/telegram"
    assert await run("info") == 0
    assert "webhook: https://bot.example.com/webhooks/telegram" in capsys.readouterr().out
    assert await run("delete-webhook") == 0
    assert fake.webhook_url is None
    assert await run("info") == 0
    out = capsys.readouterr().out
    assert "@counsel_test_bot" in out and "(none: long polling)" in out
    assert fake.token not in out


@pytest.mark.parametrize("url", ["http://bot.example.com", "bot.example.com", "https://", "ftp://x"])
async def test_a_url_that_is_not_https_is_refused(
    fake: FakeTelegram, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    assert await run("set-webhook", url) == 2
    assert "https" in capsys.readouterr().err
    assert fake.calls == []


async def test_a_refused_token_is_one_line_without_the_token(
    fake: FakeTelegram, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COUNSELBOT_TELEGRAM_BOT_TOKEN", "999:wrong-token-value")
    assert await run("set-webhook", "https://bot.example.com") == 1
    _out, err = capsys.readouterr()
    assert "refused the bot token" in err
    assert "wrong-token-value" not in err
    assert fake.webhook_url is None


async def test_without_a_token_it_says_what_to_set(
    fake: FakeTelegram, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COUNSELBOT_TELEGRAM_BOT_TOKEN")
    assert await run("info") == 2
    assert "COUNSELBOT_TELEGRAM_BOT_TOKEN" in capsys.readouterr().err


def test_webhook_url_defaults() -> None:
    assert webhook_url(None, "https://a.example") == "https://a.example/webhooks/telegram"
    assert webhook_url("https://a.example/custom/path", None) == "https://a.example/custom/path"
    assert webhook_url("https://a.example:8443", None) == "https://a.example:8443/webhooks/telegram"


async def test_set_commands_registers_the_command_menu_in_every_language(
    fake: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("set-commands") == 0
    assert set(fake.commands) == {("default", code) for code in ("", "ja", "en", "zh", "ko", "th", "vi")}
    for lists in fake.commands.values():
        assert [c["command"] for c in lists] == ["start", "menu", "human", "language"]
    described = {code: [c["description"] for c in lists] for (_, code), lists in fake.commands.items()}
    assert described["ja"] == ["チャットを始める", "メニューを表示", "担当者と話す", "言語を変更"]
    assert described["th"][3] == "เปลี่ยนภาษา" and described["zh"][2] == "联系人工客服"
    assert (
        described[""]
        == described["en"]
        == ["Start the chat", "Show the menu", "Talk to a person", "Change the language"]
    )
    assert len(fake.calls_of("setMyCommands")) == 7
    assert "every other language" in capsys.readouterr().out
