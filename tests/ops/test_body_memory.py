"""A 64 MiB body sent to a real `serve` is refused 413 while it streams: the server's memory stays put."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support.processes import serve_process

BODY = 64 * 1024 * 1024
CHUNK = 256 * 1024


def memory_kb(proc: subprocess.Popen[bytes]) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak since start), in kB, from /proc."""
    values = {}
    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def chunks(head: bytes, filler: bytes) -> Iterator[bytes]:
    yield head
    piece = filler * CHUNK
    for _ in range(BODY // CHUNK):
        yield piece


def send(base: str, path: str, content_type: str, head: bytes, filler: bytes) -> int | None:
    """The status of a chunked 64 MiB POST; None when the server closed before the client finished."""
    headers = {"content-type": content_type}
    try:
        return httpx.post(base + path, content=chunks(head, filler), headers=headers, timeout=30).status_code
    except httpx.HTTPError:
        return None


def test_a_64_mib_body_is_refused_without_memory_growth(sqlite_url: str, tmp_path: Path) -> None:
    env = {"COUNSELBOT_SCHEDULER_ENABLED": "false"}
    with serve_process(sqlite_url, tmp_path, env) as (base, proc):
        # Warm-up: the code paths (and their imports) each target uses are loaded before measuring.
        with httpx.Client(base_url=base) as client:
            client.post("/api/chat/messages", json={"id": "warm-up-01", "start": True})
            client.get("/console/login")
            client.post("/console/login", data={"email": "x"})
        before = memory_kb(proc)
        targets = [
            ("/api/chat/messages", "application/json", b'{"id": "big-body-01", "text": "', b"a"),
            ("/console/login", "application/x-www-form-urlencoded", b"password=", b"a"),
        ]
        chat = [send(base, *targets[0]) for _ in range(3)]
        # The form parser's own limit (a field past 64 KiB) answers 400 before the byte cap is reached.
        console = [send(base, *targets[1]) for _ in range(3)]
        after = memory_kb(proc)
        assert httpx.get(base + "/healthz").status_code == 200
    assert set(chat) <= {413, None} and 413 in chat, chat
    assert set(console) <= {400, 413, None} and console != [None] * 3, console
    # The peak counts too: a body buffered and then freed would have raised VmHWM by 64 MiB.
    assert after["VmHWM"] - before["VmHWM"] < 8 * 1024, (before, after)
    assert after["VmRSS"] - before["VmRSS"] < 8 * 1024, (before, after)
