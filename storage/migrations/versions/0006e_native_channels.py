"""native channel features: LINE rich menus per language and which one each LINE user has

- line_rich_menus: per locale, the rich menu id LINE gave and the content hash it was built from.
- line_menu_links: per LINE user, the rich menu last linked (no row: the default menu).
- inbox_events.read_token / read_marked_at: LINE's markAsReadToken of a message, and when an agent's
  reading marked it read (through a job, once).
- conversation_reads: the last customer transcript line an agent has read (the web chat's "seen").

Revision ID: 0006e
Revises: 0006b
Create Date: 2026-12-01 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006e"
down_revision: str | Sequence[str] | None = "0006b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("inbox_events", sa.Column("read_token", sa.String(256), nullable=True))
    op.add_column("inbox_events", sa.Column("read_marked_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "conversation_reads",
        sa.Column(
            "conversation_id", BigId, sa.ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("transcript_id", BigId, nullable=False),
        sa.Column("agent_id", BigId, sa.ForeignKey("agents.id", ondelete="SET NULL"), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "line_rich_menus",
        sa.Column("locale", sa.String(16), primary_key=True),
        sa.Column("rich_menu_id", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "line_menu_links",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("rich_menu_id", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("conversation_reads")
    with op.batch_alter_table("inbox_events") as batch:
        batch.drop_column("read_marked_at")
        batch.drop_column("read_token")
    op.drop_table("line_menu_links")
    op.drop_table("line_rich_menus")
