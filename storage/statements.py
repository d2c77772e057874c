"""Who is told of the statements that bypass SQLAlchemy's execution events.

Hot-path statements on the DBAPI cursor (storage.repositories.common) and the SQLite group commit's
SAVEPOINT bookkeeping (storage.sqlite_driver) never reach `before_cursor_execute`; bench/engine.py
counts statements per event, so it listens here too.
"""

from __future__ import annotations

from collections.abc import Callable

listeners: list[Callable[[str], None]] = []
