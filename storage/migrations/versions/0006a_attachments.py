"""attachments: photos, videos, voice messages, documents and locations, both ways

- attachments: one row per file or location a customer sent (or an agent sent), created pending with
  the event and fetched afterwards by a job; kind and mime are what the content is, never the name.
- attachment_contents: the bytes (`full`, images re-encoded without EXIF/GPS) and the `thumb`nail,
  deleted with their attachment, which goes with its conversation or its customer; with bucket
  storage `data` is NULL and `bucket_key` names the object.

Revision ID: 0006a
Revises: 0006f
Create Date: 2026-12-01 16:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006a"
down_revision: str | Sequence[str] | None = "0006f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("token", sa.String(48), nullable=False, unique=True),
        sa.Column(
            "conversation_id", BigId, sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("customer_id", BigId, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=True),
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=True),
        sa.Column(
            "outbox_id", BigId, sa.ForeignKey("outbox_messages.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("source", sa.String(1000), nullable=True),
        sa.Column("mime", sa.String(100), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("original_name", sa.String(255), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("place", sa.String(500), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_attachment_conversation", "attachments", ["conversation_id", "id"])
    op.create_index("ix_attachment_customer_day", "attachments", ["customer_id", "created_at"])
    op.create_table(
        "attachment_contents",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "attachment_id", BigId, sa.ForeignKey("attachments.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("role", sa.String(5), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("bucket_key", sa.String(300), nullable=True),
        sa.UniqueConstraint("attachment_id", "role", name="uq_attachment_content_role"),
    )


def downgrade() -> None:
    op.drop_table("attachment_contents")
    op.drop_index("ix_attachment_customer_day", table_name="attachments")
    op.drop_index("ix_attachment_conversation", table_name="attachments")
    op.drop_table("attachments")
