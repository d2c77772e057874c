"""POST /webhooks/telegram: Telegram delivers one update per request.

Order matters: the secret header first (constant time; 403 and nothing read further), then the size
cap (413), then the JSON (400), then the engine; 200 only once the event is durable, so a crash
before that makes Telegram redeliver and the inbox (unique update_id) makes the redelivery harmless.
"""

from __future__ import annotations

import hmac
import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response

from bot.handlers.telegram.updates import MalformedUpdate, UpdateProcessor, parse_update
from bot.limits import QuietWarnings
from storage import jsoncodec

log = logging.getLogger(__name__)

PATH = "/webhooks/telegram"
SECRET_HEADER = "x-telegram-bot-api-secret-token"


class _TooLarge(Exception):
    pass


class TelegramWebhook:
    def __init__(self, secret: str | None, processor: UpdateProcessor, max_body: int) -> None:
        # No secret configured: every call is refused (a webhook anyone could post to is worse than none).
        self._secret = secret.encode() if secret else None
        self.processor = processor
        self.max_body = max_body
        # Anyone can post here: one warning a minute per reason, with how many were held back.
        self._warn = QuietWarnings(log)

    def _authentic(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER)
        if self._secret is None or given is None:
            return False
        return hmac.compare_digest(given.encode(), self._secret)

    async def handle(self, request: Request) -> Response:
        if not self._authentic(request):
            self._warn.warning("telegram: webhook rejected: missing or wrong secret token")
            return PlainTextResponse("forbidden", status_code=403)
        try:
            body = await self._read_body(request)
        except _TooLarge:
            return PlainTextResponse("body too large", status_code=413)
        except ClientDisconnect:
            return PlainTextResponse("client went away", status_code=400)
        try:
            update = parse_update(jsoncodec.loads(body))
        except (ValueError, MalformedUpdate):
            # json.JSONDecodeError and UnicodeDecodeError are ValueErrors; the body is never logged.
            self._warn.warning("telegram: webhook rejected: not an update")
            return PlainTextResponse("bad request", status_code=400)
        try:
            await self.processor.process(update)
        except Exception:
            # Not stored: Telegram redelivers on a non-2xx answer.
            log.exception("telegram: update not stored", extra={"update_id": update.update_id})
            return PlainTextResponse("retry later", status_code=500)
        return PlainTextResponse("OK")

    async def _read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)
