"""satisfaction surveys (CSAT): one question per resolved ticket, its rating and optional comment

- csat_surveys: asked when a ticket is resolved and its conversation handed back to the bot (unless
  the same customer — the linked customer, else the chat identity — was asked in the last 24 hours).
  `agent_id` is the agent who held and resolved the ticket; `rating` 1-5 and `comment` arrive later
  (both NULL until answered; a second answer never overwrites the first).
- indexes on conversations.created_at and tickets.created_at: the reports page reads by date range.

Revision ID: 0006d
Revises: 0006e
Create Date: 2026-12-01 16:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006d"
down_revision: str | Sequence[str] | None = "0006e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "csat_surveys",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "conversation_id", BigId, sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("identity_id", BigId, sa.ForeignKey("channel_identities.id", ondelete="SET NULL")),
        sa.Column("customer_id", BigId, sa.ForeignKey("customers.id", ondelete="SET NULL")),
        sa.Column("agent_id", BigId, sa.ForeignKey("agents.id", ondelete="SET NULL")),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("commented_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("ticket_id", name="uq_csat_ticket"),
    )
    op.create_index("ix_csat_identity_asked", "csat_surveys", ["identity_id", "asked_at"])
    op.create_index("ix_csat_customer_asked", "csat_surveys", ["customer_id", "asked_at"])
    op.create_index("ix_csat_asked", "csat_surveys", ["asked_at"])
    # The reports page reads conversations and tickets by the time they started.
    op.create_index("ix_report_conversation_created", "conversations", ["created_at"])
    op.create_index("ix_report_ticket_created", "tickets", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_report_ticket_created", table_name="tickets")
    op.drop_index("ix_report_conversation_created", table_name="conversations")
    op.drop_index("ix_csat_asked", table_name="csat_surveys")
    op.drop_index("ix_csat_customer_asked", table_name="csat_surveys")
    op.drop_index("ix_csat_identity_asked", table_name="csat_surveys")
    op.drop_table("csat_surveys")
