"""identity linking limits per booking reference and per source

Failed identity checks were counted per conversation, and a web chat conversation is only a cookie.
From this release they are counted per booking reference and per source (web chat address, LINE or
Telegram user) in link_failures, and a lock for either lives in link_locks. Only keyed hashes of the
reference and the source are stored.

Revision ID: 0003b
Revises: 0002
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003b"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "link_failures",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_link_failure_key", "link_failures", ["kind", "key_hash", "at"])
    op.create_table(
        "link_locks",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "conversation_id", BigId, sa.ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("booking_id", BigId, sa.ForeignKey("bookings.id", ondelete="SET NULL"), nullable=True),
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(300), nullable=True),
        sa.UniqueConstraint("kind", "key_hash", name="uq_link_lock_key"),
    )


def downgrade() -> None:
    op.drop_table("link_locks")
    op.drop_index("ix_link_failure_key", table_name="link_failures")
    op.drop_table("link_failures")
