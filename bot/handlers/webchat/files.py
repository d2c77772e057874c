"""Files in the web chat: a visitor's upload (a photo from the phone's camera, a PDF) and the files
an agent sent them. The upload is one event like a message (its client id is the event id, so a
retried upload is stored once); the content goes through the same checks as LINE's and Telegram's
(bot.attachments.fetch.Fetcher.accept). A visitor reads only the files of their own conversation.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.attachments.fetch import Fetcher
from bot.attachments.serve import file_response
from bot.attachments.sniff import sniff
from bot.channels import AppContext
from bot.events import AttachmentIn, ConversationKey, InboundEvent
from bot.handlers.webchat.routes import EVENT_ID, NO_STORE, WebchatAPI, _accept_language
from storage.repositories import attachments as repo

UPLOAD_PATH = "/api/chat/files"


class WebchatFiles:
    def __init__(self, ctx: AppContext, api: WebchatAPI) -> None:
        self.ctx, self.api = ctx, api
        # Only its checks and storage are used here: the web chat has no platform to fetch from.
        self.fetcher = Fetcher(ctx.engine, ctx.settings, {})

    async def upload(self, request: Request) -> Response:
        visitor = self.api.visitor(request)
        if visitor is None:
            return JSONResponse({"error": "open the chat first"}, status_code=401)
        if (refused := self.api._limited(request, visitor)) is not None:
            return refused
        event_id = request.query_params.get("id", "")
        if not EVENT_ID.match(event_id):
            return JSONResponse({"error": "each upload needs an id"}, status_code=400)
        data = await request.body()  # capped while it streams in (bot.app.body_cap)
        if not data:
            return JSONResponse({"error": "empty file"}, status_code=400)
        name = unquote(request.headers.get("x-file-name", ""))[:255].replace("\x00", "") or None
        # The kind the bot thanks for; the content is checked properly by the pipeline.
        found = sniff(data[:64])
        body = AttachmentIn(found.kind if found else "file", "upload:", name=name, size=len(data))
        lang = request.query_params.get("lang") or _accept_language(
            request.headers.get("accept-language", "")
        )
        event = InboundEvent(
            key=ConversationKey("webchat", visitor),
            event_id=event_id,
            received_at=dt.datetime.now(dt.UTC),
            body=body,
            locale_hint=lang,
            address=request.client.host if request.client else None,
        )
        result = await self.ctx.engine.handle(event)
        async with self.ctx.db.read() as s:
            rows = await repo.by_event(s, "webchat", event_id)
        outcome = ""
        for att in rows:
            # Also on a duplicate: a retried upload whose first request stopped half-way.
            outcome = await self.fetcher.accept(att.id, data)
        return JSONResponse({"status": result.status, "file": outcome.partition(":")[0]}, headers=NO_STORE)

    async def download(self, request: Request) -> Response:
        visitor = self.api.visitor(request)
        if visitor is None:
            return JSONResponse({"error": "no chat"}, status_code=401)
        async with self.ctx.db.read() as s:
            conv_id = await self.api._conversation_id(visitor)
            att = await repo.by_token(s, request.path_params["token"])
            stored = await repo.content(s, att.id) if att is not None else None
        if att is None or stored is None or att.conversation_id != conv_id:
            return JSONResponse({"error": "no such file"}, status_code=404)
        data = await self.fetcher.store.read(stored)
        if data is None:
            return JSONResponse({"error": "no such file"}, status_code=404)
        return file_response(att, stored, data)
