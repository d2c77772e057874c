"""Real `counselbot serve` processes for tests that need several processes or a kill -9."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def serve_process(
    database_url: str,
    workdir: Path,
    extra_env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    command: tuple[str, ...] = (sys.executable, "-m", "bot.cli"),
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`command serve *args` on a free port (`command` is another install's `counselbot`, say)."""
    port = free_port()
    env = {
        **os.environ,
        "COUNSELBOT_DATABASE_URL": database_url,
        "COUNSELBOT_PORT": str(port),
        "COUNSELBOT_HOST": "127.0.0.1",
        "COUNSELBOT_SECRET_KEY": "shared-test-secret",
        "COUNSELBOT_DELIVERY_POLL_INTERVAL": "0.1",
        **(extra_env or {}),
    }
    log = (workdir / f"serve-{port}.log").open("wb")
    proc = subprocess.Popen(
        [*command, "serve", *args],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError(
                    f"server did not start:\n{(workdir / f'serve-{port}.log').read_text()[-3000:]}"
                )
            time.sleep(0.1)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
