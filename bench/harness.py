"""What bench/load.py and bench/faults.py share: databases, `counselbot serve` processes pointed at the
fake LINE and Telegram platforms (tests/fakes, served in the benchmark's own event loop), seeding a
database with many stored conversations, and the figures (percentiles, memory, database size)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402

from tests.fakes.line_api import ACCESS_TOKEN, CHANNEL_SECRET, FakeLine  # noqa: E402
from tests.fakes.telegram_api import WEBHOOK_SECRET, FakeTelegram  # noqa: E402

PG_ADMIN = os.environ.get("COUNSELBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pct(values: Sequence[float], p: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def counselbot() -> str:
    local = Path(sys.executable).parent / "counselbot"
    return str(local) if local.exists() else (shutil.which("counselbot") or "counselbot")


@contextlib.asynccontextmanager
async def database(kind: str, workdir: Path, admin: str = PG_ADMIN) -> AsyncIterator[str]:
    """A fresh, migrated database: a SQLite file in `workdir`, or a new PostgreSQL database (dropped after)."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir}/bench.db"
        await migrate(url, workdir)
        yield url
        return
    name = f"cb_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    host = admin.rsplit("/", 1)[0].removeprefix("postgresql://")
    url = f"postgresql+asyncpg://{host}/{name}"
    try:
        await migrate(url, workdir)
        yield url
    finally:
        with contextlib.suppress(Exception):
            conn = await asyncpg.connect(admin)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()


async def migrate(url: str, workdir: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        counselbot(), "db", "upgrade", env={**os.environ, "COUNSELBOT_DATABASE_URL": url}, cwd=workdir,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"counselbot db upgrade failed: {err.decode()[-500:]}")


def server_env(url: str, line: FakeLine, tg: FakeTelegram, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "COUNSELBOT_DATABASE_URL": url,
        "COUNSELBOT_HOST": "127.0.0.1",
        "COUNSELBOT_SECRET_KEY": "bench-secret-key-shared-by-every-process",
        "COUNSELBOT_LOG_LEVEL": "WARNING",
        "COUNSELBOT_LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "COUNSELBOT_LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "COUNSELBOT_LINE_API_BASE": line.base_url,
        "COUNSELBOT_TELEGRAM_BOT_TOKEN": tg.token,
        "COUNSELBOT_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "COUNSELBOT_TELEGRAM_API_BASE": tg.base_url,
        **extra,
    }


@dataclass
class Server:
    port: int
    env: dict[str, str]
    workdir: Path
    proc: asyncio.subprocess.Process | None = None
    peak_rss: int = 0
    starts: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, wait: float = 60.0) -> None:
        env = {**self.env, "COUNSELBOT_PORT": str(self.port)}
        log = (self.workdir / f"serve-{self.port}.log").open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            counselbot(), "serve", env=env, cwd=self.workdir, stdout=log, stderr=asyncio.subprocess.STDOUT
        )
        log.close()
        self.starts += 1
        async with httpx.AsyncClient(timeout=2) as client:
            deadline = asyncio.get_running_loop().time() + wait
            while True:
                if self.proc.returncode is not None:
                    raise RuntimeError(f"counselbot serve exited; see {self.workdir}/serve-{self.port}.log")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.base}/healthz")).status_code == 200:
                        return
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(f"counselbot serve did not come up; see {self.workdir}")
                await asyncio.sleep(0.05)

    def sample_rss(self) -> None:
        """The process's peak resident memory so far (VmHWM), kept across restarts."""
        if self.proc is None or self.proc.returncode is not None:
            return
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_rss = max(self.peak_rss, int(line.split()[1]) * 1024)

    async def kill(self) -> None:
        """kill -9: no shutdown, no flush, connections cut."""
        if self.proc is not None and self.proc.returncode is None:
            self.sample_rss()
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.sample_rss()
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


@contextlib.asynccontextmanager
async def servers(env: dict[str, str], workdir: Path, n: int) -> AsyncIterator[list[Server]]:
    started: list[Server] = []
    try:
        for _ in range(n):
            server = Server(free_port(), env, workdir)
            await server.start()
            started.append(server)
        yield started
    finally:
        for server in started:
            await server.stop()


async def db_size(url: str) -> int:
    """Bytes the database takes on disk (SQLite: the file and its WAL after a checkpoint)."""
    if url.startswith("sqlite"):
        return await asyncio.to_thread(_sqlite_size, url.split("///", 1)[1])
    conn = await asyncpg.connect(pg_dsn(url))
    try:
        return int(await conn.fetchval("SELECT pg_database_size(current_database())"))
    finally:
        await conn.close()


def _sqlite_size(path: str) -> int:
    with contextlib.closing(sqlite3.connect(path, timeout=60)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))


def pg_dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


async def count(url: str, sql: str) -> int:
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.split("///", 1)[1], timeout=30)) as conn:
            return int(conn.execute(sql).fetchone()[0])
    conn = await asyncpg.connect(pg_dsn(url))
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def rows(url: str, sql: str) -> list[tuple[object, ...]]:
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.split("///", 1)[1], timeout=30)) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
    conn = await asyncpg.connect(pg_dsn(url))
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


