"""LineSender through the real line-bot-sdk async client against the fake LINE API on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.channels import Delivery, Failed, Retry, Sent, Unreachable
from bot.config import Settings
from bot.events import ConversationKey
from bot.handlers.line.sender import LineApi, LineSender
from bot.replies import Rendered, RenderedOption
from tests.fakes.line_api import ACCESS_TOKEN, CHANNEL_SECRET, FakeLine, run_fake_line

USER = "U1234567890abcdef1234567890abcdef"


@pytest.fixture
async def fake() -> AsyncIterator[FakeLine]:
    async with run_fake_line() as f:
        yield f


def line_settings(base_url: str, tmp_path: Path, token: str = ACCESS_TOKEN) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/unused.db",
        line_channel_secret=SecretStr(CHANNEL_SECRET),
        line_channel_access_token=SecretStr(token),
        line_api_base=base_url,
    )


@pytest.fixture
async def api(fake: FakeLine, tmp_path: Path) -> AsyncIterator[LineApi]:
    client = LineApi(line_settings(fake.base_url, tmp_path), timeout=0.5)
    yield client
    await client.close()


def delivery(
    *texts: str,
    reply_token: str | None = None,
    fresh: bool = True,
    parts_sent: int = 0,
    key: str | None = None,
    options: tuple[RenderedOption, ...] = (),
) -> Delivery:
    now = dt.datetime.now(dt.UTC)
    messages = tuple(Rendered("text", t) for t in texts)
    if options:
        messages = (*messages[:-1], Rendered("choices", texts[-1], options, token="3"))
    return Delivery(
        outbox_id=1,
        key=ConversationKey("line", USER),
        messages=messages,
        parts_sent=parts_sent,
        idempotency_key=key or str(uuid.uuid4()),
        attempts=0,
        source="bot",
        created_at=now,
        reply_token=reply_token,
        reply_token_expires_at=(now + dt.timedelta(seconds=50 if fresh else -5)) if reply_token else None,
    )


async def test_a_fresh_reply_token_is_used_without_retry_key(fake: FakeLine, api: LineApi) -> None:
    token = fake.issue_reply_token(USER)
    d = delivery("Hello", "Choose", reply_token=token, options=(RenderedOption("a", "A"),))
    assert await LineSender(api).send(d) == Sent(2)
    [request] = fake.requests
    assert request.endpoint == "reply"
    assert request.body["replyToken"] == token
    assert "x-line-retry-key" not in request.headers
    assert request.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert fake.texts(USER) == ["Hello", "Choose"]
    assert fake.messages(USER)[1]["quickReply"]["items"][0]["action"]["label"] == "A"


async def test_an_expired_reply_token_means_push_with_the_rows_retry_key(
    fake: FakeLine, api: LineApi
) -> None:
    token = fake.issue_reply_token(USER)
    d = delivery("Hello", reply_token=token, fresh=False)
    assert await LineSender(api).send(d) == Sent(1)
    [request] = fake.requests
    assert request.endpoint == "push"
    assert request.body["to"] == USER
    assert request.headers["x-line-retry-key"] == d.idempotency_key
    assert fake.texts(USER) == ["Hello"]


async def test_an_agents_message_is_always_pushed(fake: FakeLine, api: LineApi) -> None:
    d = dataclasses.replace(
        delivery("From your agent", reply_token=fake.issue_reply_token(USER)), source="agent"
    )
    assert await LineSender(api).send(d) == Sent(1)
    assert [r.endpoint for r in fake.requests] == ["push"]


async def test_line_refusing_the_reply_token_falls_back_to_push(fake: FakeLine, api: LineApi) -> None:
    d = delivery("Hello", reply_token="a-token-line-does-not-know")
    assert await LineSender(api).send(d) == Sent(1)
    assert [(r.endpoint, r.status) for r in fake.requests] == [("reply", 400), ("push", 200)]
    assert fake.requests[1].headers["x-line-retry-key"] == d.idempotency_key
    assert [m.via for m in fake.delivered] == ["push"]


async def test_429_is_retried_after_retry_after_and_delivered_once(fake: FakeLine, api: LineApi) -> None:
    fake.fail("push", 429, retry_after=3)
    d = delivery("Your fee is ¥12,000")
    sender = LineSender(api)
    result = await sender.send(d)
    assert isinstance(result, Retry)
    assert (result.status, result.after, result.parts_sent) == (429, 3.0, 0)
    assert fake.delivered == []
    assert await sender.send(d) == Sent(1)
    assert fake.texts(USER) == ["Your fee is ¥12,000"]
    assert [r.headers["x-line-retry-key"] for r in fake.of("push")] == [d.idempotency_key] * 2


async def test_server_errors_are_retried(fake: FakeLine, api: LineApi) -> None:
    fake.fail("push", 500)
    result = await LineSender(api).send(delivery("Hi"))
    assert isinstance(result, Retry) and result.status == 500 and result.after is None


async def test_a_push_retried_after_a_timeout_carries_the_same_key_and_is_not_duplicated(
    fake: FakeLine, api: LineApi
) -> None:
    fake.answer_late("push", 2.0)
    d = delivery("Your cancellation is confirmed")
    sender = LineSender(api)
    first = await sender.send(d)
    assert isinstance(first, Retry) and "Timeout" in first.error
    second = await sender.send(d)
    assert second == Sent(1)
    keys = [r.headers["x-line-retry-key"] for r in fake.of("push")]
    assert keys == [d.idempotency_key, d.idempotency_key]
    assert [r.status for r in fake.of("push")] == [200, 409]
    assert fake.texts(USER) == ["Your cancellation is confirmed"]


async def test_more_than_five_messages_go_in_several_requests_and_resume_where_they_stopped(
    fake: FakeLine, api: LineApi
) -> None:
    token = fake.issue_reply_token(USER)
    texts = [f"line {i}" for i in range(7)]
    d = delivery(*texts, reply_token=token)
    fake.fail("push", 503)
    result = await LineSender(api).send(d)
    assert isinstance(result, Retry) and result.parts_sent == 5
    assert fake.texts(USER) == texts[:5]
    resumed = delivery(*texts, reply_token=token, parts_sent=5, key=d.idempotency_key)
    assert await LineSender(api).send(resumed) == Sent(7)
    assert fake.texts(USER) == texts
    push_keys = {r.headers["x-line-retry-key"] for r in fake.of("push")}
    assert len(push_keys) == 1 and d.idempotency_key not in push_keys


async def test_other_client_errors_fail_without_personal_data(fake: FakeLine, api: LineApi) -> None:
    fake.fail("push", 400, "The request body has 1 error(s)")
    result = await LineSender(api).send(delivery("Hanako Yamada, born 1990-01-01"))
    assert isinstance(result, Failed) and result.status == 400
    assert "Hanako" not in result.error and USER not in result.error
    assert result.error == "LINE API 400: The request body has 1 error(s)"


async def test_a_wrong_access_token_fails(fake: FakeLine, tmp_path: Path) -> None:
    client = LineApi(line_settings(fake.base_url, tmp_path, token="wrong"))
    try:
        result = await LineSender(client).send(delivery("Hi"))
    finally:
        await client.close()
    assert isinstance(result, Failed) and result.status == 401


async def test_blocked_means_unreachable(fake: FakeLine, api: LineApi) -> None:
    fake.fail("push", 403, "The user has blocked the account")
    result = await LineSender(api).send(delivery("Hi"))
    assert isinstance(result, Unreachable)


async def test_line_unreachable_is_retried(tmp_path: Path) -> None:
    async with run_fake_line() as gone:
        base = gone.base_url
    client = LineApi(line_settings(base, tmp_path), timeout=1.0)
    try:
        result = await LineSender(client).send(delivery("Hi"))
    finally:
        await client.close()
    assert isinstance(result, Retry) and result.status is None


async def test_profile_language_and_name(fake: FakeLine, api: LineApi) -> None:
    fake.add_profile(USER, "さくら", "ja")
    profile = await api.profile(USER)
    assert profile is not None and (profile.display_name, profile.language) == ("さくら", "ja")
    assert await api.profile("U00000000000000000000000000000000") is None


async def test_profile_too_slow_is_skipped(fake: FakeLine, tmp_path: Path) -> None:
    fake.add_profile(USER)
    fake.answer_late("profile", 1.0)
    client = LineApi(line_settings(fake.base_url, tmp_path), profile_timeout=0.2)
    try:
        assert await client.profile(USER) is None
    finally:
        await client.close()


async def test_loading_animation(fake: FakeLine, api: LineApi) -> None:
    await api.show_loading(USER)
    [request] = fake.of("loading")
    assert request.body == {"chatId": USER, "loadingSeconds": 5} and request.status == 202


async def test_the_proxy_from_the_environment_is_looked_up_once_not_per_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://user:pw@proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    proxied = LineApi(line_settings("http://api.line.example", tmp_path))
    proxied.api()
    assert proxied._client is not None
    rest = proxied._client.rest_client
    assert rest.proxy == "http://user:pw@proxy.example:3128"  # every request goes through it...
    assert rest.pool_manager.trust_env is False  # ... and aiohttp does not look it up again
    await proxied.close()

    monkeypatch.setenv("NO_PROXY", "api.line.example")
    direct = LineApi(line_settings("http://api.line.example", tmp_path))
    direct.api()
    assert direct._client is not None
    assert not direct._client.rest_client.proxy
    await direct.close()
