"""every conversation, full-text search over the transcript, labels, notes on the customer

- conversations: indexes for the console's list of every conversation, newest activity first with
  keyset pagination: (last_event_at, id), and the same after locale and mode (values that can be
  rare). Not after channel: three or four values, never rare, and every event rewrites
  last_event_at in each of these indexes.
- tickets: (conversation_id, status) for "resolved" and "waiting", (claimed_by, conversation_id) for
  the agent filter.
- transcript_messages full-text search: on SQLite an FTS5 external-content table `transcript_fts`
  with the trigram tokenizer (words in Japanese, Chinese and Thai are not separated by spaces, so
  any 3 characters are a term), kept in sync by triggers; on PostgreSQL `pg_trgm` and a GIN trigram
  index on the text, used by ILIKE.
- labels (admin-managed: a name and a colour from a fixed palette) and conversation_labels.
- customer_notes: notes on the customer (beside the internal notes in a conversation's transcript).

Revision ID: 0006c
Revises: 0005a
Create Date: 2026-12-01 16:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006c"
down_revision: str | Sequence[str] | None = "0005a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE transcript_fts USING fts5("
    "text, content='transcript_messages', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER transcript_fts_ai AFTER INSERT ON transcript_messages BEGIN "
    "INSERT INTO transcript_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER transcript_fts_ad AFTER DELETE ON transcript_messages BEGIN "
    "INSERT INTO transcript_fts(transcript_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER transcript_fts_au AFTER UPDATE OF text ON transcript_messages BEGIN "
    "INSERT INTO transcript_fts(transcript_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO transcript_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO transcript_fts(transcript_fts) VALUES ('rebuild')",
]
LIST_INDEXES = {
    "ix_conversation_recent": ["last_event_at", "id"],
    "ix_conversation_locale_recent": ["locale", "last_event_at", "id"],
    "ix_conversation_mode_recent": ["mode", "last_event_at", "id"],
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # Conversations are created with their first event, so this only touches hand-made rows; the list's
    # keyset order needs a value on every row.
    op.execute("UPDATE conversations SET last_event_at = created_at WHERE last_event_at IS NULL")
    for name, columns in LIST_INDEXES.items():
        op.create_index(name, "conversations", columns)
    op.create_index("ix_ticket_conversation", "tickets", ["conversation_id", "status"])
    op.create_index("ix_ticket_claimed_by", "tickets", ["claimed_by", "conversation_id"])
    op.create_table(
        "labels",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False, unique=True),
        sa.Column("colour", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "conversation_labels",
        sa.Column(
            "conversation_id",
            BigId,
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("label_id", BigId, sa.ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("added_by", BigId, sa.ForeignKey("agents.id", ondelete="SET NULL"), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_conversation_label_label", "conversation_labels", ["label_id", "conversation_id"])
    op.create_table(
        "customer_notes",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("customer_id", BigId, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("agent_id", BigId, sa.ForeignKey("agents.id", ondelete="SET NULL"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_customer_note_customer", "customer_notes", ["customer_id", "id"])
    if dialect == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_transcript_text_trgm ON transcript_messages USING gin (text gin_trgm_ops)"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("transcript_fts_ai", "transcript_fts_ad", "transcript_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS transcript_fts")
    elif dialect == "postgresql":
        # The extension stays: other objects may use it.
        op.execute("DROP INDEX IF EXISTS ix_transcript_text_trgm")
    op.drop_table("customer_notes")
    op.drop_table("conversation_labels")
    op.drop_table("labels")
    op.drop_index("ix_ticket_claimed_by", "tickets")
    op.drop_index("ix_ticket_conversation", "tickets")
    for name in LIST_INDEXES:
        op.drop_index(name, "conversations")
