from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from bot.channels import AppContext
from bot.events import ChoiceIn, ConversationKey, DateIn, FollowIn, InboundEvent, TextIn
from bot.handlers.webchat import live
from bot.i18n import DEFAULT_LOCALE, Translator, msg, normalize_locale
from bot.limits import Gauge, RateLimit, StreamSlots, retry_after
from bot.link_limits import client_network
from bot.reads import seen_topic, typing_topic
from storage.repositories import conversations
from storage.repositories.outbox import sent_after

COOKIE = "cb_visitor"
EVENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
OPTION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


# What the page itself says (the conversation is translated by the engine).
PAGE_TEXT = {
    "title": msg("Beta Me Agent — counseling chat"),
    "subtitle": msg("Official counseling chat"),
    "log": msg("Conversation"),
    "label": msg("Message"),
    "placeholder": msg("Write a message…"),
    "send": msg("Send"),
    "error": msg("Sorry, your message could not be sent. Please try again."),
    "notice": msg(
        "Please do not send card numbers or passwords here. A person from our team reads this chat."
    ),
    "attach": msg("Send a photo or a PDF"),
    "camera": msg("Take a photo"),
    "drop": msg("Drop a photo or a PDF here to send it"),
    "typing": msg("Our team is typing…"),
    "seen": msg("Seen"),
    "sound_on": msg("Sound on"),
    "sound_off": msg("Sound off"),
    "sound_label": msg("Play a sound for new messages"),
}


class BadInput(Exception):
    pass


class WebchatAPI:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.signer = URLSafeSerializer(ctx.settings.secret(), salt="webchat-visitor")
        from bot.handlers.webchat import HERE

        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
        )
        st = ctx.settings
        self.visitor_messages = RateLimit(st.webchat_messages_per_minute, 60.0)
        self.address_messages = RateLimit(st.webchat_address_messages_per_minute, 60.0)
        self.new_visitors = RateLimit(st.webchat_new_visitors_per_hour, 3600.0)
        self.visitor_streams = Gauge(st.webchat_streams_per_visitor)
        self.address_streams = Gauge(st.webchat_streams_per_address)
        self.streams = StreamSlots(st.webchat_max_streams)
        # Behind an https public URL the cookie is Secure even when the last hop (nginx) is plain http.
        self.secure_cookie = (st.public_url or "").lower().startswith("https://")

    def visitor(self, request: Request) -> str | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            value = self.signer.loads(raw)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def _set_cookie(self, response: Response, visitor: str, request: Request) -> None:
        response.set_cookie(
            COOKIE,
            self.signer.dumps(visitor),
            max_age=180 * 86400,
            httponly=True,
            samesite="lax",
            secure=self.secure_cookie or request.url.scheme == "https",
        )

    async def page(self, request: Request) -> Response:
        tag = request.query_params.get("lang") or _accept_language(request.headers.get("accept-language", ""))
        locale = normalize_locale(tag) or DEFAULT_LOCALE
        tr = Translator(locale)
        limit = self.ctx.settings.attachment_max_bytes
        too_large = msg("This file is too large (at most {mb} MB).", mb=max(1, limit // (1024 * 1024)))
        html = self.templates.get_template("chat.html").render(
            lang=locale.replace("_", "-"),
            t={key: tr.render(m) for key, m in PAGE_TEXT.items()},
            too_large=tr.render(too_large),
            max_bytes=limit,
        )
        new_visitor = self.visitor(request) is None
        if new_visitor and (wait := self.new_visitors.take(_address(request))) is not None:
            return _too_many(wait)
        response = HTMLResponse(html, headers=SECURITY_HEADERS)
        if new_visitor:
            self._set_cookie(response, secrets.token_urlsafe(18), request)
        return response

    def _limited(self, request: Request, visitor: str | None) -> Response | None:
        """429 when this address or visitor is over its message (or new visitor) allowance."""
        address = _address(request)
        wait = self.address_messages.take(address)
        if wait is None and visitor is None:
            wait = self.new_visitors.take(address)
        if wait is None and visitor is not None:
            wait = self.visitor_messages.take(visitor)
        return None if wait is None else _too_many(wait)

    async def post_message(self, request: Request) -> Response:
        visitor = self.visitor(request)
        if (refused := self._limited(request, visitor)) is not None:
            return refused
        new_visitor = visitor is None
        visitor = visitor or secrets.token_urlsafe(18)
        body = await request.body()  # capped while it streams in by bot.limits.BodyLimit
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise BadInput("expected a JSON object")
            # A lone surrogate ("\\ud800") parses, but no database or channel can store it.
            json.dumps(data, ensure_ascii=False).encode()
            event = self._event(data, visitor, request)
        except (ValueError, RecursionError):
            # UnicodeError is a ValueError; RecursionError: brackets nested deeper than the parser goes.
            return JSONResponse({"error": "malformed JSON"}, status_code=400)
        except BadInput as exc:
            status = 413 if "too long" in str(exc) else 400
            return JSONResponse({"error": str(exc)}, status_code=status)
        result = await self.ctx.engine.handle(event)
        response = JSONResponse({"status": result.status}, status_code=200)
        if new_visitor:
            self._set_cookie(response, visitor, request)
        return response

    def _event(self, data: dict[str, Any], visitor: str, request: Request) -> InboundEvent:
        event_id = data.get("id")
        if not isinstance(event_id, str) or not EVENT_ID.match(event_id):
            raise BadInput("each message needs an id (8-64 letters, digits, - or _)")
        body: TextIn | ChoiceIn | DateIn | FollowIn
        token = str(data.get("token", ""))[:32]
        if "text" in data:
            text = data["text"]
            if not isinstance(text, str) or not text.strip():
                raise BadInput("text must be a non-empty string")
            if len(text) > self.ctx.settings.max_message_chars:
                raise BadInput(f"message too long (at most {self.ctx.settings.max_message_chars} characters)")
            body = TextIn(text.strip())
        elif "choice" in data:
            choice = data["choice"]
            if not isinstance(choice, str) or not OPTION_ID.match(choice):
                raise BadInput("choice must be a button id")
            body = ChoiceIn(choice, token)
        elif "date" in data:
            try:
                body = DateIn(dt.date.fromisoformat(str(data["date"])), token=token)
            except ValueError:
                raise BadInput("date must be YYYY-MM-DD") from None
        elif data.get("start"):
            body = FollowIn()
        else:
            raise BadInput("send text, choice, date or start")
        lang = request.query_params.get("lang") or _accept_language(
            request.headers.get("accept-language", "")
        )
        return InboundEvent(
            key=ConversationKey("webchat", visitor),
            event_id=event_id,
            received_at=dt.datetime.now(dt.UTC),
            body=body,
            locale_hint=lang,
            # Behind nginx this is the proxy unless uvicorn trusts its X-Forwarded-For (bot.link_limits).
            address=request.client.host if request.client else None,
        )

    async def _conversation_id(self, visitor: str) -> int | None:
        async with self.ctx.db.read() as s:
            return await conversations.conversation_id(s, "webchat", visitor)

    async def history(self, request: Request) -> Response:
        visitor = self.visitor(request)
        conv_id = await self._conversation_id(visitor) if visitor else None
        if conv_id is None:
            return JSONResponse({"messages": [], "last_outbox_id": 0}, headers=NO_STORE)
        async with self.ctx.db.read() as s:
            messages = await conversations.visible_transcript(s, conv_id)
            sent = await sent_after(s, conv_id, 0)
        sent_ids = {m.id for m in sent}
        out = []
        for m in messages:
            if m.author != "customer" and m.outbox_id not in sent_ids:
                continue  # not delivered yet: the stream brings it
            entry: dict[str, Any] = {"author": m.author, "text": m.text}
            if m.author == "customer" and m.event_id:
                entry["id"] = m.event_id  # the page's own message id: where "seen" goes
            if m.payload:
                entry["message"] = m.payload
            out.append(entry)
        last = max(sent_ids, default=0)
        body = {"messages": out, "last_outbox_id": last, "token": _last_token(out)}
        return JSONResponse(body, headers=NO_STORE)

    async def stream(self, request: Request) -> Response:
        visitor = self.visitor(request)
        if visitor is None:
            return JSONResponse({"error": "no chat yet"}, status_code=401)
        try:
            after = int(request.headers.get("last-event-id") or request.query_params.get("after") or 0)
        except ValueError:
            after = 0
        after = max(0, min(after, 2**62))  # an id the database can compare with
        address = _address(request)
        if not self.visitor_streams.acquire(visitor):
            return _too_many(5.0, "too many open streams")
        if not self.address_streams.acquire(address):
            self.visitor_streams.release(visitor)
            return _too_many(5.0, "too many open streams")
        ended = self.streams.acquire(address)
        if ended is None:
            self.visitor_streams.release(visitor)
            self.address_streams.release(address)
            return _too_many(10.0, "too many open streams")

        def release() -> None:
            self.visitor_streams.release(visitor)
            self.address_streams.release(address)
            self.streams.release(address, ended)

        return HeldStream(
            self._events(request, visitor, after, ended),
            release,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _events(
        self, request: Request, visitor: str, after: int, ended: asyncio.Event
    ) -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        st = self.ctx.settings
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + st.webchat_stream_lifetime
        conv_id = await self._conversation_id(visitor)
        topic = f"webchat:{conv_id}" if conv_id else "webchat:new"
        # Set when the server is told to stop: the response ends properly (not cut by uvicorn's
        # graceful-shutdown timeout) and the browser reconnects, by `retry`, to a process that serves.
        stopping: asyncio.Event = getattr(request.app.state, "stopping", None) or asyncio.Event()
        topics = {"reply": topic, "outbox": "outbox"}
        if conv_id is not None:
            topics |= {"typing": typing_topic(conv_id), "seen": seen_topic(conv_id)}
        async with live.Merged(self.ctx.bus, topics) as merged:
            poll_at = 0.0  # read at once: what was sent before the stream opened
            quiet_since = loop.time()
            if conv_id is not None and (seen := await live.seen_frame(self.ctx.db, conv_id)):
                yield seen
            while (
                not stopping.is_set()
                and not ended.is_set()
                and loop.time() < ends_at
                and not await request.is_disconnected()
            ):
                now = loop.time()
                if now >= poll_at:
                    poll_at = now + st.webchat_stream_poll_interval
                    if conv_id is None:
                        conv_id = await self._conversation_id(visitor)
                    if conv_id is not None:
                        async for frame in self._sent(conv_id, after):
                            after, text = frame
                            quiet_since = loop.time()
                            yield text
                if loop.time() - quiet_since >= KEEP_ALIVE_S:
                    quiet_since = loop.time()
                    yield ": keep-alive\n\n"
                own = conv_id is not None and topic.endswith(str(conv_id))
                # Short waits only so that `stopping` and the lifetime are noticed: no database read
                # happens unless the bus wakes the stream or the fallback poll is due.
                got = await merged.get(timeout=1.0)
                name = got[0] if got is not None else None
                if name == "typing":
                    yield live.TYPING_FRAME
                elif (
                    name == "seen"
                    and conv_id is not None
                    and (seen := await live.seen_frame(self.ctx.db, conv_id))
                ):
                    yield seen
                elif name == "reply" or (name == "outbox" and not own):
                    poll_at = 0.0

    async def _sent(self, conv_id: int, after: int) -> AsyncIterator[tuple[int, str]]:
        async with self.ctx.db.read() as s:
            rows = await sent_after(s, conv_id, after)
        for row in rows:
            data = json.dumps({"outbox_id": row.id, "source": row.source, **row.payload}, ensure_ascii=False)
            yield row.id, f"id: {row.id}\nevent: reply\ndata: {data}\n\n"


KEEP_ALIVE_S = 15.0
NO_STORE = {"Cache-Control": "no-store"}


class HeldStream(StreamingResponse):
    """A stream that gives back its slot however it ends (even when its body never started)."""

    def __init__(self, content: AsyncIterator[str], release: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def _address(request: Request) -> str:
    """Who the per-address limits count: an IPv6 client as its /64, which it can rotate in."""
    return client_network(request.client.host) if request.client else "unknown"


def _too_many(wait: float, error: str = "too many requests, try again later") -> Response:
    return JSONResponse({"error": error}, status_code=429, headers={"Retry-After": retry_after(wait)})


def _accept_language(header: str) -> str | None:
    for part in header.split(","):
        tag = part.split(";")[0].strip()
        if normalize_locale(tag):
            return tag
    return None


def _last_token(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages):
        token = m.get("message", {}).get("token")
        if token:
            return str(token)
    return ""
