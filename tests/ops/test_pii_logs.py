"""No personal data and no secret in the logs, whatever happens.

A real `counselbot serve` process (its whole stdout and stderr captured: our logs, uvicorn's, anything a
library prints) gets messages full of planted personal data through every channel — web chat, LINE and
Telegram webhooks with the fake platforms — and its secrets are planted values too. Errors are forced:
the platforms answer 500 and 400, bodies are malformed or forged, a message carries a NUL byte (which
PostgreSQL refuses: a database error whose text quotes the customer's message). Text and JSON log
formats, SQLite and PostgreSQL. Any planted value in the output fails the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.events import ConversationKey
from bot.logs import hashed
from storage.db import Database
from storage.models import OutboxMessage
from tests.console.support import login_form
from tests.fakes.line_api import FakeLine, event_from, run_fake_line, sign, webhook_body
from tests.fakes.telegram_api import FakeTelegram, now, run_fake_telegram, update_from
from tests.support.processes import serve_process
from tests.support.wait import eventually

NAME = "Zephyrine Quackenbush"
NAME_JA = "竹ノ内春子"
BIRTH = "1987-04-23"
BIRTH_OTHER = "23/04/1987"
PHONE = "+81 90-4321-8765"
PHONE_DIGITS = "09043218765"
EMAIL = "zephyrine.quackenbush@example.org"
PASSPORT = "TK7654321"
PERSONAL = (
    NAME,
    NAME_JA,
    BIRTH,
    BIRTH_OTHER,
    PHONE,
    PHONE_DIGITS,
    EMAIL,
    PASSPORT,
    "Quackenbush",
    "zephyrine",
)

LINE_SECRET = "c0ffee1234planted5678line9secret"
LINE_TOKEN = "PLANTED-line-access-token-7d1e0b6a5c4f"
TG_TOKEN = "987654321:PLANTEDtgTokenAAAAbbbbCCCCddddEEEEff"
TG_SECRET = "PLANTED-telegram-webhook-secret-0a1b2c"
SECRET_KEY = "PLANTED-app-secret-key-9f8e7d6c5b4a"
SECRETS = (LINE_SECRET, LINE_TOKEN, TG_TOKEN, TG_SECRET, SECRET_KEY, "PLANTEDtgToken")

LINE_USER = "U" + "c" * 32
TG_CHAT = 4_900_001
FULL = (
    f"Hello, my name is {NAME} ({NAME_JA}), born {BIRTH} ({BIRTH_OTHER}). Call me on {PHONE} or "
    f"{PHONE_DIGITS}, write to {EMAIL}. Passport {PASSPORT}. I need to cancel my surgery."
)


@contextlib.asynccontextmanager
async def server(url: str, workdir: Path, fmt: str, line: FakeLine, tg: FakeTelegram) -> AsyncIterator[str]:
    extra = {
        "COUNSELBOT_LOG_FORMAT": fmt,
        "COUNSELBOT_LOG_LEVEL": "DEBUG",
        "COUNSELBOT_SECRET_KEY": SECRET_KEY,
        "COUNSELBOT_LINE_CHANNEL_SECRET": LINE_SECRET,
        "COUNSELBOT_LINE_CHANNEL_ACCESS_TOKEN": LINE_TOKEN,
        "COUNSELBOT_LINE_API_BASE": line.base_url,
        "COUNSELBOT_TELEGRAM_BOT_TOKEN": TG_TOKEN,
        "COUNSELBOT_TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "COUNSELBOT_TELEGRAM_API_BASE": tg.base_url,
        "COUNSELBOT_DELIVERY_BASE_DELAY": "0.05",
        "COUNSELBOT_DELIVERY_MAX_DELAY": "0.2",
        "COUNSELBOT_SCHEDULER_ENABLED": "false",
    }
    with contextlib.ExitStack() as stack:

        def start() -> str:
            base, _ = stack.enter_context(serve_process(url, workdir, extra))
            return base

        base = await asyncio.to_thread(start)
        try:
            yield base
        finally:
            # A graceful stop: shutdown logging is part of what is checked.
            await asyncio.to_thread(stack.close)


async def web_chat(http: httpx.AsyncClient) -> None:
    def mid() -> str:
        return uuid.uuid4().hex

    assert (await http.post("/api/chat/messages", json={"id": mid(), "start": True})).status_code == 200
    assert (await http.post("/api/chat/messages", json={"id": mid(), "text": FULL})).status_code == 200
    assert (
        await http.post("/api/chat/messages", json={"id": mid(), "text": f"{NAME} {BIRTH}"})
    ).status_code == 200
    bad = [
        {"id": mid(), "choice": f"{NAME} {EMAIL}"},
        {"id": mid(), "date": BIRTH_OTHER},
        {"id": f"{PHONE_DIGITS}!", "text": FULL},
        {"id": mid(), "text": FULL * 200},
    ]
    for body in bad:
        assert (await http.post("/api/chat/messages", json=body)).status_code in (400, 413)
    malformed = ('{"id": "x", "text": "' + FULL).encode()
    assert (await http.post("/api/chat/messages", content=malformed)).status_code == 400
    # NUL: PostgreSQL refuses it, and its error quotes the statement's parameters.
    with contextlib.suppress(httpx.HTTPError):  # the server may drop the connection after an error
        nul = await http.post("/api/chat/messages", json={"id": mid(), "text": f"{NAME}\x00{PHONE}"})
        assert nul.status_code in (200, 400, 500)


async def line_channel(http: httpx.AsyncClient, line: FakeLine) -> None:
    async def post(body: bytes, secret: str = LINE_SECRET) -> int:
        headers = {"x-line-signature": sign(body, secret), "content-type": "application/json"}
        return (await http.post("/webhooks/line", content=body, headers=headers)).status_code

    line.add_profile(LINE_USER, display_name=f"{NAME} {PHONE}", language="en")
    follow = event_from("follow", user_id=LINE_USER, reply_token=line.issue_reply_token(LINE_USER))
    assert await post(webhook_body(follow)) == 200
    line.fail("reply", 500)  # a retry...
    text = event_from(
        "text", user_id=LINE_USER, reply_token=line.issue_reply_token(LINE_USER), message__text=FULL
    )
    assert await post(webhook_body(text)) == 200
    await line.wait_for(lambda: len(line.of("reply")) >= 3, within=20)
    line.fail("reply", 400)  # ...and a dead letter (a ticket for the agents)
    # The first message asked for a person; "menu" brings the customer back to the bot, which answers.
    back = event_from(
        "text", user_id=LINE_USER, reply_token=line.issue_reply_token(LINE_USER), message__text="menu"
    )
    assert await post(webhook_body(back)) == 200
    await line.wait_for(lambda: any(r.status == 400 for r in line.of("reply")), within=20)
    text = event_from(
        "text", user_id=LINE_USER, reply_token=line.issue_reply_token(LINE_USER), message__text=EMAIL
    )
    assert await post(webhook_body(text)) == 200
    postback = event_from(
        "postback",
        user_id=LINE_USER,
        reply_token=line.issue_reply_token(LINE_USER),
        postback__data=f"o={PASSPORT}&t=9",
    )
    assert await post(webhook_body(postback)) == 200
    assert await post(webhook_body(text), secret="not-the-secret") == 401
    assert await post(('{"events": [{"message": "' + FULL + '"').encode()) == 400
    assert await post(b'{"events": "' + NAME.encode() + b'"}') == 400


async def telegram_channel(http: httpx.AsyncClient, tg: FakeTelegram) -> None:
    async def post(update: dict[str, object] | bytes, secret: str = TG_SECRET) -> int:
        body = update if isinstance(update, bytes) else json.dumps(update).encode()
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "content-type": "application/json"}
        return (await http.post("/webhooks/telegram", content=body, headers=headers)).status_code

    def personal(update: dict[str, object]) -> dict[str, object]:
        body = next(v for k, v in update.items() if k != "update_id")
        assert isinstance(body, dict)
        for holder in (body.get("from"), body.get("chat")):
            if isinstance(holder, dict):
                holder.update(first_name=NAME, last_name=NAME_JA, username="zephyrine_q")
        return update

    tg.fail("sendMessage", 500)
    assert (
        await post(
            personal(update_from("text_message", update_id=950_001, chat_id=TG_CHAT, text=FULL, date=now()))
        )
        == 200
    )
    await eventually(lambda: len(tg.calls_of("sendMessage")) >= 2, timeout=20)
    tg.fail("sendMessage", 400, description=f"Bad Request: {NAME}")
    back = personal(update_from("text_message", update_id=950_002, chat_id=TG_CHAT, text="menu", date=now()))
    assert await post(back) == 200
    await eventually(lambda: len(tg.calls_of("sendMessage")) >= 3, timeout=20)
    update = update_from("text_message", update_id=950_005, chat_id=TG_CHAT, text=PHONE, date=now())
    assert await post(personal(update)) == 200
    press = personal(
        update_from("callback_query", update_id=950_003, chat_id=TG_CHAT, data=f"c:1:{PASSPORT}")
    )
    assert await post(press) == 200
    assert (
        await post(
            personal(update_from("text_message", update_id=950_004, chat_id=TG_CHAT, text=FULL)), "wrong"
        )
        == 403
    )
    assert await post(('{"update_id": 1, "message": {"text": "' + FULL).encode()) == 400


async def console_login(http: httpx.AsyncClient) -> None:
    token = await login_form(http)
    form = {"csrf": token, "email": EMAIL, "password": f"{NAME}-{BIRTH}", "next": "/console/"}
    assert (await http.post("/console/login", data=form)).status_code in (200, 303, 400, 401, 403, 429)


async def all_final(url: str) -> bool:
    db = Database(url)
    try:
        async with db.read() as s:
            statuses = list((await s.execute(select(OutboxMessage.status))).scalars())
    finally:
        await db.dispose()
    return bool(statuses) and all(s in ("sent", "dead", "cancelled") for s in statuses)


def logs_of(workdir: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in sorted(workdir.glob("serve-*.log"))
    )


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_planted_personal_data_and_secrets_never_reach_the_logs(
    db_url: str, tmp_path: Path, fmt: str
) -> None:
    async with (
        run_fake_line(FakeLine(access_token=LINE_TOKEN)) as line,
        run_fake_telegram(FakeTelegram(token=TG_TOKEN)) as tg,
    ):
        async with server(db_url, tmp_path, fmt, line, tg) as base:
            # A client each: after the unhandled error the server may close the web chat's connection.
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                await web_chat(http)
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                await line_channel(http, line)
                await telegram_channel(http, tg)
                await console_login(http)
            await eventually(lambda: all_final(db_url), timeout=60)
        # The personal data did reach the platforms: the planted values were really in play.
        assert line.of("profile") and line.of("reply")
        assert any(c.method == "sendMessage" for c in tg.calls)

    output = await asyncio.to_thread(logs_of, tmp_path)
    leaked = [v for v in (*PERSONAL, *SECRETS) if v.lower() in output.lower()]
    assert not leaked, f"planted values in the logs: {leaked}\n{output[-4000:]}"
    # Not vacuous: the process logged, and customers can be followed by their pseudonym.
    assert hashed(ConversationKey("line", LINE_USER)) in output
    assert hashed(ConversationKey("telegram", str(TG_CHAT))) in output
    if fmt == "json":
        lines = [ln for ln in output.splitlines() if ln.startswith("{")]
        assert lines and all(isinstance(json.loads(ln), dict) for ln in lines)