# -- seeding many stored conversations -------------------------------------------------------------

MENU_TEXT = (
    "How can I help you?\n1. Cancel a booking\n2. Change a booking\n3. I'm running late\n"
    "4. Illness, accident or other emergency\n5. Payment and due dates\n6. Privacy and your data\n7. Talk to a person"
)
MENU_PAYLOAD = {
    "kind": "choices",
    "text": "How can I help you?",
    "options": [
        {"id": i, "label": label}
        for i, label in (
            ("cancellation", "Cancel a booking"), ("booking_change", "Change a booking"),
            ("late_arrival", "I'm running late"), ("special_circumstance", "Illness, accident or other emergency"),
            ("payment", "Payment and due dates"), ("privacy", "Privacy and your data"), ("human", "Talk to a person"),
        )
    ],
    "token": "5",
}  # fmt: skip
STACK = {"frames": [{"dialog": "menu", "step": "main", "data": {}}], "token": "5", "misses": 0, "at": None}


@dataclass
class SeedShape:
    """What one stored conversation is made of: a few exchanges, as the engine writes them."""

    exchanges: int = 5
    customer_text: str = "I would like to change the date of my appointment next week, please."
    extra: dict[str, int] = field(default_factory=dict)


async def seed(url: str, conversations: int, shape: SeedShape | None = None) -> None:
    """Insert `conversations` finished conversations directly (identities, inbox, transcript, outbox)."""
    shape = shape or SeedShape()
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    batch = 2000
    for start in range(0, conversations, batch):
        n = min(batch, conversations - start)
        await _seed_batch(url, start, n, now, shape)


async def _seed_batch(url: str, start: int, n: int, now: dt.datetime, shape: SeedShape) -> None:
    identities, convs, inbox, transcript, outbox = [], [], [], [], []
    payload = json.dumps({"messages": [MENU_PAYLOAD]})
    menu_json = json.dumps(MENU_PAYLOAD)
    for k in range(start, start + n):
        ident_id = conv_id = 10_000_000 + k
        channel = "line" if k % 2 else "telegram"
        user = f"Useed{k:027d}" if channel == "line" else str(900_000_000 + k)
        at = now + dt.timedelta(seconds=k)
        identities.append((ident_id, channel, user, "en", at))
        convs.append(
            (conv_id, channel, user, ident_id, "bot", json.dumps(STACK), shape.exchanges, "en", 0, at, at, at)
        )
        for e in range(shape.exchanges):
            event_id = f"seed-{k}-{e}"
            out_id = conv_id * 10 + e
            inbox.append((conv_id * 10 + e, channel, event_id, conv_id, "text", at, at))
            transcript.append(
                (conv_id * 100 + 2 * e, conv_id, "customer", shape.customer_text, None, event_id, None, at)
            )
            outbox.append(
                (
                    out_id,
                    conv_id,
                    channel,
                    user,
                    payload,
                    1,
                    "sent",
                    1,
                    at,
                    None,
                    None,
                    str(uuid.uuid4()),
                    None,
                    None,
                    "bot",
                    at,
                    at,
                )
            )
            transcript.append(
                (conv_id * 100 + 2 * e + 1, conv_id, "bot", MENU_TEXT, menu_json, None, out_id, at)
            )
    tables = {
        "channel_identities": (("id", "channel", "user_id", "locale_hint", "created_at"), identities),
        "conversations": (
            ("id", "channel", "user_id", "identity_id", "mode", "stack", "version", "locale", "link_failures",
             "last_event_at", "created_at", "updated_at"),
            convs,
        ),
        "inbox_events": (("id", "channel", "event_id", "conversation_id", "kind", "received_at", "stored_at"), inbox),
        "outbox_messages": (
            ("id", "conversation_id", "channel", "user_id", "payload", "parts_sent", "status", "attempts",
             "next_attempt_at", "locked_until", "last_error", "idempotency_key", "reply_token",
             "reply_token_expires_at", "source", "created_at", "sent_at"),
            outbox,
        ),
        "transcript_messages": (
            ("id", "conversation_id", "author", "text", "payload", "event_id", "outbox_id", "created_at"), transcript
        ),
    }  # fmt: skip
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        with contextlib.closing(sqlite3.connect(path, timeout=60)) as conn:
            for table, (cols, values) in tables.items():
                marks = ",".join("?" * len(cols))
                conn.executemany(
                    f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})",
                    [tuple(_sqlite(v) for v in row) for row in values],
                )
            conn.commit()
        return
    conn = await asyncpg.connect(pg_dsn(url))
    try:
        for table, (cols, values) in tables.items():
            await conn.copy_records_to_table(table, records=values, columns=list(cols))
        for table in tables:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    finally:
        await conn.close()


def _sqlite(value: object) -> object:
    if isinstance(value, dt.datetime):
        # As SQLAlchemy stores DateTime on SQLite.
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value
