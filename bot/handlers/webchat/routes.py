from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from bot.channels import AppContext
from bot.events import ChoiceIn, ConversationKey, DateIn, FollowIn, InboundEvent, TextIn
from bot.i18n import DEFAULT_LOCALE, Translator, msg, normalize_locale
from storage.models import Conversation, TranscriptMessage
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
            secure=request.url.scheme == "https",
        )

    async def page(self, request: Request) -> Response:
        tag = request.query_params.get("lang") or _accept_language(request.headers.get("accept-language", ""))
        locale = normalize_locale(tag) or DEFAULT_LOCALE
        tr = Translator(locale)
        html = self.templates.get_template("chat.html").render(
            lang=locale.replace("_", "-"), t={key: tr.render(m) for key, m in PAGE_TEXT.items()}
        )
        response = HTMLResponse(html, headers=SECURITY_HEADERS)
        if self.visitor(request) is None:
            self._set_cookie(response, secrets.token_urlsafe(18), request)
        return response

    async def post_message(self, request: Request) -> Response:
        visitor = self.visitor(request)
        new_visitor = visitor is None
        visitor = visitor or secrets.token_urlsafe(18)
        body = await request.body()
        if len(body) > self.ctx.settings.max_body_bytes:
            return JSONResponse({"error": "request too large"}, status_code=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise BadInput("expected a JSON object")
            event = self._event(data, visitor, request)
        except (ValueError, UnicodeDecodeError):
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
            row = await s.execute(
                select(Conversation.id).where(
                    Conversation.channel == "webchat", Conversation.user_id == visitor
                )
            )
            return row.scalar_one_or_none()

    async def history(self, request: Request) -> Response:
        visitor = self.visitor(request)
        conv_id = await self._conversation_id(visitor) if visitor else None
        if conv_id is None:
            return JSONResponse({"messages": [], "last_outbox_id": 0})
        async with self.ctx.db.read() as s:
            rows = await s.execute(
                select(TranscriptMessage)
                .where(
                    TranscriptMessage.conversation_id == conv_id,
                    TranscriptMessage.author.in_(("customer", "bot", "agent")),
                )
                .order_by(TranscriptMessage.id.desc())
                .limit(200)
            )
            messages = list(reversed(list(rows.scalars())))
            sent = await sent_after(s, conv_id, 0)
        sent_ids = {m.id for m in sent}
        out = []
        for m in messages:
            if m.author != "customer" and m.outbox_id not in sent_ids:
                continue  # not delivered yet: the stream brings it
            entry: dict[str, Any] = {"author": m.author, "text": m.text}
            if m.payload:
                entry["message"] = m.payload
            out.append(entry)
        last = max(sent_ids, default=0)
        return JSONResponse({"messages": out, "last_outbox_id": last, "token": _last_token(out)})

    async def stream(self, request: Request) -> Response:
        visitor = self.visitor(request)
        if visitor is None:
            return JSONResponse({"error": "no chat yet"}, status_code=401)
        try:
            after = int(request.headers.get("last-event-id") or request.query_params.get("after") or 0)
        except ValueError:
            after = 0
        return StreamingResponse(
            self._events(request, visitor, after),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _events(self, request: Request, visitor: str, after: int) -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        conv_id = await self._conversation_id(visitor)
        topic = f"webchat:{conv_id}" if conv_id else "webchat:new"
        # Set when the server is told to stop: the response ends properly (not cut by uvicorn's
        # graceful-shutdown timeout) and the browser reconnects, by `retry`, to a process that serves.
        stopping: asyncio.Event = getattr(request.app.state, "stopping", None) or asyncio.Event()
        async with self.ctx.bus.subscribe(topic) as sub, self.ctx.bus.subscribe("outbox") as new_rows:
            idle = 0.0
            while not stopping.is_set() and not await request.is_disconnected():
                if conv_id is None:
                    conv_id = await self._conversation_id(visitor)
                if conv_id is not None:
                    async with self.ctx.db.read() as s:
                        rows = await sent_after(s, conv_id, after)
                    for row in rows:
                        after = row.id
                        data = json.dumps(
                            {"outbox_id": row.id, "source": row.source, **row.payload}, ensure_ascii=False
                        )
                        yield f"id: {row.id}\nevent: reply\ndata: {data}\n\n"
                waiter = sub if conv_id is not None and topic.endswith(str(conv_id)) else new_rows
                got = await waiter.get(timeout=1.0)
                idle = 0.0 if got else idle + 1.0
                if idle >= 15:
                    idle = 0.0
                    yield ": keep-alive\n\n"
                await asyncio.sleep(0)


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
