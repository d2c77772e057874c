"""Talking to the LINE Messaging API through line-bot-sdk's async client: reply, push, profile, loading.

The delivery worker calls `LineSender.send` with one outbox row. The first request uses the reply
token while it is fresh (free of charge, no retry key allowed); everything else is a push with an
X-Line-Retry-Key derived from the row's idempotency key, so a retried push that LINE had already
accepted answers 409 and counts as sent. A reply whose outcome is unknown is never followed by a
push of the same messages (docs/adr/0001-line-reply-exactly-once.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import json
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import aiohttp.helpers
import yarl
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.async_rest import RESTResponse
from linebot.v3.messaging.exceptions import ApiException

from bot.channels import Delivery, Failed, Retry, SendResult, Sent, Unreachable
from bot.config import Settings
from bot.delivery import MAX_IN_FLIGHT
from bot.handlers.line.render import Batch, batches
from bot.logs import hashed
from bot.replies import Rendered
from storage import jsoncodec

log = logging.getLogger(__name__)

# A reply token is worth trying only with this much of its life left (the request takes time too).
REPLY_TOKEN_MARGIN = dt.timedelta(seconds=2)


@dataclass(frozen=True, slots=True)
class Profile:
    display_name: str | None
    language: str | None


class LineApi:
    """One SDK client per process, created on first use inside the running event loop
    (its aiohttp session belongs to that loop)."""

    def __init__(self, settings: Settings, *, timeout: float = 10.0, profile_timeout: float = 1.5) -> None:
        token = settings.line_channel_access_token
        if token is None:
            raise ValueError("LINE channel access token is not set")
        self._config = Configuration(
            host=settings.line_api_base.rstrip("/"), access_token=token.get_secret_value()
        )
        # The SDK sizes its aiohttp pool to 5 x CPUs; the delivery worker has more sends in flight.
        self._config.connection_pool_maxsize = MAX_IN_FLIGHT
        self._auth = {"Authorization": f"Bearer {token.get_secret_value()}"}
        self.timeout = timeout
        self.profile_timeout = profile_timeout
        self._data_host = settings.line_data_api_base.rstrip("/")
        self._client: AsyncApiClient | None = None
        self._api: AsyncMessagingApi | None = None
        self._blob_client: _DataHostClient | None = None

    def api(self) -> AsyncMessagingApi:
        if self._api is None:
            self._client = AsyncApiClient(self._config)
            _resolve_proxy_once(self._client, self._config)
            self._api = AsyncMessagingApi(self._client)
        return self._api

    def blob(self) -> AsyncMessagingApiBlob:
        """The data API (image uploads), whose host the SDK fixes; ours is configurable."""
        if self._blob_client is None:
            self._blob_client = _DataHostClient(self._config, self._data_host)
        return AsyncMessagingApiBlob(self._blob_client)

    async def post_json(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        """POST a JSON body on the SDK's own HTTP session, skipping its request and response models.

        The reply and push answers carry nothing we use, and building and validating the pydantic
        request and parsing the response cost more than the request itself; the body is encoded
        once, by orjson (the SDK's generic `request` would run json.dumps on it). A non-2xx answer
        raises the SDK's ApiException, with status, body and headers, as the SDK's own calls do.
        """
        self.api()
        assert self._client is not None
        rest = self._client.rest_client
        sent = {**self._auth, "Content-Type": "application/json", **(headers or {})}
        extra: dict[str, Any] = {}
        if rest.proxy:
            extra["proxy"] = rest.proxy
            if rest.proxy_headers:
                extra["proxy_headers"] = rest.proxy_headers
        async with rest.pool_manager.post(
            self._config.host + path,
            data=jsoncodec.dumps_bytes(body),
            headers=sent,
            timeout=self.request_timeout(),
            **extra,
        ) as response:
            data = await response.read()
        if not 200 <= response.status <= 299:
            raise ApiException(http_resp=RESTResponse(response, data))

    def request_timeout(self, seconds: float | None = None) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=seconds if seconds is not None else self.timeout)

    async def close(self) -> None:
        if self._client is not None:
            client, self._client, self._api = self._client, None, None
            await client.close()
        if self._blob_client is not None:
            blob, self._blob_client = self._blob_client, None
            await blob.close()

    async def profile(self, user_id: str) -> Profile | None:
        """The customer's display name and language, or None (no consent, not a friend, LINE slow)."""
        try:
            p = await self.api().get_profile(
                user_id, _request_timeout=self.request_timeout(self.profile_timeout)
            )
        except (ApiException, aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.info("line: profile unavailable", extra={"status": getattr(exc, "status", None)})
            return None
        return Profile(p.display_name, p.language)

    async def show_loading(self, user_id: str, seconds: int = 5) -> None:
        """Best effort: the '...' bubble while an answer takes a moment. Failures only log."""
        try:
            await self.api().show_loading_animation(
                ShowLoadingAnimationRequest(chat_id=user_id, loading_seconds=seconds),
                _request_timeout=self.request_timeout(2.0),
            )
        except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
            log.info("line: loading animation failed", extra={"status": getattr(exc, "status", None)})


class _DataHostClient(AsyncApiClient):  # type: ignore[misc]
    """The SDK's client with the data API's fixed host replaced by the configured one (tests, proxies)."""

    SDK_DATA_HOST = "https://api-data.line.me"

    def __init__(self, config: Configuration, data_host: str) -> None:
        super().__init__(config)
        self._data_host = data_host

    def call_api(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("_host") == self.SDK_DATA_HOST:
            kwargs["_host"] = self._data_host
        return super().call_api(*args, **kwargs)


def _resolve_proxy_once(client: AsyncApiClient, config: Configuration) -> None:
    """The SDK's aiohttp session trusts the environment, so aiohttp looks the proxy up for EVERY
    request on a thread (asyncio.to_thread): a thread hop per message sent. Look it up once here
    instead (HTTPS_PROXY/NO_PROXY as aiohttp reads them) and give the SDK a session that does not
    look again. Built as the SDK builds its own (aiohttp connector of the pool size, default SSL
    context with the configured CA file)."""
    rest = client.rest_client
    old = rest.pool_manager
    if not old.trust_env:
        return
    if not rest.proxy:
        with contextlib.suppress(LookupError):
            proxy, auth = aiohttp.helpers.get_env_proxy_for_url(yarl.URL(config.host))
            rest.proxy = str(proxy.with_user(auth.login).with_password(auth.password) if auth else proxy)
    context = ssl.create_default_context(cafile=config.ssl_ca_cert)
    connector = aiohttp.TCPConnector(limit=config.connection_pool_maxsize, ssl=context)
    rest.pool_manager = aiohttp.ClientSession(connector=connector, trust_env=False)
    # The SDK's own session never opened a connection; closed on the loop, not left to the GC.
    task = asyncio.get_running_loop().create_task(old.close())
    _closing.add(task)
    task.add_done_callback(_closing.discard)


_closing: set[asyncio.Task[None]] = set()


class _InvalidReplyToken(Exception):
    pass


class LineSender:
    channel = "line"

    def __init__(
        self,
        api: LineApi,
        *,
        now: Callable[[], dt.datetime] | None = None,
        links: Callable[[Rendered], Rendered] | None = None,
    ) -> None:
        # Agents' files get their signed, expiring public URLs here (bot.attachments.outbound).
        self._links = links or (lambda r: r)
        self.api = api
        self._now = now or (lambda: dt.datetime.now(dt.UTC))

    async def send(self, delivery: Delivery) -> SendResult:
        plan = batches(tuple(self._links(m) for m in delivery.messages), delivery.parts_sent)
        done = delivery.parts_sent
        # Reply tokens answer the customer's own message; agents' messages and reminders are pushed.
        use_reply = done == 0 and delivery.source == "bot" and bool(delivery.reply_token)
        for index, batch in enumerate(plan):
            try:
                if index == 0 and use_reply:
                    await self._first(delivery, batch)
                else:
                    await self._push(delivery, batch)
            except ApiException as exc:
                return self._failure(delivery, exc, done)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                # We cannot know whether LINE got it: a push's retry key, or the reply attempt
                # recorded before the request, makes the next attempt safe.
                log.warning(
                    "line: request failed, will retry",
                    extra={"outbox_id": delivery.outbox_id, "error": type(exc).__name__},
                )
                return Retry(f"LINE request failed: {type(exc).__name__}", done)
            done = batch.parts_after
        return Sent(done)

    async def _first(self, delivery: Delivery, batch: Batch) -> None:
        """The first batch of a bot answer: by reply token when we may, without ever doubling it.

        A reply carries no retry key, so the attempt is recorded before the request leaves. Without
        that record, "Invalid reply token" means the token expired unused: pushing is safe. With it,
        our own earlier request may have consumed the token, and a push would be a second copy.
        """
        token = delivery.reply_token
        assert token is not None
        if delivery.reply_attempted:
            await self._after_unknown_reply(delivery, token, batch)
            return
        if not self._reply_token_fresh(delivery):
            # The claim may have recorded a reply attempt in advance (it expected a fresh token):
            # withdraw it, as no reply leaves, so that a retry of this push stays a push.
            await self._mark_reply(delivery, False)
            await self._push(delivery, batch)
            return
        await self._mark_reply(delivery, True)
        try:
            await self._reply(token, batch)
        except _InvalidReplyToken:
            log.info("line: reply token expired, pushing instead", extra={"outbox_id": delivery.outbox_id})
            await self._push(delivery, batch)
        except aiohttp.ClientConnectorError:
            # No connection, so no request: the token is untouched and a later push stays safe.
            await self._mark_reply(delivery, False)
            raise
        except ApiException as exc:
            # LINE answered and refused (429, a bad request): nothing was delivered, so a retry after
            # a long Retry-After may still push. A 5xx stays unknown: LINE may have half done it.
            if exc.status is not None and exc.status < 500:
                await self._mark_reply(delivery, False)
            raise

    async def _after_unknown_reply(self, delivery: Delivery, token: str, batch: Batch) -> None:
        """An earlier reply with `token` may have landed. Ask LINE with the token itself: single-use,
        it answers 200 only if that request never arrived, "Invalid reply token" if it did."""
        extra = {"outbox_id": delivery.outbox_id}
        if not self._reply_token_fresh(delivery):
            # Too old to ask: an unused token and a used one look the same now. A push could be a
            # second copy of what most likely arrived, so at most once wins (docs/line.md).
            log.warning("line: reply outcome unknown and the token too old to ask; not pushing", extra=extra)
            return
        try:
            await self._reply(token, batch)
        except _InvalidReplyToken:
            log.info("line: reply token already used by our earlier attempt; delivered", extra=extra)

    async def _mark_reply(self, delivery: Delivery, attempted: bool) -> None:
        if delivery.reply_attempt is not None:
            await delivery.reply_attempt(attempted)

    def _reply_token_fresh(self, delivery: Delivery) -> bool:
        if not delivery.reply_token:
            return False
        expires = delivery.reply_token_expires_at
        return expires is None or self._now() < expires - REPLY_TOKEN_MARGIN

    async def _reply(self, token: str, batch: Batch) -> None:
        body = {"replyToken": token, "messages": list(batch.messages)}
        try:
            await self.api.post_json("/v2/bot/message/reply", body)
        except ApiException as exc:
            if exc.status == 400 and "reply token" in _error_message(exc).lower():
                raise _InvalidReplyToken() from exc
            raise

    async def _push(self, delivery: Delivery, batch: Batch) -> None:
        body = {"to": delivery.key.user_id, "messages": list(batch.messages)}
        key = batch.retry_key(delivery.idempotency_key)
        try:
            await self.api.post_json("/v2/bot/message/push", body, {"X-Line-Retry-Key": key})
        except ApiException as exc:
            if exc.status == 409:
                # LINE accepted this very request before (our earlier attempt's answer got lost).
                log.info("line: push already accepted", extra={"outbox_id": delivery.outbox_id})
                return
            raise

    def _failure(self, delivery: Delivery, exc: ApiException, done: int) -> SendResult:
        status = int(exc.status or 0)
        message = _error_message(exc)
        # LINE's error messages describe the request ("Invalid reply token", "The request body has 2
        # error(s)"), never the customer; still clipped, and the body's details are not copied.
        error = f"LINE API {status}: {message[:120]}" if message else f"LINE API {status}"
        extra = {"outbox_id": delivery.outbox_id, "status": status, "customer": hashed(delivery.key)}
        if status == 429 or status >= 500:
            log.warning("line: transient error", extra=extra)
            return Retry(error, done, after=_retry_after(exc), status=status)
        if "block" in message.lower():
            log.warning("line: customer unreachable", extra=extra)
            return Unreachable(error, done)
        log.error("line: request rejected", extra=extra)
        return Failed(error, done, status=status)


def _error_message(exc: ApiException) -> str:
    body: Any = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or not body:
        return ""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return " ".join(message.split()) if isinstance(message, str) else ""


def _retry_after(exc: ApiException) -> float | None:
    headers = exc.headers
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
