"""Cheap attacks against a running `counselbot serve`, and how /healthz fares during each.

    .venv/bin/python bench/abuse.py                     # every attack, ~2 min
    .venv/bin/python bench/abuse.py --only slow,body    # some of them

One `counselbot serve` on a fresh SQLite database (fake LINE and Telegram platforms, tests/fakes), one
agent made with `counselbot agents add`. Attacks, one after another, all from one address (loopback):
a 20,000-row CSV import, 2,000 web chat streams, 2,000 slow-header connections (slowloris), a 64 MiB
body, a flood of chat messages, and a sign-in flood (50 concurrent wrong passwords). During each, a
thread polls /healthz every ~20 ms on a new connection; printed per attack: what got through, the
largest and the p99 /healthz latency, and polls that failed. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from harness import Server, counselbot, database, free_port, ms, pct, server_env

from tests.fakes.line_api import run_fake_line
from tests.fakes.telegram_api import run_fake_telegram

EMAIL, PASSWORD = "ops@agency.example", "bench password that is long enough"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


class Poller:
    """/healthz every ~20 ms from a thread of its own (the attack's event loop does not delay it)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.times: list[float] = []
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", "/healthz")
                ok = conn.getresponse().status == 200
                conn.close()
            except OSError:
                ok = False
            took = time.perf_counter() - started
            if ok:
                self.times.append(took)
            else:
                self.failed += 1
            self._stop.wait(max(0.0, 0.02 - took))

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def row(self, name: str, outcome: str) -> str:
        worst = max(self.times) if self.times else None
        return (
            f"{name:<22} healthz max {ms(worst):>8}  p99 {ms(pct(self.times, 99)):>8}  "
            f"polls {len(self.times):>5}  failed {self.failed:>3}  | {outcome}"
        )


# Each attack comes from an address of its own (127.0.0.0/8 is all loopback): the limits one attack
# used up (per address) do not decide what the next one gets.
FROM = {"import": "127.0.0.2", "body": "127.0.0.3", "slow": "127.0.0.4", "streams": "127.0.0.5"}
FROM |= {"flood": "127.0.0.6", "signin": "127.0.0.7"}


def client(base: str, attack: str, timeout: float = 60) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    transport = httpx.AsyncHTTPTransport(local_address=FROM[attack], limits=limits)
    return httpx.AsyncClient(base_url=base, timeout=timeout, transport=transport)


async def connect(port: int, attack: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(FROM[attack], 0))


def tally(statuses: list[int | str]) -> str:
    return ", ".join(f"{count}× {status}" for status, count in sorted(Counter(statuses).items(), key=str))


async def sign_in_form(client: httpx.AsyncClient) -> str:
    page = await client.get("/console/login")
    found = CSRF_FIELD.search(page.text)
    return found.group(1) if found else ""


async def sign_in(client: httpx.AsyncClient, password: str) -> int:
    token = await sign_in_form(client)
    form = {"csrf": token, "email": EMAIL, "password": password, "next": "/console/"}
    return (await client.post("/console/login", data=form)).status_code


async def sign_in_flood(base: str) -> str:
    async def one(i: int) -> int | str:
        async with client(base, "signin") as c:
            try:
                return await sign_in(c, f"wrong password number {i}")
            except httpx.HTTPError as exc:
                return type(exc).__name__

    statuses = await asyncio.gather(*(one(i) for i in range(50)))
    return f"50 wrong passwords at once: {tally(list(statuses))}"


def big_csv(rows: int = 20_000) -> bytes:
    lines = ["reference,clinic,kind,service_at,fee_total_jpy,customer_email,customer_name"]
    for i in range(rows):
        when = f"2027-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00"
        lines.append(f"AB-{i:05d},Clinic {i % 40},surgery,{when},{100000 + i},p{i % 5000}@example.jp,P {i}")
    return ("\n".join(lines) + "\n").encode()


async def csv_import(base: str) -> str:
    async with client(base, "import", timeout=600) as c:
        if await sign_in(c, PASSWORD) != 303:
            return "could not sign in (locked out by the flood? wait 15 min)"
        page = await c.get("/console/bookings/import")
        found = CSRF_FIELD.search(page.text)
        started = time.perf_counter()
        answer = await c.post(
            "/console/bookings/import",
            data={"csrf": found.group(1) if found else ""},
            files={"file": ("b.csv", big_csv(), "text/csv")},
        )
        took = time.perf_counter() - started
        summary = re.search(r'id="import-result">([^<]+)<', answer.text)
        return f"{answer.status_code} in {took:.1f} s: {summary.group(1) if summary else answer.text[:80]}"


async def visitor(client: httpx.AsyncClient, i: int) -> int:
    answer = await client.post("/api/chat/messages", json={"id": f"bench-visit-{i:06d}", "text": "hello"})
    return answer.status_code


async def streams(base: str) -> str:
    clients = [client(base, "streams", timeout=30) for _ in range(40)]
    opened: list[int | str] = []
    held: list[httpx.Response] = []
    async with contextlib.AsyncExitStack() as stack:
        for i, c in enumerate(clients):
            await stack.enter_async_context(c)
            await visitor(c, i)

        async def one(i: int) -> None:
            c = clients[i % len(clients)]
            try:
                response = await stack.enter_async_context(c.stream("GET", "/api/chat/stream"))
                opened.append(response.status_code)
                if response.status_code == 200:
                    held.append(response)
            except httpx.HTTPError as exc:
                opened.append(type(exc).__name__)

        await asyncio.gather(*(one(i) for i in range(2000)))
        await asyncio.sleep(3)
    return f"2,000 stream requests: {tally(opened)}"


async def slowloris(port: int, n: int = 2000, hold: float = 15.0) -> str:
    closed: list[str] = []

    async def one() -> None:
        try:
            reader, writer = await connect(port, "slow")
        except OSError as exc:
            closed.append(type(exc).__name__)
            return
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        started = time.perf_counter()
        try:
            while time.perf_counter() - started < hold:
                writer.write(b"X-a: b\r\n")
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    data = await asyncio.wait_for(reader.read(100), 1.0)
                    closed.append(data.split(b" ", 2)[1].decode() if data else "closed")
                    return
            closed.append("still open")
        except OSError:
            closed.append("reset")
        finally:
            writer.close()

    await asyncio.gather(*(one() for _ in range(n)))
    return f"{n:,} slow-header connections held {hold:.0f} s: {tally(list(closed))}"


async def huge_body(port: int, server: Server) -> str:
    """64 MiB sent chunked (no length declared, so the cap must hold while it streams in)."""
    server.sample_rss()
    before = server.peak_rss
    reader, writer = await connect(port, "body")
    writer.write(
        b"POST /api/chat/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n" % 65536 + b"x" * 65536 + b"\r\n"
    sent = 0
    answer_task = asyncio.create_task(reader.read(200))  # the answer may come before the body is sent
    try:
        for _ in range(1024):  # 64 MiB
            writer.write(chunk)
            await writer.drain()
            sent += 65536
        writer.write(b"0\r\n\r\n")
        await writer.drain()
    except OSError:
        pass  # the server closed the connection after its answer
    try:
        answer = await asyncio.wait_for(answer_task, 10)
        status = answer.split(b" ", 2)[1].decode() if answer else "closed"
    except (OSError, TimeoutError, IndexError):
        status = "reset"
    writer.close()
    server.sample_rss()
    grew = (server.peak_rss - before) / 2**20
    return (
        f"64 MiB chunked POST: {status} after {sent / 2**20:.1f} MiB sent; server peak memory +{grew:.1f} MiB"
    )


async def chat_flood(base: str) -> str:
    async with client(base, "flood") as one:
        same = [
            await one.post("/api/chat/messages", json={"id": f"flood-{i:06d}", "text": "hi"})
            for i in range(300)
        ]
    fresh: list[int | str] = []
    for i in range(200):
        async with client(base, "flood") as c:
            fresh.append(await visitor(c, 10_000 + i))
    return (
        f"300 messages, one visitor: {tally([r.status_code for r in same])}; 200 new visitors: {tally(fresh)}"
    )


async def add_agent(env: dict[str, str], workdir: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        *(counselbot(), "agents", "add", EMAIL, "--name", "Bench", "--password-stdin"),
        env=env,
        cwd=workdir,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )
    await proc.communicate(PASSWORD.encode())
    if proc.returncode != 0:
        raise RuntimeError("counselbot agents add failed")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # The sign-in flood last: it blocks this address from signing in for 15 minutes.
    parser.add_argument("--only", default="import,body,slow,streams,flood,signin")
    args = parser.parse_args()
    chosen = args.only.split(",")
    with tempfile.TemporaryDirectory(prefix="counselbot-abuse-") as tmp:
        workdir = Path(tmp)
        async with run_fake_line() as line, run_fake_telegram() as tg, database("sqlite", workdir) as url:
            env = server_env(url, line, tg)
            await add_agent(env, workdir)
            server = Server(free_port(), env, workdir)
            await server.start()
            try:
                base = server.base
                attacks: dict[str, tuple[str, Callable[[], Awaitable[str]]]] = {
                    "signin": ("sign-in flood", lambda: sign_in_flood(base)),
                    "import": ("20,000-row CSV import", lambda: csv_import(base)),
                    "streams": ("2,000 web chat streams", lambda: streams(base)),
                    "slow": ("2,000 slowloris", lambda: slowloris(server.port)),
                    "body": ("64 MiB body", lambda: huge_body(server.port, server)),
                    "flood": ("chat message flood", lambda: chat_flood(base)),
                }
                with Poller(server.port) as idle:
                    await asyncio.sleep(2)
                print(idle.row("(no attack)", "-"), flush=True)
                for key in chosen:
                    name, attack = attacks[key]
                    with Poller(server.port) as poller:
                        outcome = await attack()
                    print(poller.row(name, outcome), flush=True)
            finally:
                await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
