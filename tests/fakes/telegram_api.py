"""A fake Telegram Bot API on 127.0.0.1, run in the caller's event loop (tests and bench/telegram.py).

It speaks the Bot API's wire format closely enough for the real python-telegram-bot client:
`POST /bot<token>/<method>` with form-encoded (or JSON) parameters, answers `{"ok": true, "result": ...}`
or `{"ok": false, "error_code": ..., "description": ..., "parameters": {...}}`. It records every call,
and can answer 429 with `retry_after`, 5xx, or 403 "bot was blocked by the user" on demand.
It checks what the real API checks where a mistake of ours would show: callback_data over 64 bytes,
texts over 4096 characters, getUpdates while a webhook is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime as dt
import itertools
import json
import re
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.config import Settings
from storage.db import Database
from storage.models import OutboxMessage
from tests.fakes.content import Content
from tests.support.wait import eventually

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "telegram"
BOT_USER = {"id": 7000001, "is_bot": True, "first_name": "Counsel", "username": "counsel_test_bot"}
# Parameters that travel JSON-encoded in a form post (PTB json.dumps non-string values).
_JSON_PARAMS = {
    "reply_markup", "allowed_updates", "entities", "link_preview_options", "reply_parameters", "commands", "scope",
}  # fmt: skip
CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}  # fmt: skip


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float


@dataclass
class Plan:
    """What the next call of a method gets: an error status, or a late answer (the call still takes
    effect: a timeout on our side then does not mean "not sent")."""

    status: int | None
    description: str = ""
    retry_after: int | None = None
    late: float = 0.0


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-token-aBcDeFgHiJkLmNoPqRsTuVwXyZ"
    calls: list[Call] = field(default_factory=list)
    blocked_chats: set[str] = field(default_factory=set)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    base_url: str = ""
    # Seconds to wait before answering a method (a slow network or a stuck Telegram).
    delays: dict[str, float] = field(default_factory=dict)
    _plans: dict[str, list[Plan | None]] = field(default_factory=dict)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _update_cond: asyncio.Condition | None = None
    _next_message_id: int = 100
    # The highest offset a getUpdates asked for: every update below it was stored by the poller.
    max_offset: int = 0
    _closing: bool = False
    # message_id -> the message as sent (text, chat, reply_markup), edits applied.
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    # file_id -> what getFile describes and GET /file/bot<token>/<file_path> serves.
    files: dict[str, Content] = field(default_factory=dict)
    # Files the bot uploaded (sendPhoto / sendDocument): (method, chat_id, filename, bytes).
    uploads: list[tuple[str, str, str, bytes]] = field(default_factory=list)
    # (scope type, language_code) -> the commands registered with setMyCommands.
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)

    # ---- control -------------------------------------------------------------------------------
    def fail(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        times: int = 1,
        skip: int = 0,
        description: str | None = None,
    ) -> None:
        """After `skip` normal calls, the next `times` calls of `method` answer `status`."""
        desc = description or {
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(status, "Error")
        self._plan(method, skip, [Plan(status, desc, retry_after)] * times)

    def answer_late(self, method: str, seconds: float, *, skip: int = 0) -> None:
        """After `skip` normal calls, the next call takes effect but is answered `seconds` late."""
        self._plan(method, skip, [Plan(None, late=seconds)])

    def _plan(self, method: str, skip: int, plans: list[Plan]) -> None:
        queue = self._plans.setdefault(method, [])
        queue.extend([None] * skip)
        queue.extend(plans)

    async def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (long polling)."""
        assert self._update_cond is not None
        async with self._update_cond:
            self._updates.append(update)
            self._update_cond.notify_all()

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """Copies of the messages sent (in order, edits applied so far), optionally to one chat."""
        out = [
            copy.deepcopy(m)
            for m in self.messages.values()
            if chat_id is None or str(m["chat"]["id"]) == str(chat_id)
        ]
        return sorted(out, key=lambda m: m["message_id"])

    def texts(self, chat_id: int | str | None = None) -> list[str]:
        return [m["text"] for m in self.sent(chat_id)]

    def pending_updates(self) -> int:
        return len(self._updates)

    # ---- the API ---------------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["POST", "GET"]),
                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            ]
        )

    async def _file(self, request: Request) -> Response:
        """The file download: the planned failures first (500), then the bytes."""
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        file_id = request.path_params["path"].removeprefix("documents/").split("/", 1)[0]
        found = self.files.get(file_id)
        self.calls.append(Call("file", {"file_id": file_id}, asyncio.get_running_loop().time()))
        if found is None:
            return _error(404, "Not Found")
        if found.never or found.failed < found.fail_first:
            found.failed += 1
            return _error(500, "Internal Server Error")
        found.served += 1
        return Response(found.data, media_type=found.content_type)

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        params = await _params(request)
        loop = asyncio.get_running_loop()
        self.calls.append(Call(method, params, loop.time()))
        delay = self.delays.get(method)
        if delay:
            await asyncio.sleep(delay)
        queued = self._plans.get(method)
        plan = queued.pop(0) if queued else None
        if plan is not None and plan.status is not None:
            return _error(plan.status, plan.description, retry_after=plan.retry_after)
        handler: Callable[[dict[str, Any]], Any] | None = getattr(self, "_m_" + method.lower(), None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        try:
            result = await handler(params)
        except _ApiError as exc:
            return _error(exc.status, exc.description)
        if plan is not None and plan.late:
            await asyncio.sleep(plan.late)
        return JSONResponse({"ok": True, "result": result})

    async def _m_sendphoto(self, params: dict[str, Any]) -> Any:
        return self._uploaded("sendPhoto", "photo", params)

    async def _m_senddocument(self, params: dict[str, Any]) -> Any:
        return self._uploaded("sendDocument", "document", params)

    def _uploaded(self, method: str, field_name: str, params: dict[str, Any]) -> Any:
        chat_id = str(params.get("chat_id", ""))
        if chat_id in self.blocked_chats:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        files = params.get("_files", {})
        if field_name not in files:
            raise _ApiError(400, f"Bad Request: there is no {field_name} in the request")
        name, data = files[field_name]
        if not data:
            raise _ApiError(400, "Bad Request: file must be non-empty")
        self.uploads.append((method, chat_id, name, data))
        self._next_message_id += 1
        message_id = self._next_message_id
        message = {
            "message_id": message_id,
            "date": int(dt.datetime.now(dt.UTC).timestamp()),
            "chat": {"id": int(chat_id), "type": "private"},
            "from": BOT_USER,
        }
        kind = {"sendPhoto": "photo", "sendDocument": "document"}[method]
        if kind == "photo":
            message["photo"] = [
                {"file_id": f"sent{message_id}", "file_unique_id": f"u{message_id}", "width": 1, "height": 1}
            ]
        else:
            message["document"] = {
                "file_id": f"sent{message_id}",
                "file_unique_id": f"u{message_id}",
                "file_name": name,
            }
        return message

    async def _m_getfile(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id", ""))
        found = self.files.get(file_id)
        if found is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        if len(found.data) > 20 * 1024 * 1024:
            raise _ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": "u" + file_id[-12:],
            "file_size": len(found.data),
            "file_path": f"documents/{file_id}/file",
        }

    async def _m_getme(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        chat_id = str(params.get("chat_id", ""))
        text = str(params.get("text", ""))
        if not chat_id:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        if chat_id in self.blocked_chats:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        markup = params.get("reply_markup")
        _check_markup(markup)
        self._next_message_id += 1
        message: dict[str, Any] = {
            "message_id": self._next_message_id,
            "from": BOT_USER,
            "chat": {"id": int(chat_id), "type": "private"},
            "date": int(dt.datetime.now(dt.UTC).timestamp()),
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        self.messages[message["message_id"]] = message
        return message

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        message = self.messages.get(int(params.get("message_id", 0)))
        if message is None or str(message["chat"]["id"]) != str(params.get("chat_id")):
            raise _ApiError(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        _check_markup(markup)
        if markup == message.get("reply_markup") or (not markup and "reply_markup" not in message):
            raise _ApiError(400, "Bad Request: message is not modified")
        if markup and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message.setdefault("edits", 0)
        message["edits"] += 1
        return message

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        if not params.get("callback_query_id"):
            raise _ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        return True

    async def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        """Checked as the Bot API documents it: 1..100 commands of 1..32 characters [a-z0-9_],
        descriptions of 1..256 characters, language_code empty or a two-letter ISO 639-1 code."""
        commands = params.get("commands")
        if not isinstance(commands, list) or not 1 <= len(commands) <= 100:
            raise _ApiError(400, "Bad Request: commands must be a non-empty list of at most 100")
        for c in commands:
            name, description = str(c.get("command", "")), str(c.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        code = str(params.get("language_code") or "")
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise _ApiError(400, "Bad Request: LANG_CODE_INVALID")
        self.commands[(_scope(params), code)] = [
            {"command": str(c["command"]), "description": str(c["description"])} for c in commands
        ]
        return True

    async def _m_getmycommands(self, params: dict[str, Any]) -> Any:
        return self.commands.get((_scope(params), str(params.get("language_code") or "")), [])

    async def _m_deletemycommands(self, params: dict[str, Any]) -> Any:
        self.commands.pop((_scope(params), str(params.get("language_code") or "")), None)
        return True

    async def _m_sendchataction(self, params: dict[str, Any]) -> Any:
        if not str(params.get("chat_id", "")):
            raise _ApiError(400, "Bad Request: chat_id is empty")
        if params.get("action") not in CHAT_ACTIONS:
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        if str(params["chat_id"]) in self.blocked_chats:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = str(params.get("url") or "") or None
        self.webhook_secret = params.get("secret_token")
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = None
        self.webhook_secret = None
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self._updates.clear()
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        return {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        assert self._update_cond is not None
        offset = int(params.get("offset") or 0)
        self.max_offset = max(self.max_offset, offset)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        async with self._update_cond:
            if offset:
                # Telegram forgets every update below the offset: they are confirmed.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._update_cond.wait_for(lambda: bool(self._updates) or self._closing), timeout
                    )
            return self._updates[:limit]


def fixture(name: str) -> dict[str, Any]:
    """An update as Telegram sends it (tests/fixtures/telegram/<name>.json)."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def update_from(
    name: str,
    *,
    update_id: int | None = None,
    chat_id: int | None = None,
    text: str | None = None,
    data: str | None = None,
    message: dict[str, Any] | None = None,
    language_code: str | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """A fixture with its ids, text, callback data or pressed message replaced (a sent message
    from `FakeTelegram.sent()` can be the `message` a callback query points at)."""
    update = copy.deepcopy(fixture(name))
    if update_id is not None:
        update["update_id"] = update_id
    body = next(v for k, v in update.items() if k != "update_id")
    for holder in (body, body.get("message") or {}):
        if chat_id is not None and "chat" in holder and holder["chat"].get("type") == "private":
            holder["chat"]["id"] = chat_id
    if chat_id is not None and "from" in body:
        body["from"]["id"] = chat_id
    if language_code is not None and "from" in body:
        body["from"]["language_code"] = language_code
    if text is not None:
        body["text"] = text
        body.pop("entities", None)
    if data is not None:
        body["data"] = data
    if date is not None and "date" in body:
        body["date"] = date
    if message is not None:
        body["message"] = copy.deepcopy(message)
    return update


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        self.status, self.description = status, description


def _error(status: int, description: str, *, retry_after: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return JSONResponse(body, status_code=status)


def _scope(params: dict[str, Any]) -> str:
    """ "default", or "chat:<id>" for one chat's own list."""
    scope = params.get("scope") or {"type": "default"}
    kind = str(scope.get("type"))
    return f"chat:{scope.get('chat_id')}" if kind == "chat" else kind


def _check_markup(markup: Any) -> None:
    if not markup:
        return
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not str(button.get("text", "")):
                raise _ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


async def _params(request: Request) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        body = await request.body()
        data: dict[str, Any] = json.loads(body) if body else {}
        return data
    params: dict[str, Any] = dict(request.query_params)
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
        # Uploaded files (sendPhoto, sendDocument): name -> (file name, bytes).
        uploads = {k: v for k, v in form.items() if not isinstance(v, str)}
        if uploads:
            params["_files"] = {k: (v.filename or "", await v.read()) for k, v in uploads.items()}
        await form.close()
    for name in _JSON_PARAMS & params.keys():
        if isinstance(params[name], str):
            params[name] = json.loads(params[name])
    return params


@contextlib.asynccontextmanager
async def run_fake_telegram(fake: FakeTelegram | None = None) -> AsyncIterator[FakeTelegram]:
    """Serve the fake on a free 127.0.0.1 port in this event loop; `fake.base_url` is its address."""
    fake = fake or FakeTelegram()
    fake._update_cond = asyncio.Condition()
    fake._closing = False
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(fake.app(), log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        fake.base_url = f"http://127.0.0.1:{port}"
        yield fake
    finally:
        # Long polls still waiting are answered (empty) at once rather than holding the shutdown.
        async with fake._update_cond:
            fake._closing = True
            fake._update_cond.notify_all()
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        sock.close()


# ---- an end-to-end harness: the real app (engine, outbox, delivery worker) against this fake ------

CHAT_ID = 5550001
WEBHOOK_SECRET = "test-webhook-secret_0123456789"


@dataclass
class TelegramHarness:
    """Drives the app as Telegram would, by webhook or by long polling (`polling=True`)."""

    fake: FakeTelegram
    http: httpx.AsyncClient
    db: Database
    polling: bool = False
    presses: list[str] = field(default_factory=list)
    # The customers' Telegram language (`from.language_code`) in text() and press(): English, so
    # tests can compare answers with the source strings (the fixtures themselves say zh-hans).
    language: str = "en"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(900_000_001))

    def new_id(self) -> int:
        return next(self._ids)

    async def post(self, body: dict[str, Any] | bytes, secret: str | None = WEBHOOK_SECRET) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"content-type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return await self.http.post("/webhooks/telegram", content=content, headers=headers)

    async def deliver(self, update: dict[str, Any]) -> None:
        """Hand Telegram's update to the app and return once it has been stored (or ignored)."""
        if self.polling:
            await self.fake.push_update(update)
            await eventually(lambda: self.fake.max_offset > update["update_id"])
        else:
            response = await self.post(update)
            assert response.status_code == 200, response.text

    async def text(self, text: str, chat: int = CHAT_ID) -> dict[str, Any]:
        update = update_from(
            "text_message",
            update_id=self.new_id(),
            chat_id=chat,
            text=text,
            date=now(),
            language_code=self.language,
        )
        await self.deliver(update)
        return update

    async def press(
        self, label: str, message: dict[str, Any] | None = None, chat: int = CHAT_ID
    ) -> dict[str, Any]:
        """Press the button labelled `label` on `message` (default: the newest message with buttons)."""
        message = message or self.last_keyboard(chat)
        data = button_data(message, label)
        update = update_from(
            "callback_query",
            update_id=self.new_id(),
            chat_id=chat,
            data=data,
            message=message,
            language_code=self.language,
        )
        update["callback_query"]["id"] = f"cq{update['update_id']}"
        self.presses.append(update["callback_query"]["id"])
        await self.deliver(update)
        return update

    def last_keyboard(self, chat: int = CHAT_ID) -> dict[str, Any]:
        with_buttons = [m for m in self.fake.sent(chat) if m.get("reply_markup")]
        assert with_buttons, "no message with buttons was sent"
        return with_buttons[-1]

    async def count(self, model: Any, *where: Any) -> int:
        async with self.db.read() as s:
            return int((await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one())

    async def settled(self) -> None:
        """Wait until every outbox row is final and every button press was answered."""

        async def done() -> bool:
            async with self.db.read() as s:
                rows = (await s.execute(select(OutboxMessage.status))).scalars().all()
            answered = {c.params.get("callback_query_id") for c in self.fake.calls_of("answerCallbackQuery")}
            return all(r in ("sent", "dead", "cancelled") for r in rows) and set(self.presses) <= answered

        # Generous: the flood limits pace one chat at about a message a second after a short burst.
        await eventually(done, timeout=30)


def now() -> int:
    """A Telegram timestamp for "just now" (fixtures carry a fixed date)."""
    return int(dt.datetime.now(dt.UTC).timestamp())


def button_data(message: dict[str, Any], label: str) -> str:
    for row in message.get("reply_markup", {}).get("inline_keyboard", []):
        for button in row:
            if button["text"] == label:
                return str(button["callback_data"])
    labels = [b["text"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
    raise AssertionError(f"no button {label!r} in {labels}")


@contextlib.asynccontextmanager
async def telegram_app(
    settings: Settings, *, polling: bool = False, fake: FakeTelegram | None = None
) -> AsyncIterator[TelegramHarness]:
    """The real app (tests.support.server.serve_app) with Telegram pointed at a fake (a fresh one, or
    `fake` when it is already running). `settings` come without Telegram settings; the fake's token,
    address and a webhook secret are added."""
    from tests.support.server import serve_app

    async with contextlib.AsyncExitStack() as stack:
        if fake is None:
            fake = await stack.enter_async_context(run_fake_telegram())
        configured = settings.model_copy(
            update={
                "telegram_bot_token": SecretStr(fake.token),
                "telegram_webhook_secret": SecretStr(WEBHOOK_SECRET),
                "telegram_api_base": fake.base_url,
                "telegram_polling": polling,
            }
        )
        db = Database(settings.database_url)
        stack.push_async_callback(db.dispose)
        base = await stack.enter_async_context(serve_app(configured))
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=15))
        yield TelegramHarness(fake, http, db, polling)
