"""outbox: when a reply with the row's reply token was first attempted

A reply token is single-use and a reply request carries no retry key, so a reply whose answer was
lost (a timeout, a crash before "sent" was committed) cannot be told apart from one that never
arrived unless we know we tried. The delivery worker records the attempt here, durably, before the
request leaves; a later attempt that finds it set never falls back to a push (docs/line.md).

Revision ID: 0003a
Revises: 0002
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003a"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_attempted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("reply_attempted_at")
