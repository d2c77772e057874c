"""merge the two 0003 branches (the LINE reply record and the identity-link limits)

Both were written side by side from 0002; this joins them so the history has one head again.

Revision ID: 0004
Revises: 0003a, 0003b
Create Date: 2026-12-01 12:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | Sequence[str] | None = ("0003a", "0003b")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
