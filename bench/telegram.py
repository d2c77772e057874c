"""Telegram load benchmark: webhook updates over HTTP at rising rates against `counselbot serve`.

    .venv/bin/python bench/telegram.py                      # SQLite, then PostgreSQL when reachable
    .venv/bin/python bench/telegram.py --db sqlite --rates 10,50,100 --seconds 5

`counselbot serve` runs as a subprocess on a free port; its Bot API is the fake Telegram
(tests/fakes/telegram_api.py) in this process, the sink for every sendMessage. Each step posts one
text update per webhook call (with the secret header), open loop, at a fixed rate for a few seconds,
from many customers in turn. For each step it prints the updates/s the server took, p50/p99 of the
webhook response time (200 = stored durably) and p50/p99 of the time from posting the update until the
bot's answer reached the fake Bot API.

Answers go out within Telegram's flood limits (about 30 messages/s for the whole bot, see
docs/telegram.md): above that rate the answers queue in the outbox and their times grow with the
backlog, by design. The step waits for its answers (bounded) before the next one starts. A step whose
webhook p99 passes 2 s, or with refused webhooks, ends the run. The whole run is bounded
(--max-seconds per database); it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is named telegram.py: with bench/ first on sys.path, `import telegram` (python-telegram-bot,
# imported by the app's modules) would find this file instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.fakes.telegram_api import WEBHOOK_SECRET, FakeTelegram, run_fake_telegram, update_from  # noqa: E402

PG_ADMIN = os.environ.get("COUNSELBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
HOOK_DEADLINE = 2.0
MENU = "How can I help you?"
# Replies leave at about this rate (the sender's bot-wide flood limit).
SEND_RATE = 30.0


@dataclass
class Step:
    rate: int
    seconds: float
    sent: int = 0
    ok: int = 0
    errors: int = 0
    webhook_times: list[float] = field(default_factory=list)
    reply_times: list[float] = field(default_factory=list)
    missing: int = 0
    elapsed: float = 0.0

    def row(self) -> str:
        return (
            f"{self.rate:>6} {self.ok / self.elapsed if self.elapsed else 0:>8.1f} {self.ok:>6} {self.errors:>5}"
            f" {ms(pct(self.webhook_times, 50)):>8} {ms(pct(self.webhook_times, 99)):>8}"
            f" {ms(pct(self.reply_times, 50)):>8} {ms(pct(self.reply_times, 99)):>8} {self.missing:>7}"
        )


HEADER = (
    f"{'rate/s':>6} {'events/s':>8} {'ok':>6} {'err':>5} {'hook p50':>8} {'hook p99':>8}"
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
async def server(db_url: str, fake: FakeTelegram, workdir: Path) -> AsyncIterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "COUNSELBOT_DATABASE_URL": db_url,
        "COUNSELBOT_PORT": str(port),
        "COUNSELBOT_SECRET_KEY": "bench-secret-key",
        "COUNSELBOT_TELEGRAM_BOT_TOKEN": fake.token,
        "COUNSELBOT_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "COUNSELBOT_TELEGRAM_API_BASE": fake.base_url,
        "COUNSELBOT_TELEGRAM_POLLING": "false",
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
    proc = await asyncio.create_subprocess_exec(
        counselbot(), "serve", env=env, cwd=workdir, stdout=log, stderr=asyncio.subprocess.STDOUT
    )
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


class Ids:
    def __init__(self) -> None:
        self.next = 700_000_000

    def __call__(self) -> int:
        self.next += 1
        return self.next


async def run_step(
    client: httpx.AsyncClient, fake: FakeTelegram, step: Step, chats: list[int], ids: Ids, wait: float
) -> None:
    # Per chat, when each update was posted; answers to one chat arrive in order, so they pair up.
    posted: dict[int, list[float]] = defaultdict(list)
    first_message = len(fake.messages)

    async def one(i: int) -> None:
        chat = chats[i % len(chats)]
        update = update_from("text_message", update_id=ids(), chat_id=chat, text="menu",
                             date=int(time.time()))  # fmt: skip
        body = json.dumps(update).encode()
        started = time.monotonic()
        try:
            response = await client.post(
                "/webhooks/telegram",
                content=body,
                headers={
                    "content-type": "application/json",
                    "x-telegram-bot-api-secret-token": WEBHOOK_SECRET,
                },
            )
        except httpx.HTTPError:
            step.errors += 1
            return
        step.webhook_times.append(time.monotonic() - started)
        if response.status_code == 200:
            step.ok += 1
            posted[chat].append(started)
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

    def answers() -> dict[int, list[float]]:
        got: dict[int, list[float]] = defaultdict(list)
        for m in list(fake.messages.values())[first_message:]:
            if m["text"] == MENU:
                got[int(m["chat"]["id"])].append(ARRIVED[m["message_id"]])
        return got

    # Answers keep arriving after the last webhook was answered (at the flood limit): wait, bounded.
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if sum(len(v) for v in answers().values()) >= step.ok:
            break
        await asyncio.sleep(0.1)
    got = answers()
    for chat, times in posted.items():
        step.reply_times += [a - p for p, a in zip(times, got.get(chat, []), strict=False)]
    step.missing = step.ok - len(step.reply_times)


ARRIVED: dict[int, float] = {}


def stamp_messages(fake: FakeTelegram) -> None:
    """Record when each message reached the fake (monotonic, like the webhook timings)."""
    original = fake._m_sendmessage

    async def timed(params: dict[str, object]) -> object:
        message = await original(params)
        ARRIVED[message["message_id"]] = time.monotonic()
        return message

    fake._m_sendmessage = timed  # type: ignore[method-assign]


async def bench(kind: str, rates: list[int], seconds: float, users: int, budget: float) -> list[Step]:
    started = time.monotonic()
    steps: list[Step] = []
    ids = Ids()
    with tempfile.TemporaryDirectory(prefix="counselbot-bench-") as tmp:
        workdir = Path(tmp)
        async with (
            run_fake_telegram() as fake,
            database(kind, workdir) as db_url,
            server(db_url, fake, workdir) as base,
        ):
            stamp_messages(fake)
            limits = httpx.Limits(max_connections=500, max_keepalive_connections=100)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
                # Warm-up: first requests open connections, load catalogs, create the warm-up customers.
                await run_step(client, fake, Step(rate=5, seconds=1), list(range(1, 6)), ids, 10)
                population = [10_000_000 + i for i in range(users)]
                print(f"\n{kind}: {HEADER}", flush=True)
                for rate in rates:
                    left = budget - (time.monotonic() - started)
                    if left < seconds + 5:
                        print(f"{kind}: time budget reached", flush=True)
                        break
                    step = Step(rate=rate, seconds=seconds)
                    drain = rate * seconds / SEND_RATE + 10
                    await run_step(client, fake, step, population, ids, min(drain, max(left - seconds, 5)))
                    steps.append(step)
                    print(f"{kind}: {step.row()}", flush=True)
                    p99 = pct(step.webhook_times, 99) or 0.0
                    if step.errors or p99 > HOOK_DEADLINE:
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
    parser.add_argument("--rates", default="10,25,50,100,150,200", help="updates per second, one step each")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each step")
    parser.add_argument("--users", type=int, default=300, help="distinct customers writing")
    parser.add_argument("--max-seconds", type=float, default=150.0, help="time budget per database")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",") if r.strip()]
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds and not await postgres_reachable():
        print(f"PostgreSQL not reachable at {PG_ADMIN}; skipping it", flush=True)
        kinds.remove("postgres")
    print(
        f"Telegram webhook benchmark: steps of {args.seconds:g}s, one text update per webhook call, "
        f"{args.users} customers; answers leave at most ~{SEND_RATE:g}/s (flood limit)"
    )
    for kind in kinds:
        await bench(kind, rates, args.seconds, args.users, args.max_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
