"""business hours and holidays, agents' availability, languages and capacity

- weekly_hours: the team's opening intervals per weekday (JST minutes after midnight).
- day_overrides: dated closures, and public holidays the admins keep open.
- agents.presence: online | away as the agent chose in the console (offline = no live session).
- agents.languages: the languages an agent serves (comma-separated codes); agents.capacity: their
  own cap on auto-assigned open conversations (NULL: the team default); agents.assign_turn: the
  round robin's turn (a counter: the clock may give two assignments the same instant).
The assignment mode, default capacity and on-call handle live in the existing flags table.

Revision ID: 0006b
Revises: 0006c
Create Date: 2026-12-01 16:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006b"
down_revision: str | Sequence[str] | None = "0006c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "weekly_hours",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
    )
    op.create_table(
        "day_overrides",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("agents", sa.Column("presence", sa.String(8), nullable=False, server_default="online"))
    op.add_column("agents", sa.Column("languages", sa.String(64), nullable=False, server_default=""))
    op.add_column("agents", sa.Column("capacity", sa.Integer(), nullable=True))
    op.add_column("agents", sa.Column("assign_turn", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("assign_turn")
        batch.drop_column("capacity")
        batch.drop_column("languages")
        batch.drop_column("presence")
    op.drop_table("day_overrides")
    op.drop_table("weekly_hours")
