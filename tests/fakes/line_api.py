"""A fake LINE Messaging API on 127.0.0.1, run in the caller's event loop (tests and bench/line.py).

It answers the endpoints counselbot uses — reply, push, profile, loading animation — the way
api.line.me does, closely enough for the real line-bot-sdk client: bearer token checked, message
objects validated against LINE's limits (a rendering mistake of ours shows up as a 400), reply tokens
single-use, X-Line-Retry-Key remembered (a repeated key answers 409 with x-line-accepted-request-id).
It records every request with its headers, and on demand answers 429 (with Retry-After), 5xx, 400
"Invalid reply token", or accepts a request and then answers too late (a client-side timeout).

Also here: helpers to build webhook bodies from tests/fixtures/line/*.json and sign them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import hmac
import json
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.content import Content
from tests.fakes.line_flex import check_flex
from tests.fakes.line_richmenu import richmenu_routes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "line"
CHANNEL_SECRET = "8c5d3d1b2f6a4e7f9a0b1c2d3e4f5a6b"
ACCESS_TOKEN = "test-line-channel-access-token"
BOT_DESTINATION = "U0123456789abcdef0123456789abcdef"
ENDPOINTS = (
    "reply", "push", "profile", "loading", "richmenu", "richmenu_list", "richmenu_image", "richmenu_delete",
    "alias", "alias_update", "alias_list", "default", "get_default", "link", "mark_read", "content",
)  # fmt: skip


@dataclass
class Recorded:
    endpoint: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int
    at: float


@dataclass
class Delivered:
    """A message LINE accepted: who gets it, how (reply or push) and the message object."""

    user_id: str
    via: str
    message: dict[str, Any]
    at: float
    retry_key: str | None = None
    reply_token: str | None = None


@dataclass
class Plan:
    status: int
    message: str = ""
    retry_after: str | None = None
    # Accept the request, then answer only after this many seconds (the client times out first).
    late: float = 0.0


@dataclass
class FakeLine:
    access_token: str = ACCESS_TOKEN
    requests: list[Recorded] = field(default_factory=list)
    delivered: list[Delivered] = field(default_factory=list)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    base_url: str = ""
    _plans: dict[str, list[Plan]] = field(default_factory=dict)
    _reply_tokens: dict[str, str] = field(default_factory=dict)
    _accepted_keys: dict[str, str] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    # Rich menus as LINE keeps them: id -> the menu object (with "richMenuId"), images, aliases, links.
    rich_menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    default_menu: str | None = None
    user_menus: dict[str, str] = field(default_factory=dict)
    # markAsReadToken values accepted, in order.
    read_marks: list[str] = field(default_factory=list)
    # message id -> what GET /v2/bot/message/{id}/content serves (api-data.line.me in production).
    contents: dict[str, Content] = field(default_factory=dict)

    # -- arranging -------------------------------------------------------------------------------
    def issue_reply_token(self, user_id: str) -> str:
        """A reply token as LINE would put in a webhook for this user (valid once)."""
        token = uuid.uuid4().hex
        self._reply_tokens[token] = user_id
        return token

    def expire_reply_token(self, token: str) -> None:
        self._reply_tokens.pop(token, None)

    def add_profile(
        self, user_id: str, display_name: str = "Test Customer", language: str | None = "en"
    ) -> None:
        profile: dict[str, Any] = {"userId": user_id, "displayName": display_name}
        if language:
            profile["language"] = language
        self.profiles[user_id] = profile

    def fail(
        self, endpoint: str, status: int, message: str = "", *, retry_after: int | None = None, times: int = 1
    ) -> None:
        """The next `times` requests to `endpoint` answer `status` (with LINE's usual message)."""
        assert endpoint in ENDPOINTS, endpoint
        text = message or _DEFAULT_MESSAGES.get(status, "Internal server error")
        ra = str(retry_after) if retry_after is not None else None
        self._plans.setdefault(endpoint, []).extend(Plan(status, text, ra) for _ in range(times))

    def answer_late(self, endpoint: str, seconds: float, times: int = 1) -> None:
        """The next `times` requests are accepted, but the answer comes after `seconds`."""
        self._plans.setdefault(endpoint, []).extend(Plan(200, late=seconds) for _ in range(times))

    # -- inspecting ------------------------------------------------------------------------------
    def of(self, endpoint: str) -> list[Recorded]:
        return [r for r in self.requests if r.endpoint == endpoint]

    def messages(self, user_id: str | None = None) -> list[dict[str, Any]]:
        return [d.message for d in self.delivered if user_id is None or d.user_id == user_id]

    def texts(self, user_id: str | None = None) -> list[str]:
        return [str(m.get("text", "")) for m in self.messages(user_id)]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        """Until `predicate()` holds (checked after every request), or TimeoutError."""
        async with asyncio.timeout(within):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    # -- serving ---------------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v2/bot/message/reply", self._reply, methods=["POST"]),
                Route("/v2/bot/message/push", self._push, methods=["POST"]),
                Route("/v2/bot/profile/{user_id}", self._profile, methods=["GET"]),
                Route("/v2/bot/chat/loading/start", self._loading, methods=["POST"]),
                Route("/v2/bot/message/{message_id}/content", self._content, methods=["GET"]),
                *richmenu_routes(self),
            ]
        )

    async def _reply(self, request: Request) -> Response:
        return await self._serve("reply", request, self._do_reply)

    async def _push(self, request: Request) -> Response:
        return await self._serve("push", request, self._do_push)

    async def _profile(self, request: Request) -> Response:
        return await self._serve("profile", request, self._do_profile)

    async def _content(self, request: Request) -> Response:
        """The content API: bearer token checked; 404 for an unknown id, as LINE answers once it has
        deleted the content; the planned failures first."""
        status = 200
        found = self.contents.get(request.path_params["message_id"])
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            status = 401
        elif found is None:
            status = 404
        elif found.never or found.failed < found.fail_first:
            found.failed += 1
            status = 500
        self.requests.append(
            Recorded("content", request.url.path, dict(request.headers), None, status, time.monotonic())
        )
        self._changed.set()
        if status != 200 or found is None:
            return _error(status, _DEFAULT_MESSAGES.get(status, "Internal server error"))
        found.served += 1
        return Response(found.data, media_type=found.content_type)

    async def _loading(self, request: Request) -> Response:
        return await self._serve("loading", request, self._do_loading)

    async def _serve(
        self, endpoint: str, request: Request, action: Callable[[Request, Any], Response]
    ) -> Response:
        raw = await request.body()
        request.state.raw = raw
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in request.headers.items()}
        plans = self._plans.get(endpoint)
        plan = plans.pop(0) if plans else None
        response: Response
        if headers.get("authorization") != f"Bearer {self.access_token}":
            response = _error(
                401,
                "Authentication failed. Confirm that the access token in the authorization header is valid.",
            )
        elif plan is not None and plan.status != 200:
            response = _error(plan.status, plan.message)
            if plan.retry_after is not None:
                response.headers["Retry-After"] = plan.retry_after
        else:
            response = action(request, body)
        self.requests.append(
            Recorded(endpoint, request.url.path, headers, body, response.status_code, time.monotonic())
        )
        self._changed.set()
        if plan is not None and plan.late:
            await asyncio.sleep(plan.late)
        return response

    def _do_reply(self, request: Request, body: Any) -> Response:
        if request.headers.get("x-line-retry-key"):
            return _error(400, "The retry key is not supported by this API")
        if not isinstance(body, dict) or not isinstance(body.get("replyToken"), str):
            return _error(400, "The request body has 1 error(s)")
        problem = _check_messages(body.get("messages"))
        if problem:
            return _error(
                400, "The request body has 1 error(s)", [{"message": problem, "property": "messages"}]
            )
        user_id = self._reply_tokens.pop(body["replyToken"], None)
        if user_id is None:
            return _error(400, "Invalid reply token")
        return self._accept(user_id, "reply", body["messages"], None, body["replyToken"])

    def _do_push(self, request: Request, body: Any) -> Response:
        key = request.headers.get("x-line-retry-key")
        if key is not None:
            try:
                uuid.UUID(key)
            except ValueError:
                return _error(400, "The retry key must be a UUID")
            if key in self._accepted_keys:
                response = _error(409, "The retry key is already accepted")
                response.headers["x-line-accepted-request-id"] = self._accepted_keys[key]
                return response
        if not isinstance(body, dict) or not isinstance(body.get("to"), str):
            return _error(400, "The request body has 1 error(s)")
        problem = _check_messages(body.get("messages"))
        if problem:
            return _error(
                400, "The request body has 1 error(s)", [{"message": problem, "property": "messages"}]
            )
        accepted = self._accept(body["to"], "push", body["messages"], key)
        if key is not None:
            self._accepted_keys[key] = accepted.headers["x-line-request-id"]
        return accepted

    def _accept(
        self,
        user_id: str,
        via: str,
        messages: list[dict[str, Any]],
        key: str | None,
        token: str | None = None,
    ) -> Response:
        now = time.monotonic()
        sent = []
        for message in messages:
            self.delivered.append(Delivered(user_id, via, message, now, key, token))
            sent.append({"id": str(uuid.uuid4().int)[:18], "quoteToken": uuid.uuid4().hex})
        response = JSONResponse({"sentMessages": sent})
        response.headers["x-line-request-id"] = str(uuid.uuid4())
        return response

    def _do_profile(self, request: Request, body: Any) -> Response:
        profile = self.profiles.get(request.path_params["user_id"])
        if profile is None:
            return _error(404, "Not found")
        return JSONResponse(profile)

    def _do_loading(self, request: Request, body: Any) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("chatId"), str):
            return _error(400, "The request body has 1 error(s)")
        return JSONResponse({}, status_code=202)


