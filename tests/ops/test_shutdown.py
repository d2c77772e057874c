"""SIGTERM stops `counselbot serve` within seconds even with web chat event streams open: each stream
ends as a complete response (the browser's EventSource then reconnects, by `retry`, to a process that
serves), never cut mid-body by uvicorn's graceful-shutdown timeout, and the server exits cleanly."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import serve_process

STREAMS = 5
# One visitor with five streams: above the default per-visitor cap, which is not what is tested here.
SEVERAL_STREAMS = {"COUNSELBOT_WEBCHAT_STREAMS_PER_VISITOR": str(STREAMS)}
# uvicorn's graceful-shutdown timeout is 5 s: a stop well under it means the streams ended themselves.
PROMPT = 4.0


async def open_stream(http: httpx.AsyncClient, opened: asyncio.Event, lines: list[str]) -> float:
    """Read one event stream to its end; returns when it ended (monotonic)."""
    async with http.stream("GET", "/api/chat/stream?after=0") as stream:
        assert stream.status_code == 200
        async for line in stream.aiter_lines():  # a response cut mid-body raises here
            lines.append(line)
            if line.startswith("retry:"):
                opened.set()
    return time.monotonic()


async def stop_with_streams_open(base: str, proc: subprocess.Popen[bytes]) -> tuple[float, list[float]]:
    """Open the streams, SIGTERM the server; (seconds it took to exit, seconds each stream took to end)."""
    # Each stream on its own connection, which either worker may have accepted.
    limits = httpx.Limits(max_connections=STREAMS + 1, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        # The stream is for a web chat visitor: the first message gives the cookie.
        r = await http.post("/api/chat/messages", json={"id": "start-0001", "start": True})
        assert r.json() == {"status": "handled"}
        opened = [asyncio.Event() for _ in range(STREAMS)]
        lines: list[list[str]] = [[] for _ in range(STREAMS)]
        tasks = [asyncio.create_task(open_stream(http, o, ls)) for o, ls in zip(opened, lines, strict=True)]
        await asyncio.wait_for(asyncio.gather(*(o.wait() for o in opened)), 15)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        exited = await asyncio.to_thread(proc.wait, 15)
        ended = await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert exited is not None
    return time.monotonic() - sent, [t - sent for t in ended]


@pytest.mark.postgres
async def test_serve_with_workers_stops_promptly_with_streams_open(pg_url: str, tmp_path: Path) -> None:
    env = {"COUNSELBOT_SCHEDULER_ENABLED": "false", **SEVERAL_STREAMS}
    with serve_process(pg_url, tmp_path, env, args=("--workers", "2")) as (base, proc):
        took, streams = await stop_with_streams_open(base, proc)
        code = proc.returncode
    print(
        f"--workers 2: exited {took:.2f}s after SIGTERM (code {code}); streams ended after {max(streams):.2f}s"
    )
    assert code == 0  # the master returns normally once its workers are gone
    assert took < PROMPT and max(streams) < PROMPT


async def test_one_process_stops_promptly_with_streams_open(sqlite_url: str, tmp_path: Path) -> None:
    env = {"COUNSELBOT_SCHEDULER_ENABLED": "false", **SEVERAL_STREAMS}
    with serve_process(sqlite_url, tmp_path, env) as (base, proc):
        took, streams = await stop_with_streams_open(base, proc)
        code = proc.returncode
    print(
        f"one process: exited {took:.2f}s after SIGTERM (code {code}); streams ended after {max(streams):.2f}s"
    )
    # After a graceful stop uvicorn re-raises the signal it caught, so the process ends by SIGTERM
    # (what systemd counts as a clean stop).
    assert code in (0, -signal.SIGTERM)
    assert took < PROMPT and max(streams) < PROMPT
