"""Faults under load, then the books are checked: nothing lost, nothing doubled, nothing stuck.

    .venv/bin/python bench/faults.py                        # PostgreSQL, 2 processes, 20 kills, ~4 min
    .venv/bin/python bench/faults.py --db sqlite --procs 1  # SQLite: kills and platform bursts only
    .venv/bin/python bench/faults.py --storm-only           # just the redelivery storm

While LINE and Telegram webhooks arrive at a steady rate (each retried by the "platform" until a server
answers 200, as LINE and Telegram do):
* a server process is killed with SIGKILL at random moments (`--kills`, at least 20) and restarted;
* the fake platforms answer 429 (with Retry-After) or 500 in bursts;
* PostgreSQL is restarted mid-run (`pg_ctlcluster --skip-systemctl-redirect VERSION CLUSTER restart`),
  twice. Point `--pg-admin`/`--pg-cluster` at a cluster of your own if others share the default one.

Then, with every process up again and the outbox settled, it counts: every acknowledged event stored
exactly once; every LINE message delivered exactly once; Telegram messages delivered at least once
(duplicates counted: a process killed after Telegram accepted a message and before the outbox row was
marked resends it); nothing left pending in the outbox.

The redelivery storm: every webhook sent three times at once, to random processes → duplicate replies
must be zero.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from harness import PG_ADMIN, Server, count, database, rows, server_env, servers

from tests.fakes.line_api import FakeLine, event_from, run_fake_line, sign, webhook_body
from tests.fakes.telegram_api import WEBHOOK_SECRET, FakeTelegram, run_fake_telegram, update_from

FAULT_ENV = {
    # Bursts must not exhaust a reply's attempts: the point is that retries get it through.
    "COUNSELBOT_DELIVERY_MAX_ATTEMPTS": "40",
    "COUNSELBOT_DELIVERY_BASE_DELAY": "0.2",
    "COUNSELBOT_DELIVERY_MAX_DELAY": "3",
    "COUNSELBOT_DELIVERY_POLL_INTERVAL": "0.2",
}


@dataclass
class Event:
    channel: str
    event_id: str
    user: str
    body: bytes
    headers: dict[str, str]
    acked: bool = False
    attempts: int = 0


@dataclass
class Books:
    events: list[Event] = field(default_factory=list)
    kills: int = 0
    pg_restarts: int = 0
    bursts: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)


def line_event(line: FakeLine, user: str) -> Event:
    raw = event_from("text", user_id=user, reply_token=line.issue_reply_token(user), message__text="menu")
    body = webhook_body(raw)
    headers = {"x-line-signature": sign(body), "content-type": "application/json"}
    return Event("line", raw["webhookEventId"], user, body, headers)


def tg_event(update_id: int, chat: int) -> Event:
    update = update_from(
        "text_message", update_id=update_id, chat_id=chat, text="menu", date=int(time.time())
    )
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET, "content-type": "application/json"}
    return Event("telegram", str(update_id), str(chat), json.dumps(update).encode(), headers)


async def deliver(
    client: httpx.AsyncClient, procs: list[Server], event: Event, books: Books, give_up: float
) -> None:
    """As the platforms do: send until some server answers 200 (a non-2xx or no answer is retried)."""
    while time.monotonic() < give_up:
        server = random.choice(procs)
        path = "/webhooks/line" if event.channel == "line" else "/webhooks/telegram"
        event.attempts += 1
        try:
            response = await client.post(f"{server.base}{path}", content=event.body, headers=event.headers)
            if response.status_code == 200:
                event.acked = True
                return
            books.refused[str(response.status_code)] += 1
        except httpx.HTTPError as exc:
            books.refused[type(exc).__name__] += 1
        await asyncio.sleep(random.uniform(0.2, 0.8))


async def killer(procs: list[Server], books: Books, kills: int, seconds: float) -> None:
    gap = seconds / (kills + 1)
    for _ in range(kills):
        await asyncio.sleep(random.uniform(0.5 * gap, 1.5 * gap))
        server = random.choice(procs)
        await server.kill()
        books.kills += 1
        # Restarted at once, as systemd would (Restart=always).
        for _attempt in range(5):
            try:
                await server.start()
                break
            except RuntimeError:
                await asyncio.sleep(1)


async def burster(line: FakeLine, tg: FakeTelegram, books: Books) -> None:
    while True:
        await asyncio.sleep(random.uniform(4, 10))
        kind = random.choice(["line-429", "line-500", "tg-429", "tg-500"])
        n = random.randint(5, 20)
        books.bursts[kind] += 1
        if kind == "line-429":
            line.fail("reply", 429, retry_after=1, times=n)
            line.fail("push", 429, retry_after=1, times=n)
        elif kind == "line-500":
            line.fail("reply", 500, times=n)
            line.fail("push", 500, times=n)
        elif kind == "tg-429":
            tg.fail("sendMessage", 429, retry_after=1, times=n)
        else:
            tg.fail("sendMessage", 500, times=n)


async def pg_restarter(cluster: list[str], books: Books, seconds: float) -> None:
    for at in (0.4, 0.7):
        await asyncio.sleep(seconds * (at if books.pg_restarts == 0 else 0.3))
        cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "restart"]
        result = await asyncio.to_thread(subprocess.run, cmd, capture_output=True, text=True)
        if result.returncode == 0:
            books.pg_restarts += 1
        else:
            print(f"  PostgreSQL restart failed: {result.stderr.strip()[-200:]}", flush=True)


async def settle(url: str, timeout: float = 180.0) -> int:
    """Wait until no outbox row is pending or being sent; returns how many still are."""
    left = -1
    for _ in range(int(timeout)):
        left = await count(url, "SELECT count(*) FROM outbox_messages WHERE status IN ('pending', 'sending')")
        if left == 0:
            return 0
        await asyncio.sleep(1)
    return left


async def audit(url: str, books: Books, line: FakeLine, tg: FakeTelegram) -> dict[str, int]:
    acked = [e for e in books.events if e.acked]
    stored = Counter(
        (str(c), str(e)) for c, e in await rows(url, "SELECT channel, event_id FROM inbox_events")
    )
    figures: dict[str, int] = {
        "events sent": len(books.events),
        "events acknowledged": len(acked),
        "deliveries attempted (with platform retries)": sum(e.attempts for e in books.events),
        "acknowledged events not stored (lost)": sum(
            1 for e in acked if stored[(e.channel, e.event_id)] == 0
        ),
        "events stored twice": sum(1 for n in stored.values() if n > 1),
    }
    expected: Counter[tuple[str, str]] = Counter()
    for channel, user, payload, parts, status in await rows(
        url, "SELECT channel, user_id, payload, parts_sent, status FROM outbox_messages"
    ):
        if status != "sent":
            continue
        data = json.loads(payload) if isinstance(payload, str) else payload
        n = len(data["messages"]) if channel == "line" else int(parts)  # type: ignore[arg-type]
        expected[(str(channel), str(user))] += n
    got: Counter[tuple[str, str]] = Counter(("line", d.user_id) for d in line.delivered)
    got.update(("telegram", str(m["chat"]["id"])) for m in tg.messages.values())
    for channel in ("line", "telegram"):
        keys = {k for k in (*expected, *got) if k[0] == channel}
        figures[f"{channel} messages expected"] = sum(expected[k] for k in keys)
        figures[f"{channel} messages delivered"] = sum(got[k] for k in keys)
        figures[f"{channel} duplicates"] = sum(max(0, got[k] - expected[k]) for k in keys)
        figures[f"{channel} missing"] = sum(max(0, expected[k] - got[k]) for k in keys)
    statuses = Counter(str(s) for (s,) in await rows(url, "SELECT status FROM outbox_messages"))
    figures["outbox rows"] = sum(statuses.values())
    figures["outbox stuck (pending or sending)"] = statuses["pending"] + statuses["sending"]
    figures["outbox dead letters"] = statuses["dead"]
    return figures


async def fault_run(args: argparse.Namespace, workdir: Path) -> dict[str, int]:
    books = Books()
    async with (
        run_fake_line() as line,
        run_fake_telegram() as tg,
        database(args.db, workdir, args.pg_admin) as url,
    ):
        env = server_env(url, line, tg, **FAULT_ENV)
        async with servers(env, workdir, args.procs) as procs, httpx.AsyncClient(timeout=10) as client:
            give_up = time.monotonic() + args.seconds + 240
            line_users = [f"U{i:032x}" for i in range(1, 301)]
            chats = [6_000_000 + i for i in range(1, 151)]
            faults = [asyncio.create_task(killer(procs, books, args.kills, args.seconds))]
            faults.append(asyncio.create_task(burster(line, tg, books)))
            if args.db == "postgres" and args.pg_cluster:
                faults.append(asyncio.create_task(pg_restarter(args.pg_cluster.split(), books, args.seconds)))
            tasks: list[asyncio.Task[None]] = []
            begin, update_ids, i = time.monotonic(), iter(range(200_000_000, 300_000_000)), 0
            while time.monotonic() - begin < args.seconds:
                i += 1
                if i % 3:
                    event = line_event(line, line_users[i % len(line_users)])
                else:
                    event = tg_event(next(update_ids), chats[i % len(chats)])
                books.events.append(event)
                tasks.append(asyncio.create_task(deliver(client, procs, event, books, give_up)))
                if random.random() < 0.05:  # the platform delivers this one twice
                    tasks.append(asyncio.create_task(deliver(client, procs, event, books, give_up)))
                await asyncio.sleep(1 / args.rate)
            print(f"  load done; waiting for {len(tasks)} deliveries", flush=True)
            await asyncio.gather(*tasks)
            killing = faults.pop(0)
            await killing  # every kill happened and its process is back
            for task in faults:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for server in procs:
                if server.proc is None or server.proc.returncode is not None:
                    await server.start()
            left = await settle(url)
            print(f"  outbox settled ({left} left)", flush=True)
            figures = await audit(url, books, line, tg)
    figures.update(log_lines(workdir))
    figures["server kills (SIGKILL)"] = books.kills
    figures["PostgreSQL restarts"] = books.pg_restarts
    figures["platform error bursts"] = sum(books.bursts.values())
    for reason, n in sorted(books.refused.items()):
        figures[f"webhook refused/failed: {reason}"] = n
    return figures


def log_lines(workdir: Path) -> dict[str, int]:
    """What the servers logged (WARNING and up): errors expected while the database restarts."""
    found: Counter[str] = Counter()
    for log in workdir.glob("serve-*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if "Traceback" in line:
                found["server log: tracebacks"] += 1
            elif " ERROR " in line or '"level": "ERROR"' in line:
                found["server log: ERROR lines"] += 1
            elif "NOTIFY failed" in line:
                found["server log: bus NOTIFY failed"] += 1
    return dict(found)


async def storm(args: argparse.Namespace, workdir: Path) -> dict[str, int]:
    """Every webhook three times at once, to random processes: zero duplicate replies."""
    books = Books()
    async with (
        run_fake_line() as line,
        run_fake_telegram() as tg,
        database(args.db, workdir, args.pg_admin) as url,
    ):
        env = server_env(url, line, tg, **FAULT_ENV)
        async with servers(env, workdir, args.procs) as procs, httpx.AsyncClient(timeout=30) as client:
            give_up = time.monotonic() + 300
            for i in range(args.storm_events):
                if i % 2:
                    books.events.append(line_event(line, f"U{0xA0000 + i:032x}"))
                else:
                    books.events.append(tg_event(400_000_000 + i, 8_000_000 + i))
            await asyncio.gather(
                *(deliver(client, procs, e, books, give_up) for e in books.events for _ in range(3))
            )
            await settle(url)
            figures = await audit(url, books, line, tg)
            figures["LINE reply tokens used more than once"] = sum(
                1
                for n in Counter(r.body["replyToken"] for r in line.of("reply") if r.status == 200).values()
                if n > 1
            )
    return figures


def report(title: str, figures: dict[str, int]) -> bool:
    print(f"\n{title}\n| figure | count |\n| --- | --- |")
    for name, value in figures.items():
        print(f"| {name} | {value:,} |")
    bad = [
        k
        for k in (
            "acknowledged events not stored (lost)",
            "events stored twice",
            "line duplicates",
            "line missing",
            "telegram missing",
            "outbox stuck (pending or sending)",
        )
        if figures.get(k)
    ]
    if figures.get("events acknowledged") != figures.get("events sent"):
        bad.append("events never acknowledged")
    print("invariants: " + ("all hold" if not bad else "VIOLATED: " + ", ".join(bad)), flush=True)
    return not bad


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=150.0, help="how long load and faults last")
    parser.add_argument("--rate", type=float, default=20.0, help="events per second (2/3 LINE, 1/3 Telegram)")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--pg-admin", default=PG_ADMIN)
    parser.add_argument(
        "--pg-cluster", default="15 main", help="VERSION CLUSTER for pg_ctlcluster ('' = none)"
    )
    parser.add_argument("--storm-events", type=int, default=300)
    parser.add_argument("--storm-only", action="store_true")
    args = parser.parse_args()
    ok = True
    if not args.storm_only:
        print(
            f"faults: {args.db}, {args.procs} process(es), {args.seconds:.0f} s at {args.rate:.0f} events/s, "
            f"{args.kills} kills",
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix="counselbot-faults-") as tmp:
            ok &= report("Faults under load", await fault_run(args, Path(tmp)))
    with tempfile.TemporaryDirectory(prefix="counselbot-storm-") as tmp:
        ok &= report(
            f"Redelivery storm ({args.storm_events} events x 3, {args.procs} processes)",
            await storm(args, Path(tmp)),
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
