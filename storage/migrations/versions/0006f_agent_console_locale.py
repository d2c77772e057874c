"""agents.console_locale: the language each agent's console is shown in

The console has catalogs of its own (Japanese and English); each agent chooses theirs on the account
page. Existing agents get Japanese, the console's default.

Revision ID: 0006f
Revises: 0006d
Create Date: 2026-12-01 16:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006f"
down_revision: str | Sequence[str] | None = "0006d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("agents", sa.Column("console_locale", sa.String(8), nullable=False, server_default="ja"))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("console_locale")
