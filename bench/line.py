"""LINE load benchmark: signed webhooks over HTTP at rising rates against `counselbot serve`.

    .venv/bin/python bench/line.py                      # SQLite, then PostgreSQL when reachable
    .venv/bin/python bench/line.py --db sqlite --rates 10,50,100 --seconds 5

`counselbot serve` runs as a subprocess on a free port with the fake LINE API (tests/fakes/line_api.py,
in this process) as its LINE platform. Each step sends one text event per webhook, open loop, at a
fixed rate for a few seconds, from many customers in turn; every event carries a fresh reply token.
For each step it prints the events/s the server took, p50/p99 of the webhook response time (LINE
counts an answer after 2 s as failed) and p50/p99 of the time from sending the webhook until the bot's
reply reached the fake platform, and how many webhooks the server refused at once with 503 (its
backpressure, bot/ops/backpressure.py: LINE redelivers those). A step whose p99 passes 2 s, or which
loses events, ends the run unless --keep-going (for an overload: e.g. --rates 100,300 --seconds 30).
The whole run is bounded (--max-seconds); it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.fakes.line_api import (  # noqa: E402
    ACCESS_TOKEN,
    CHANNEL_SECRET,
    FakeLine,
    event_from,
    run_fake_line,
    sign,
    webhook_body,
)

PG_ADMIN = os.environ.get("COUNSELBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
LINE_DEADLINE = 2.0


@dataclass
class Step:
    rate: int
    seconds: float
    sent: int = 0
    ok: int = 0
    errors: int = 0
    # Answered 503 at once by the backpressure (LINE redelivers those): not lost, not served.
    refused: int = 0
    webhook_times: list[float] = field(default_factory=list)
    reply_times: list[float] = field(default_factory=list)
    missing: int = 0
    elapsed: float = 0.0

    def row(self) -> str:
        return (
            f"{self.rate:>6} {self.ok / self.elapsed if self.elapsed else 0:>8.1f} {self.ok:>6} {self.refused:>7}"
            f" {self.errors:>5}"
            f" {ms(pct(self.webhook_times, 50)):>8} {ms(pct(self.webhook_times, 99)):>8}"
            f" {ms(pct(self.reply_times, 50)):>8} {ms(pct(self.reply_times, 99)):>8} {self.missing:>7}"
        )


HEADER = (
    f"{'rate/s':>6} {'events/s':>8} {'ok':>6} {'refused':>7} {'err':>5} {'hook p50':>8} {'hook p99':>8}"
    f" {'reply50':>8} {'reply99':>8} {'missing':>7}"
)


def pct(values: list[float], p: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}ms"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def database(kind: str, workdir: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir}/bench.db"
        return
    import asyncpg

    name = f"cb_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    host = PG_ADMIN.rsplit("/", 1)[0].removeprefix("postgresql://")
    try:
        yield f"postgresql+asyncpg://{host}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def counselbot() -> str:
    local = Path(sys.executable).parent / "counselbot"
    return str(local) if local.exists() else (shutil.which("counselbot") or "counselbot")


@contextlib.asynccontextmanager
async def server(db_url: str, fake: FakeLine, workdir: Path, cpu: int | None = None) -> AsyncIterator[str]:
    """`counselbot serve` on a free port; `cpu`: pinned to that core (when the machine has several)."""
    port = free_port()
    env = {
        **os.environ,
        "COUNSELBOT_DATABASE_URL": db_url,
        "COUNSELBOT_PORT": str(port),
        "COUNSELBOT_SECRET_KEY": "bench-secret-key",
        "COUNSELBOT_LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "COUNSELBOT_LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "COUNSELBOT_LINE_API_BASE": fake.base_url,
        "COUNSELBOT_LOG_LEVEL": "WARNING",
    }
    if db_url.startswith("postgresql"):
        upgrade = await asyncio.create_subprocess_exec(
            counselbot(), "db", "upgrade", env=env, cwd=workdir,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        if await upgrade.wait() != 0:
            raise RuntimeError("counselbot db upgrade failed")
    log = (workdir / "serve.log").open("w")
    pinned = cpu is not None and len(os.sched_getaffinity(0) | {cpu}) > 1
    proc = await asyncio.create_subprocess_exec(
        counselbot(), "serve", env=env, cwd=workdir, stdout=log, stderr=asyncio.subprocess.STDOUT,
        preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if pinned and cpu is not None else None,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                if proc.returncode is not None:
                    raise RuntimeError(f"counselbot serve exited; see {workdir / 'serve.log'}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{base}/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("counselbot serve did not come up in 30 s")
        yield base
    finally:
        if proc.returncode is None:
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        log.close()


async def run_step(client: httpx.AsyncClient, fake: FakeLine, step: Step, users: list[str]) -> None:
    sent_at: dict[str, float] = {}

    async def one(i: int) -> None:
        user = users[i % len(users)]
        token = fake.issue_reply_token(user)
        body = webhook_body(event_from("text", user_id=user, reply_token=token, message__text="menu"))
        started = time.monotonic()
        sent_at[token] = started
        try:
            response = await client.post(
                "/webhooks/line", content=body, headers={"x-line-signature": sign(body)}
            )
        except httpx.HTTPError:
            step.errors += 1
            return
        step.webhook_times.append(time.monotonic() - started)
        if response.status_code == 200:
            step.ok += 1
        elif response.status_code == 503:
            step.refused += 1
        else:
            step.errors += 1

    total = int(step.rate * step.seconds)
    interval = 1.0 / step.rate
    begin = time.monotonic()
    tasks = []
    for i in range(total):
        delay = begin + i * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    step.elapsed = time.monotonic() - begin
    step.sent = total

    # Replies keep arriving after the last webhook was answered: wait for them (bounded).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        arrived = {d.reply_token for d in fake.delivered if d.reply_token in sent_at}
        if len(arrived) >= step.ok:
            break
        await asyncio.sleep(0.1)
    first: dict[str, float] = {}
    for d in fake.delivered:
        if d.reply_token in sent_at and d.reply_token not in first:
            first[d.reply_token] = d.at
    step.reply_times = [first[t] - sent_at[t] for t in first]
    step.missing = step.ok - len(first)


async def bench(
    kind: str, rates: list[int], seconds: float, users: int, budget: float, keep_going: bool = False
) -> list[Step]:
    started = time.monotonic()
    steps: list[Step] = []
    with tempfile.TemporaryDirectory(prefix="counselbot-bench-") as tmp:
        workdir = Path(tmp)
        async with (
            run_fake_line() as fake,
            database(kind, workdir) as db_url,
            server(db_url, fake, workdir) as base,
        ):
            limits = httpx.Limits(max_connections=500, max_keepalive_connections=100)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
                # Warm-up: first requests open connections and load catalogs.
                await run_step(client, fake, Step(rate=5, seconds=1), [f"Uwarm{i:028d}" for i in range(5)])
                population = [f"U{uuid.uuid4().hex}" for _ in range(users)]
                print(f"\n{kind}: {HEADER}", flush=True)
                for rate in rates:
                    if time.monotonic() - started + seconds > budget:
                        print(f"{kind}: time budget reached", flush=True)
                        break
                    step = Step(rate=rate, seconds=seconds)
                    await run_step(client, fake, step, population)
                    steps.append(step)
                    print(f"{kind}: {step.row()}", flush=True)
                    p99 = pct(step.webhook_times, 99) or 0.0
                    if (step.errors or step.missing or p99 > LINE_DEADLINE) and not keep_going:
                        print(f"{kind}: saturated at {rate}/s; stopping", flush=True)
                        break
    return steps


async def postgres_reachable() -> bool:
    try:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN, timeout=3)
        await conn.close()
    except Exception:
        return False
    return True


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rates", default="10,25,50,100,150,200", help="webhooks per second, one step each")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each step")
    parser.add_argument("--users", type=int, default=300, help="distinct customers writing")
    parser.add_argument("--max-seconds", type=float, default=150.0, help="time budget per database")
    parser.add_argument(
        "--keep-going", action="store_true", help="run every step, even past saturation (overload)"
    )
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",") if r.strip()]
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds and not await postgres_reachable():
        print(f"PostgreSQL not reachable at {PG_ADMIN}; skipping it", flush=True)
        kinds.remove("postgres")
    print(
        f"LINE webhook benchmark: steps of {args.seconds:g}s, one text event per webhook, {args.users} customers"
    )
    for kind in kinds:
        await bench(kind, rates, args.seconds, args.users, args.max_seconds, args.keep_going)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
