"""kill -9 of a real `counselbot serve` while LINE holds its reply request: after a restart the reply
is not sent again and the conversation's next answer goes out within seconds (the lease is short and
renewed only by a living process), not after a minute."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from bot.delivery import LEASE
from tests.fakes.line_api import (
    ACCESS_TOKEN,
    CHANNEL_SECRET,
    FakeLine,
    event_from,
    run_fake_line,
    sign,
    webhook_body,
)
from tests.support.server import free_port

USER = "U9a8b7c6d5e4f30211203f4e5d6c7b8a9"


@contextlib.asynccontextmanager
async def serve(
    database_url: str, fake: FakeLine, workdir: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, asyncio.subprocess.Process]]:
    """`counselbot serve` in a subprocess, awaited without blocking the loop the fake LINE runs in."""
    port = free_port()
    env = {
        **os.environ,
        "COUNSELBOT_DATABASE_URL": database_url,
        "COUNSELBOT_PORT": str(port),
        "COUNSELBOT_HOST": "127.0.0.1",
        "COUNSELBOT_SECRET_KEY": "shared-test-secret",
        "COUNSELBOT_DELIVERY_POLL_INTERVAL": "0.1",
        "COUNSELBOT_LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "COUNSELBOT_LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "COUNSELBOT_LINE_API_BASE": fake.base_url,
    }
    log = (workdir / f"serve-{port}.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", cwd=workdir, env=env, stdout=log, stderr=log
    )
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        async with asyncio.timeout(30):
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/healthz", timeout=1)).status_code == 200:
                        break
                assert proc.returncode is None, (workdir / f"serve-{port}.log").read_text()[-3000:]
                await asyncio.sleep(0.1)
        yield client, proc
    finally:
        await client.aclose()
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()


async def say(client: httpx.AsyncClient, fake: FakeLine, text: str) -> str:
    token = fake.issue_reply_token(USER)
    body = webhook_body(event_from("text", user_id=USER, message__text=text, reply_token=token))
    response = await client.post(
        "/webhooks/line",
        content=body,
        headers={"content-type": "application/json", "x-line-signature": sign(body)},
    )
    assert response.status_code == 200, response.text
    return token


async def test_kill_9_while_line_holds_the_reply_delivers_once_and_frees_the_conversation_fast(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with run_fake_line() as fake:
        # LINE takes the reply (token used, messages delivered) and keeps the answer for 30 s.
        fake.answer_late("reply", 30.0)
        async with serve(sqlite_url, fake, tmp_path) as (client, proc):
            first = await say(client, fake, "hello")
            await fake.wait_for(lambda: len(fake.of("reply")) == 1, within=15)
            proc.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            assert await proc.wait() == -signal.SIGKILL
        first_copies = len([d for d in fake.delivered if d.reply_token == first])
        assert first_copies >= 1
        async with serve(sqlite_url, fake, tmp_path) as (client, _):
            restarted = time.monotonic()
            second = await say(client, fake, "menu")
            await fake.wait_for(lambda: any(d.reply_token == second for d in fake.delivered), within=30)
            answered = time.monotonic()
        # The restarted process asked LINE with the first token once more ("Invalid reply token":
        # ours was delivered) and pushed nothing.
        assert len([d for d in fake.delivered if d.reply_token == first]) == first_copies
        assert [d for d in fake.delivered if d.via == "push"] == []
        assert [r.status for r in fake.of("reply")] == [200, 400, 200]
        # The first row is free LEASE after the last renewal of the dead process (or once the new one
        # is up, when starting took longer); the old 60 s lease held it a minute.
        bound = max(LEASE.total_seconds(), restarted - killed) + 4
        assert answered - killed < bound, f"answered {answered - killed:.1f} s after the kill"
