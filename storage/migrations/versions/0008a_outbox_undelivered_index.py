"""outbox: a partial index of the undelivered rows per conversation

Every answer's INSERT asks whether an earlier row of its conversation is still undelivered, and
the delivery worker's claim asks it of every row it considers. Through ix_outbox_conversation that
walked every row the conversation ever had (a customer of a few months: thousands, ~1 ms a turn on
SQLite). This index holds only the pending and sending rows, a handful at most, so the question
costs the same on the first turn and the ten-thousandth. Queries name the statuses literally (a
partial index is used only when the query's condition is the index's own).

Revision ID: 0008a
Revises: 0007a
Create Date: 2026-12-02 15:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008a"
down_revision: str | Sequence[str] | None = "0007a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept equal to storage.repositories.outbox.UNDELIVERED (tests/test_outbox_index.py checks it).
UNDELIVERED = "status IN ('pending', 'sending')"


def upgrade() -> None:
    op.create_index(
        "ix_outbox_undelivered",
        "outbox_messages",
        ["conversation_id", "id"],
        sqlite_where=sa.text(UNDELIVERED),
        postgresql_where=sa.text(UNDELIVERED),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_undelivered", table_name="outbox_messages")
