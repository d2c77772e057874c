"""The SQLite database and its -wal and -shm files are the owner's only (0600), and the directories the
app makes for it 0700, whatever the umask; files that already exist keep the mode they have."""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from storage.db import Database
from storage.migrate import upgrade
from storage.models import InboxEvent, now_utc
from tests.support.processes import serve_process


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def modes(db: Path) -> dict[str, str]:
    """The modes of the database file and whichever of its -wal and -shm files exist."""
    out = {}
    for suffix in ("", "-wal", "-shm"):
        path = db.with_name(db.name + suffix)
        if path.exists():
            out[suffix or "db"] = oct(stat.S_IMODE(path.stat().st_mode))
    return out


def dir_mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


OWNER_ONLY = {"db": "0o600", "-wal": "0o600", "-shm": "0o600"}


def test_serve_on_a_fresh_sqlite_path_makes_owner_only_files(tmp_path: Path) -> None:
    existing = tmp_path / "srv"
    existing.mkdir()
    existing.chmod(0o755)
    data = existing / "var" / "counselbot"
    db = data / "counselbot.db"
    url = f"sqlite+aiosqlite:///{db}"
    # The child inherits the umask: 022, the usual one, under which SQLite alone makes 0644 files.
    with umask(0o022), serve_process(url, tmp_path, {"COUNSELBOT_SCHEDULER_ENABLED": "false"}) as (base, _):
        with httpx.Client(base_url=base, timeout=10) as http:
            started = http.post("/api/chat/messages", json={"id": uuid.uuid4().hex, "start": True})
            assert started.status_code == 200, started.text
        # While the server runs, its connections hold the WAL and the shared-memory index open.
        assert modes(db) == OWNER_ONLY
    assert (dir_mode(data), dir_mode(data.parent)) == ("0o700", "0o700")
    assert dir_mode(existing) == "0o755", "a directory the app did not make was changed"


async def test_a_database_opened_by_the_app_makes_owner_only_files_under_any_umask(tmp_path: Path) -> None:
    for mask in (0o022, 0o002, 0o277):  # 0277 would even make os.open's 0600 read-only
        db = tmp_path / f"u{mask:o}" / "app.db"
        url = f"sqlite+aiosqlite:///{db}"
        with umask(mask):
            await asyncio.to_thread(upgrade, url)  # alembic runs its own event loop
            database = Database(url)
            try:
                async with database.write() as s:
                    s.add(InboxEvent(channel="webchat", event_id="e", kind="text", received_at=now_utc()))
                async with database.read() as s:
                    assert (await s.execute(select(func.count()).select_from(InboxEvent))).scalar_one() == 1
                assert modes(db) == OWNER_ONLY, oct(mask)
            finally:
                await database.dispose()
        assert dir_mode(db.parent) == "0o700"


async def test_a_running_process_creates_the_file_0600_but_no_directory(tmp_path: Path) -> None:
    fresh, astray = tmp_path / "fresh.db", tmp_path / "no-such-dir" / "x.db"
    with umask(0o022):
        for path in (fresh, astray):
            database = Database(f"sqlite+aiosqlite:///{path}")
            with contextlib.suppress(OperationalError):  # the one in a missing directory cannot open
                async with database.read() as s:
                    await s.execute(select(1))
            await database.dispose()
    assert modes(fresh) == {"db": "0o600"}
    # A missing directory means a wrong path: /readyz reports it rather than a new empty database.
    assert not astray.parent.exists()


async def test_an_existing_database_file_keeps_its_mode(tmp_path: Path) -> None:
    db = tmp_path / "kept.db"
    url = f"sqlite+aiosqlite:///{db}"
    await asyncio.to_thread(upgrade, url)
    db.chmod(0o640)  # the operator's choice, e.g. a backup group may read it
    database = Database(url)
    try:
        async with database.read() as s:
            await s.execute(select(func.count()).select_from(InboxEvent))
        assert modes(db) == {"db": "0o640", "-wal": "0o640", "-shm": "0o640"}
    finally:
        await database.dispose()
