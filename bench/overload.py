"""Overload: capacity first, then twice that offered open loop; does the server keep serving at capacity?

    .venv/bin/python bench/overload.py                  # SQLite
    .venv/bin/python bench/overload.py --db postgres --seconds 30 --factor 2

`counselbot serve` runs pinned to CPU 0; this process (the load and the fake LINE platform,
tests/fakes/line_api.py) pins itself to CPU 1, so the generator never takes the server's core. Every
webhook is prepared and signed before a phase starts (one text event, a fresh reply token, one of
thousands of customers), and sent over plain asyncio sockets with keep-alive: the generator's cost per
request is a write and a read, so it is not the bottleneck (bench/line.py's httpx client was).

1. **Capacity**: a closed loop on as many connections as the server handles at once plus its queue
   (bot/ops/backpressure.py's LIMIT + QUEUE, so none is refused), for the same length of time: the
   events/s answered 200 is the capacity C. (Fewer connections measure less: with 40, the server's
   group commit has fewer units per fsync.)
2. **Overload**: `factor` x C webhooks/s, open loop: each is sent at its time on a free connection, a
   new one opened when none is (a platform does not wait for the server either). Reported: events/s
   answered 200 (served, durably stored and answered), refused with 503 by the backpressure
   (bot/ops/backpressure.py; LINE redelivers those), errors, webhook p50/p99 of each, how many replies
   reached the platform, and served / C.

A measurement, not a test: nothing asserts on its numbers. Figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.line import database, ms, pct, postgres_reachable, server  # noqa: E402
from bot.ops.backpressure import LIMIT, QUEUE  # noqa: E402
from tests.fakes.line_api import FakeLine, event_from, run_fake_line, sign, webhook_body  # noqa: E402

# The capacity probe keeps every slot of the server's backpressure busy and its queue full, and no
# more: the server is at its best throughput and refuses nothing.
CONNECTIONS = LIMIT + QUEUE
MAX_CONNECTIONS = 1000


@dataclass
class Phase:
    name: str
    seconds: float
    ok: list[float] = field(default_factory=list)  # webhook times of the 200s
    refused: list[float] = field(default_factory=list)  # ... of the 503s
    errors: int = 0
    tokens: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    replies: int = 0

    def rate(self, values: list[float]) -> float:
        return len(values) / self.elapsed if self.elapsed else 0.0

    def row(self, capacity: float | None) -> str:
        served = self.rate(self.ok)
        ratio = f"{served / capacity:.2f}" if capacity else "-"
        return (
            f"{self.name:<22} {served:>7.1f} {self.rate(self.refused):>8.1f} {self.errors:>5}"
            f" {ms(pct(self.ok, 50)):>8} {ms(pct(self.ok, 99)):>8} {ms(pct(self.refused, 99)):>9}"
            f" {self.replies:>7}/{len(self.ok):<7} {ratio:>6}"
        )


HEADER = (
    f"{'phase':<22} {'served/s':>7} {'refused/s':>8} {'err':>5} {'ok p50':>8} {'ok p99':>8}"
    f" {'503 p99':>9} {'replies/served':>15} {'/ cap':>6}"
)


class Prepared:
    """Signed webhooks made in advance, each with a reply token the fake platform issued."""

    def __init__(self, fake: FakeLine, host: str, customers: int) -> None:
        self.fake, self.host = fake, host
        self.users = [f"U{uuid.uuid4().hex}" for _ in range(customers)]
        self.n = 0

    def take(self, count: int) -> list[tuple[str, bytes]]:
        out = []
        for _ in range(count):
            user = self.users[self.n % len(self.users)]
            self.n += 1
            token = self.fake.issue_reply_token(user)
            body = webhook_body(event_from("text", user_id=user, reply_token=token, message__text="menu"))
            head = (
                f"POST /webhooks/line HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                f"X-Line-Signature: {sign(body)}\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            out.append((token, head.encode() + body))
        return out


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        return cls(*await asyncio.open_connection(host, port))

    async def post(self, request: bytes) -> int:
        """One request/response; the status code. Raises on a closed connection."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await self.reader.readexactly(length)
        if b"connection: close" in head.lower():
            raise ConnectionResetError("the server closed the connection")
        return status

    def close(self) -> None:
        self.writer.close()


async def one(conn: Connection, phase: Phase, token: str, request: bytes, started: float) -> bool:
    """Send on `conn`; False when the connection is unusable afterwards."""
    try:
        status = await conn.post(request)
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        if isinstance(exc, asyncio.IncompleteReadError) and not exc.partial:
            # A kept-alive connection the server had closed (idle past its keep-alive timeout)
            # before it read this request: a client sends it again on a new connection.
            raise
        phase.errors += 1
        return False
    took = time.monotonic() - started
    if status == 200:
        phase.ok.append(took)
        phase.tokens.append(token)
    elif status == 503:
        phase.refused.append(took)
    else:
        phase.errors += 1
    return True


