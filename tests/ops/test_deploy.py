"""The deployment examples work: the nginx site passes `nginx -t` and really proxies (TLS, redirect,
webhook-sized posts, server-sent events, /metrics kept private); the systemd units pass
`systemd-analyze verify`. Needs Debian's nginx-light and openssl: skipped without them, failed in CI."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from tests.support.server import free_port, serve_app

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def tool(name: str, package: str) -> str:
    found = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None
    )
    if found is None:
        if IN_CI:
            pytest.fail(f"{name} not found: install Debian's {package} (the deployment tests must run in CI)")
        pytest.skip(f"{name} not installed (apt-get install {package})")
    return found


def site_for_test(tmp: Path, app_port: int, http_port: int, https_port: int) -> Path:
    """The example site with this machine's ports, a self-signed certificate and logs in `tmp`."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=chat.example.com",
         "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    text = (DEPLOY / "nginx" / "counselbot.conf").read_text()
    text = re.sub(r"server 127\.0\.0\.1:808[12]", f"server 127.0.0.1:{app_port}", text)
    text = re.sub(r"\n\s*listen \[::\]:\d+[^\n]*", "", text)  # IPv6 may be off in a container
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    text = text.replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
    text = text.replace("/etc/letsencrypt/live/chat.example.com/fullchain.pem", str(tmp / "cert.pem"))
    text = text.replace("/etc/letsencrypt/live/chat.example.com/privkey.pem", str(tmp / "key.pem"))
    text = text.replace("/var/log/nginx/", f"{tmp}/")
    site = tmp / "site.conf"
    site.write_text(text)
    main = tmp / "nginx.conf"
    main.write_text(
        f"pid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\nevents {{}}\nhttp {{\n"
        f"  access_log {tmp}/access.log;\n"
        + "".join(
            f"  {kind}_temp_path {tmp}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"  include {site};\n}}\n"
    )
    return main


@contextlib.asynccontextmanager
async def nginx_running(nginx: str, conf: Path) -> AsyncIterator[None]:
    proc = await asyncio.create_subprocess_exec(
        nginx,
        "-c",
        str(conf),
        "-p",
        str(conf.parent),
        "-e",
        str(conf.parent / "error.log"),
        "-g",
        "daemon off;",
    )
    try:
        yield
    finally:
        proc.terminate()
        await proc.wait()


def test_the_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    nginx = tool("nginx", "nginx-light")
    tool("openssl", "openssl")
    conf = site_for_test(tmp_path, free_port(), free_port(), free_port())
    result = subprocess.run(
        [nginx, "-t", "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


async def test_nginx_proxies_tls_webhook_posts_and_server_sent_events(
    sqlite_url: str, tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    nginx = tool("nginx", "nginx-light")
    tool("openssl", "openssl")
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    conf = await asyncio.to_thread(site_for_test, tmp_path, app_port, http_port, https_port)
    settings = settings_for(sqlite_url, port=app_port)
    async with serve_app(settings), nginx_running(nginx, conf):
        https = f"https://127.0.0.1:{https_port}"
        async with httpx.AsyncClient(base_url=https, verify=False, timeout=10) as client:
            for _ in range(100):  # nginx starting
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
            assert (await client.get("/healthz")).text == "ok"
            assert (await client.get("/readyz")).status_code == 200  # from this host: allowed
            assert (await client.get("/metrics")).text.startswith("# HELP")
            plain = await client.get(f"http://127.0.0.1:{http_port}/api/chat/history", follow_redirects=False)
            assert plain.status_code == 301 and plain.headers["location"].startswith("https://")

            start = await client.post("/api/chat/messages", json={"id": uuid.uuid4().hex, "start": True})
            assert start.status_code == 200
            # A webhook-sized body goes through (the app, not nginx, decides about size).
            big = await client.post("/api/chat/messages", json={"id": uuid.uuid4().hex, "text": "x" * 3000})
            assert big.status_code == 200
            async with client.stream("GET", "/api/chat/stream") as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                async with asyncio.timeout(20):
                    async for line in stream.aiter_lines():
                        if line.startswith("event: reply"):
                            break
    log = (tmp_path / "counselbot.access.log").read_text()
    assert "/api/chat/stream" in log


@pytest.mark.parametrize("unit", ["counselbot@.service", "counselbot-migrate.service"])
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path, unit: str) -> None:
    analyze = tool("systemd-analyze", "systemd")
    counselbot = ROOT / ".venv" / "bin" / "counselbot"
    if not counselbot.exists():
        counselbot = Path(shutil.which("counselbot") or "/usr/bin/true")
    env = tmp_path / "counselbot.env"
    env.write_text((DEPLOY / "counselbot.env.example").read_text())
    text = (DEPLOY / "systemd" / unit).read_text()
    text = text.replace("/opt/counselbot/.venv/bin/counselbot", str(counselbot))
    text = text.replace("/etc/counselbot/counselbot.env", str(env))
    # A template is verified through an instance of it.
    name = unit.replace("@.", "@8081.")
    (tmp_path / name).write_text(text)
    result = subprocess.run([analyze, "verify", str(tmp_path / name)], capture_output=True, text=True)
    bad = ("Unknown key", "Unknown section", "not executable", "Failed to", "Invalid")
    problems = [line for line in (result.stdout + result.stderr).splitlines() if any(b in line for b in bad)]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr
