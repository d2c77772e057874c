"""Opening a SQLite connection while another connection holds the file's lock: the new connection
waits for the lock, on its own thread, and never fails at once with "database is locked"."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from sqlalchemy import text

from storage.db import Database


async def test_a_connection_opened_while_the_file_is_locked_waits_for_the_lock(tmp_path: Path) -> None:
    # Regression: test_scheduler's two pools opening one file at once got "database is locked"
    # from PRAGMA journal_mode=WAL.
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (n INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")  # not yet WAL: no other connection may even read
    holder.execute("INSERT INTO t VALUES (1)")
    release = threading.Timer(0.3, holder.commit)
    release.start()
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.read() as s:
            rows = (await s.execute(text("SELECT n FROM t"))).scalars().all()
        assert rows == [1]  # opened once the holder committed, and sees its row
        async with db.read() as s:
            mode = (await s.execute(text("PRAGMA journal_mode"))).scalar_one()
        assert mode == "wal"
    finally:
        release.join()
        holder.close()
        await db.dispose()
