"""Sustained load through the LINE and Telegram webhooks at once, against `counselbot serve` processes.

    .venv/bin/python bench/load.py                                   # the whole matrix, ~3 min a run
    .venv/bin/python bench/load.py --runs sqlite:1:1000 --seconds 30 # one quick run

Each run: a fresh database seeded with N stored conversations (rows written directly: identities,
conversations, inbox, transcript and outbox, 5 exchanges each), P server processes sharing it, and the
fake LINE and Telegram platforms (tests/fakes, in this process) as their platforms. For `--seconds` the
generator sends signed LINE webhooks and Telegram updates at a fixed rate (open loop), each from a
customer in turn (so one customer's messages are seconds apart), spread over the processes. Every
message is "menu", which always gets exactly one answer, so "reply" is measured for every event: from
sending the webhook until the answer reached the fake platform.

Prints per run: events/s the servers acknowledged, p50/p99 webhook response, p50/p99 reply, replies
missing 30 s after the load stopped, the peak resident memory of each server process, and the database
size per 1,000 stored conversations (after seeding and after the run). A measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from harness import (
    PG_ADMIN,
    count,
    database,
    db_size,
    ms,
    pct,
    seed,
    server_env,
    servers,
)

from tests.fakes.line_api import FakeLine, event_from, run_fake_line, sign, webhook_body
from tests.fakes.telegram_api import WEBHOOK_SECRET, FakeTelegram, run_fake_telegram, update_from

DEFAULT_RUNS = (
    "sqlite:1:1000,sqlite:2:1000,postgres:1:1000,postgres:2:1000,"
    "sqlite:1:100000,postgres:1:100000,postgres:2:100000"
)


@dataclass
class Run:
    db: str
    procs: int
    stored: int
    line_rate: float
    tg_rate: float
    seconds: float
    sent: int = 0
    ok: int = 0
    errors: int = 0
    hook: list[float] = field(default_factory=list)
    # (seconds since the start, webhook response time) for --timeline
    hook_at: list[tuple[float, float]] = field(default_factory=list)
    reply: list[float] = field(default_factory=list)
    missing: int = 0
    elapsed: float = 0.0
    rss: list[int] = field(default_factory=list)
    size_seeded: float = 0.0
    size_after: float = 0.0
    conversations: int = 0

    def row(self) -> str:
        rss = "/".join(f"{r / 2**20:.0f}" for r in self.rss)
        return (
            f"| {self.db} | {self.procs} | {self.stored:,} | {self.line_rate + self.tg_rate:.0f} | "
            f"{self.ok / self.elapsed if self.elapsed else 0:.1f} | {ms(pct(self.hook, 50))} | {ms(pct(self.hook, 99))} | "
            f"{ms(pct(self.reply, 50))} | {ms(pct(self.reply, 99))} | {self.errors} | {self.missing} | {rss} MB | "
            f"{self.size_seeded / 2**20:.2f} MB | {self.size_after / 2**20:.2f} MB |"
        )


HEADER = (
    "| database | processes | stored conversations | offered/s | events/s | hook p50 | hook p99 | reply p50 | "
    "reply p99 | errors | missing | peak RSS | DB per 1,000 conv. (seeded) | (after run) |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


class Generator:
    def __init__(self, run: Run, bases: list[str], line: FakeLine, tg: FakeTelegram) -> None:
        self.run, self.bases, self.line, self.tg = run, bases, line, tg
        self.cycle = itertools.cycle(range(len(bases)))
        self.line_sent: dict[str, float] = {}
        self.tg_sent: list[tuple[str, float]] = []
        self.update_ids = itertools.count(100_000_000)
        self.begin = time.monotonic()

    async def line_event(self, client: httpx.AsyncClient, user: str) -> None:
        token = self.line.issue_reply_token(user)
        body = webhook_body(event_from("text", user_id=user, reply_token=token, message__text="menu"))
        started = time.monotonic()
        self.line_sent[token] = started
        await self._post(client, "/webhooks/line", body, {"x-line-signature": sign(body)}, started)

    async def tg_event(self, client: httpx.AsyncClient, chat: int) -> None:
        update = update_from(
            "text_message", update_id=next(self.update_ids), chat_id=chat, text="menu", date=int(time.time())
        )
        started = time.monotonic()
        self.tg_sent.append((str(chat), started))
        body = json.dumps(update).encode()
        await self._post(
            client, "/webhooks/telegram", body, {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}, started
        )

    async def _post(
        self, client: httpx.AsyncClient, path: str, body: bytes, headers: dict[str, str], started: float
    ) -> None:
        base = self.bases[next(self.cycle)]
        self.run.sent += 1
        try:
            response = await client.post(
                f"{base}{path}", content=body, headers={**headers, "content-type": "application/json"}
            )
        except httpx.HTTPError:
            self.run.errors += 1
            return
        self.run.hook.append(time.monotonic() - started)
        self.run.hook_at.append((started - self.begin, time.monotonic() - started))
        if response.status_code == 200:
            self.run.ok += 1
        else:
            self.run.errors += 1

    async def drive(self, client: httpx.AsyncClient) -> None:
        """Open loop: each event starts on schedule, whatever the previous ones are doing."""
        run = self.run
        line_users = itertools.cycle([f"U{i:032x}" for i in range(1, 2001)])
        tg_chats = itertools.cycle([7_000_000 + i for i in range(1, 1001)])
        schedule: list[tuple[float, str]] = []
        for rate, kind in ((run.line_rate, "line"), (run.tg_rate, "tg")):
            if rate > 0:
                schedule += [(i / rate, kind) for i in range(int(rate * run.seconds))]
        schedule.sort()
        tasks: list[asyncio.Task[None]] = []
        begin = self.begin = time.monotonic()
        for offset, kind in schedule:
            delay = begin + offset - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            coro = (
                self.line_event(client, next(line_users))
                if kind == "line"
                else self.tg_event(client, next(tg_chats))
            )
            tasks.append(asyncio.create_task(coro))
        await asyncio.gather(*tasks)
        run.elapsed = time.monotonic() - begin

    async def collect(self, wait: float = 30.0) -> None:
        """Match each event with its answer at the platform (waiting up to `wait` for late ones)."""
        for _ in range(int(wait / 0.2)):
            if len(self._replies()) >= self.run.ok:
                break
            await asyncio.sleep(0.2)
        replies = self._replies()
        self.run.reply = replies
        self.run.missing = max(0, self.run.ok - len(replies))

    def _replies(self) -> list[float]:
        out: list[float] = []
        first: dict[str, float] = {}
        for d in self.line.delivered:
            if d.reply_token in self.line_sent and d.reply_token not in first:
                first[d.reply_token] = d.at
        out += [first[t] - self.line_sent[t] for t in first]
        calls: dict[str, list[float]] = {}
        for c in self.tg.calls:
            if c.method == "sendMessage":
                calls.setdefault(str(c.params.get("chat_id")), []).append(c.at)
        for chat, sent in self.tg_sent:
            after = [at for at in calls.get(chat, ()) if at >= sent]
            if after:
                out.append(min(after) - sent)
        return out


async def one_run(run: Run, workdir: Path) -> Run:
    async with run_fake_line() as line, run_fake_telegram() as tg, database(run.db, workdir) as url:
        # Sizes are given per 1,000 conversations over the empty (migrated) database.
        empty = await db_size(url)
        if run.stored:
            started = time.monotonic()
            await seed(url, run.stored)
            print(f"  seeded {run.stored:,} conversations in {time.monotonic() - started:.0f} s", flush=True)
        run.size_seeded = (await db_size(url) - empty) / max(run.stored, 1) * 1000
        env = server_env(url, line, tg, COUNSELBOT_DELIVERY_POLL_INTERVAL="0.5")
        async with servers(env, workdir, run.procs) as procs:
            limits = httpx.Limits(max_connections=400, max_keepalive_connections=100)
            async with httpx.AsyncClient(limits=limits, timeout=30) as client:
                generator = Generator(run, [p.base for p in procs], line, tg)
                sampler = asyncio.create_task(_sample(procs))
                try:
                    await generator.drive(client)
                    await generator.collect()
                finally:
                    sampler.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await sampler
            for p in procs:
                p.sample_rss()
            run.rss = [p.peak_rss for p in procs]
        run.conversations = await count(url, "SELECT count(*) FROM conversations")
        run.size_after = (await db_size(url) - empty) / max(run.conversations, 1) * 1000
    return run


def timeline(run: Run, every: float) -> None:
    buckets: dict[int, list[float]] = {}
    for at, took in run.hook_at:
        buckets.setdefault(int(at // every), []).append(took)
    for k in sorted(buckets):
        values = buckets[k]
        print(
            f"  {k * every:>5.0f}s  n={len(values):<5} p50={ms(pct(values, 50)):>8}  max={ms(max(values)):>8}"
        )


async def _sample(procs: list[object]) -> None:
    while True:
        for p in procs:
            p.sample_rss()  # type: ignore[attr-defined]
        await asyncio.sleep(1)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", default=DEFAULT_RUNS, help="comma-separated db:processes:stored_conversations"
    )
    parser.add_argument("--seconds", type=float, default=180.0, help="sustained load per run")
    parser.add_argument("--line-rate", type=float, default=30.0, help="LINE events per second")
    parser.add_argument(
        "--telegram-rate",
        type=float,
        default=15.0,
        help="Telegram events per second (the sender keeps Telegram's 30 messages/s per process)",
    )
    parser.add_argument("--max-minutes", type=float, default=60.0, help="stop starting runs after this")
    parser.add_argument(
        "--timeline", type=float, default=0, help="also print webhook p50/max per this many seconds"
    )
    args = parser.parse_args()
    started = time.monotonic()
    results: list[Run] = []
    print(f"PostgreSQL: {PG_ADMIN}", flush=True)
    for spec in args.runs.split(","):
        db, procs, stored = spec.split(":")
        if time.monotonic() - started > args.max_minutes * 60:
            print("time budget reached; remaining runs skipped", flush=True)
            break
        run = Run(db, int(procs), int(stored), args.line_rate, args.telegram_rate, args.seconds)
        print(
            f"run {spec}: {args.seconds:.0f} s at {run.line_rate:.0f} LINE + {run.tg_rate:.0f} Telegram events/s",
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix="counselbot-load-") as tmp:
            try:
                results.append(await one_run(run, Path(tmp)))
            except Exception as exc:
                print(f"  run failed: {type(exc).__name__}: {exc}", flush=True)
                continue
        print(HEADER.splitlines()[0], flush=True)
        print(run.row(), flush=True)
        if args.timeline:
            timeline(run, args.timeline)
    print("\n" + HEADER)
    for run in results:
        print(run.row())


if __name__ == "__main__":
    asyncio.run(main())
