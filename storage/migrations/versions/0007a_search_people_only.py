"""search indexes only what people wrote: the customer's, the agents' and the internal notes' lines

The console searches those three authors only, so indexing the bot's lines (every menu, every
prompt, in full, on every turn) was pure cost on the hot path: most of a turn's transcript text is
the bot's. SQLite: the FTS5 triggers fire only for those authors, and the bot's and system lines
already indexed are taken out. PostgreSQL: the trigram index becomes a partial index with the same
condition (the search repeats it literally, so the planner can use the index).

Revision ID: 0007a
Revises: 0006a
Create Date: 2026-12-01 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007a"
down_revision: str | Sequence[str] | None = "0006a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept equal to storage.repositories.conversation_list.PEOPLE (a test checks it).
INDEXED = "('customer', 'agent', 'note')"
TRIGGERS = ("transcript_fts_ai", "transcript_fts_ad", "transcript_fts_au")


def _sqlite_triggers(when_new: str, when_old: str) -> list[str]:
    return [
        f"CREATE TRIGGER transcript_fts_ai AFTER INSERT ON transcript_messages {when_new} BEGIN "
        "INSERT INTO transcript_fts(rowid, text) VALUES (new.id, new.text); END",
        f"CREATE TRIGGER transcript_fts_ad AFTER DELETE ON transcript_messages {when_old} BEGIN "
        "INSERT INTO transcript_fts(transcript_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
        # An update of text (an erasure's redaction) re-indexes; authors never change.
        f"CREATE TRIGGER transcript_fts_au AFTER UPDATE OF text ON transcript_messages {when_old} BEGIN "
        "INSERT INTO transcript_fts(transcript_fts, rowid, text) VALUES ('delete', old.id, old.text); "
        "INSERT INTO transcript_fts(rowid, text) VALUES (new.id, new.text); END",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        # External content: a 'delete' must give the text that was indexed, which is the row's own.
        op.execute(
            "INSERT INTO transcript_fts(transcript_fts, rowid, text) SELECT 'delete', id, text "
            f"FROM transcript_messages WHERE author NOT IN {INDEXED}"
        )
        for statement in _sqlite_triggers(f"WHEN new.author IN {INDEXED}", f"WHEN old.author IN {INDEXED}"):
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_transcript_text_trgm")
        op.execute(
            "CREATE INDEX ix_transcript_text_trgm ON transcript_messages USING gin (text gin_trgm_ops) "
            f"WHERE author IN {INDEXED}"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in _sqlite_triggers("", ""):
            op.execute(statement)
        op.execute("INSERT INTO transcript_fts(transcript_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_transcript_text_trgm")
        op.execute(
            "CREATE INDEX ix_transcript_text_trgm ON transcript_messages USING gin (text gin_trgm_ops)"
        )