_DEFAULT_MESSAGES = {
    400: "The request body has 1 error(s)",
    401: "Authentication failed",
    403: "Access to this API is not available for your account",
    429: "Too Many Requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def _error(status: int, message: str, details: list[dict[str, str]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = details
    response = JSONResponse(body, status_code=status)
    response.headers["x-line-request-id"] = str(uuid.uuid4())
    return response


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _check_messages(messages: Any) -> str:
    """LINE's limits on what we send; an empty string when all is well."""
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return "messages: between 1 and 5 message objects"
    for m in messages:
        if isinstance(m, dict) and m.get("type") == "image":
            # LINE's rules for an image message: both URLs https, at most 2000 characters.
            urls = (m.get("originalContentUrl"), m.get("previewImageUrl"))
            if not all(isinstance(u, str) and u.startswith("https://") and len(u) <= 2000 for u in urls):
                return "image: originalContentUrl and previewImageUrl must be https URLs"
            continue
        if isinstance(m, dict) and m.get("type") == "flex":
            problem = check_flex(m)
            if problem:
                return problem
            continue
        if not isinstance(m, dict) or m.get("type") != "text":
            return "only text, image and flex messages are expected from counselbot"
        text = m.get("text")
        if not isinstance(text, str) or not text or _utf16(text) > 5000:
            return "text: 1 to 5000 characters"
        items = (m.get("quickReply") or {}).get("items", [])
        if len(items) > 13:
            return "quickReply.items: at most 13"
        for item in items:
            action = item.get("action", {})
            label = action.get("label")
            if not isinstance(label, str) or not 1 <= len(label) <= 20:
                return "action.label: 1 to 20 characters"
            if len(action.get("data", "")) > 300:
                return "action.data: at most 300 characters"
            if action.get("type") == "postback" and len(action.get("displayText", "")) > 300:
                return "action.displayText: at most 300 characters"
            if action.get("type") == "datetimepicker" and action.get("mode") not in (
                "date",
                "time",
                "datetime",
            ):
                return "action.mode: date, time or datetime"
            if action.get("type") not in ("postback", "datetimepicker", "message"):
                return "action.type: unexpected"
    return ""


@contextlib.asynccontextmanager
async def run_fake_line(fake: FakeLine | None = None) -> AsyncIterator[FakeLine]:
    """Serve the fake on a free 127.0.0.1 port in this event loop; `fake.base_url` is its address."""
    fake = fake or FakeLine()
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
        server.should_exit = True
        server.force_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        sock.close()


# -- webhook bodies ------------------------------------------------------------------------------
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_event_id() -> str:
    """A webhookEventId as LINE makes them: a 26-character ULID (48-bit ms time + 80 random bits)."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def fixture(name: str) -> dict[str, Any]:
    """A whole webhook body as LINE sent it, from tests/fixtures/line/<name>.json."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def event_from(
    name: str,
    *,
    user_id: str | None = None,
    event_id: str | None = None,
    reply_token: str | None = None,
    timestamp_ms: int | None = None,
    redelivery: bool | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """The first event of fixture `name`, with the per-test values replaced (a fresh id by default)."""
    event: dict[str, Any] = copy.deepcopy(fixture(name)["events"][0])
    event["webhookEventId"] = event_id or new_event_id()
    event["timestamp"] = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    if user_id is not None and isinstance(event.get("source"), dict) and "userId" in event["source"]:
        event["source"]["userId"] = user_id
    if reply_token is not None and "replyToken" in event:
        event["replyToken"] = reply_token
    if redelivery is not None:
        event["deliveryContext"] = {"isRedelivery": redelivery}
    for path, value in fields.items():
        target = event
        *parents, leaf = path.split("__")
        for p in parents:
            target = target[p]
        target[leaf] = value
    return event


def webhook_body(*events: dict[str, Any], destination: str = BOT_DESTINATION) -> bytes:
    """Serialized as LINE does (compact JSON, UTF-8, non-ASCII as is)."""
    return json.dumps(
        {"destination": destination, "events": list(events)}, ensure_ascii=False, separators=(",", ":")
    ).encode()


def sign(body: bytes, secret: str = CHANNEL_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