async def closed_loop(host: str, port: int, prepared: Prepared, phase: Phase, connections: int) -> None:
    # Enough for the whole phase at any rate this machine reaches, prepared before it starts.
    feed = iter(prepared.take(int(phase.seconds * 1500)))
    stop_at = time.monotonic() + phase.seconds

    async def loop() -> None:
        conn = await Connection.open(host, port)
        try:
            while time.monotonic() < stop_at:
                token, request = next(feed)
                try:
                    ok = await one(conn, phase, token, request, time.monotonic())
                except asyncio.IncompleteReadError:
                    phase.errors += 1
                    ok = False
                if not ok:
                    conn.close()
                    conn = await Connection.open(host, port)
        finally:
            conn.close()

    begin = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(connections)))
    phase.elapsed = time.monotonic() - begin


async def open_loop(host: str, port: int, prepared: Prepared, phase: Phase, rate: float) -> None:
    batch = prepared.take(int(rate * phase.seconds))
    # Most recently used first out: the others may idle past the server's keep-alive and be closed.
    idle: list[Connection] = []
    opened = 0
    tasks: set[asyncio.Task[None]] = set()

    async def send(token: str, request: bytes, due: float) -> None:
        nonlocal opened
        conn = idle.pop() if idle else None
        if conn is None:
            if opened >= MAX_CONNECTIONS:
                phase.errors += 1
                return
            opened += 1
            try:
                conn = await Connection.open(host, port)
            except OSError:
                opened -= 1
                phase.errors += 1
                return
        try:
            ok = await one(conn, phase, token, request, due)
        except asyncio.IncompleteReadError:
            conn.close()
            try:
                conn = await Connection.open(host, port)
                ok = await one(conn, phase, token, request, due)
            except (OSError, asyncio.IncompleteReadError):
                phase.errors += 1
                ok = False
        if ok:
            idle.append(conn)
        else:
            conn.close()
            opened -= 1

    begin = time.monotonic()
    interval = 1.0 / rate
    for i, (token, request) in enumerate(batch):
        due = begin + i * interval
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(send(token, request, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    phase.elapsed = time.monotonic() - begin
    for conn in idle:
        conn.close()


async def replies(fake: FakeLine, phase: Phase, wait: float = 30.0) -> None:
    """How many of the served events' replies reached the platform (they may trail the webhooks)."""
    wanted = set(phase.tokens)
    deadline = time.monotonic() + wait
    while True:
        got = {d.reply_token for d in fake.delivered} & wanted
        if len(got) >= len(wanted) or time.monotonic() > deadline:
            phase.replies = len(got)
            return
        await asyncio.sleep(0.2)


def pin(cpu: int) -> None:
    with contextlib.suppress(AttributeError, OSError):
        if len(os.sched_getaffinity(0)) > 1:
            os.sched_setaffinity(0, {cpu})


async def bench(kind: str, seconds: float, factor: float, customers: int, connections: int) -> None:
    with tempfile.TemporaryDirectory(prefix="counselbot-overload-") as tmp:
        workdir = Path(tmp)
        async with (
            run_fake_line() as fake,
            database(kind, workdir) as db_url,
            server(db_url, fake, workdir, cpu=0) as base,
        ):
            host, port = base.removeprefix("http://").split(":")
            prepared = Prepared(fake, f"{host}:{port}", customers)
            warm = Phase("warm-up", 3.0)
            await closed_loop(host, int(port), prepared, warm, connections)
            print(f"\n{kind}: {HEADER}", flush=True)
            capacity = Phase(f"capacity ({connections} conns)", seconds)
            await closed_loop(host, int(port), prepared, capacity, connections)
            await replies(fake, capacity)
            cap = capacity.rate(capacity.ok)
            print(f"{kind}: {capacity.row(cap)}", flush=True)
            over = Phase(f"offered {factor:g}x = {factor * cap:.0f}/s", seconds)
            await open_loop(host, int(port), prepared, over, factor * cap)
            await replies(fake, over)
            print(f"{kind}: {over.row(cap)}", flush=True)


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument(
        "--factor", type=float, default=2.0, help="offered load in the overload phase, x capacity"
    )
    parser.add_argument("--customers", type=int, default=5000, help="distinct customers writing")
    parser.add_argument("--connections", type=int, default=CONNECTIONS, help="of the capacity probe")
    args = parser.parse_args()
    pin(1)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds and not await postgres_reachable():
        print("PostgreSQL not reachable; skipping it", flush=True)
        kinds.remove("postgres")
    for kind in kinds:
        await bench(kind, args.seconds, args.factor, args.customers, args.connections)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
