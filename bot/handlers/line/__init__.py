"""The LINE channel: POST /webhooks/line in, reply/push out (see docs/line.md).

`setup(ctx)` returns the Component (route, sender, shutdown hook) when the channel secret and the
access token are both set, and None otherwise.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.attachments.outbound import public_links
from bot.channels import AppContext, Component
from bot.engine import Engine
from bot.events import ChoiceIn, DateIn, FollowIn, InboundEvent, TextIn
from bot.handlers.line.menus import MenuLinker
from bot.handlers.line.readmarks import ReadMarks
from bot.handlers.line.sender import LineApi, LineSender
from bot.handlers.line.webhook import BadPayload, parse_body, parse_event, verify_signature
from bot.limits import QuietWarnings
from bot.logs import hashed

log = logging.getLogger(__name__)

PATH = "/webhooks/line"
# An answer still being worked out after this long gets LINE's loading bubble.
LOADING_AFTER = 0.8


class _TooLarge(Exception):
    pass


class LineWebhook:
    def __init__(self, secret: str, engine: Engine, api: LineApi, max_body: int) -> None:
        self._secret = secret
        self.engine = engine
        self.api = api
        self.max_body = max_body
        self._background: set[asyncio.Task[Any]] = set()
        # Anyone can post here: one warning a minute per reason, with how many were held back.
        self._warn = QuietWarnings(log)
        self.menus = MenuLinker(api, engine.db)

    async def endpoint(self, request: Request) -> Response:
        try:
            body = await self._read_body(request)
        except _TooLarge:
            return PlainTextResponse("body too large", status_code=413)
        except ClientDisconnect:
            return PlainTextResponse("client went away", status_code=400)
        # Verified on the raw bytes before anything is parsed; the body is never logged.
        if not verify_signature(self._secret, body, request.headers.get("x-line-signature")):
            self._warn.warning("line: webhook rejected: bad or missing signature")
            return PlainTextResponse("invalid signature", status_code=401)
        try:
            raw_events = parse_body(body)
        except BadPayload:
            self._warn.warning("line: webhook rejected: not a webhook body")
            return PlainTextResponse("bad request", status_code=400)

        failed = 0
        for raw in raw_events:
            parsed = parse_event(raw)
            if parsed.event is None:
                log.info(
                    "line: event skipped", extra={"reason": parsed.skip, "event_type": parsed.event_type}
                )
                continue
            try:
                await self._handle(parsed.event)
            except Exception:
                # Not durable: the rest of the batch still goes in, and LINE is told to redeliver
                # (the events already stored are then recognised as duplicates).
                failed += 1
                log.exception("line: event not stored", extra={"event_id": parsed.event.event_id})
        if failed:
            return PlainTextResponse("retry later", status_code=500)
        return PlainTextResponse("OK")

    async def _read_body(self, request: Request) -> bytes:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            raise _TooLarge()
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.max_body:
                raise _TooLarge()
        return bytes(body)

    async def _handle(self, event: InboundEvent) -> None:
        if isinstance(event.body, FollowIn):
            # The customer's language from their LINE settings, when LINE gives it (best effort, short).
            profile = await self.api.profile(event.key.user_id)
            if profile is not None:
                event = dataclasses.replace(
                    event, locale_hint=profile.language, display_name=profile.display_name
                )
        work = asyncio.ensure_future(self.engine.handle(event))
        if not event.silent and isinstance(event.body, TextIn | ChoiceIn | DateIn):
            # A timer, not a wait with a timeout: almost every answer is ready long before it fires.
            timer = asyncio.get_running_loop().call_later(
                LOADING_AFTER, self._loading_unless_done, work, event.key.user_id
            )
            work.add_done_callback(lambda _: timer.cancel())
        # Shielded: a webhook connection dropped mid-way must not cancel a transaction half done.
        result = await asyncio.shield(work)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("line: event %s", result.status, extra={"customer": hashed(event.key)})
        user = event.key.user_id
        if (
            result.status != "duplicate"
            and isinstance(event.body, FollowIn | TextIn | ChoiceIn)
            and not self.menus.settled(user, result.locale)
        ):
            # The customer's language may have just become known (follow: the LINE profile) or changed
            # (written in another language, chosen): their rich menu follows.
            self._spawn(self.menus.link(user, result.locale))

    def _loading_unless_done(self, work: asyncio.Future[Any], user_id: str) -> None:
        if not work.done():
            self._spawn(self.api.show_loading(user_id))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def setup(ctx: AppContext) -> Component | None:
    settings = ctx.settings
    if not settings.line_enabled or settings.line_channel_secret is None:
        return None
    api = LineApi(settings)
    webhook = LineWebhook(
        settings.line_channel_secret.get_secret_value(), ctx.engine, api, settings.max_body_bytes
    )
    marks = ReadMarks(api, ctx.db, ctx.bus)
    return Component(
        name="line",
        routes=[Route(PATH, webhook.endpoint, methods=["POST"])],
        senders=[LineSender(api, links=public_links(settings))],
        background=[marks.run],
        on_shutdown=[api.close],
        describe=f"LINE: on (POST {PATH}, API {settings.line_api_base})",
        extra={"api": api, "webhook": webhook, "read_marks": marks},
    )
