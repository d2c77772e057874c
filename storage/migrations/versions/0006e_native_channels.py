"""native channel features: LINE rich menus per language and which one each LINE user has

- line_rich_menus: per locale, the rich menu id LINE gave and the content hash it was built from.
- line_menu_links: per LINE user, the rich menu last linked (NULL row: the default menu).

Revision ID: 0006e
Revises: 0005a
Create Date: 2026-12-01 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006e"
down_revision: str | Sequence[str] | None = "0005a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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
    op.drop_table("line_menu_links")
    op.drop_table("line_rich_menus")
