"""agents' accounts that hold: forced password change, TOTP second factor, recovery codes

- agents.must_change_password: set by an admin's reset (and a generated first password); until the
  agent chooses a password of their own, the console shows them only the change-password page.
- agents.password_changed_at: when the agent last set their password.
- agents.totp_secret: the TOTP secret, encrypted with a key derived from the app secret (never stored
  or logged in clear); agents.totp_enabled_at is set once a code confirmed the enrolment, and
  agents.totp_last_step is the last time step accepted, so a code is never accepted twice.
- agents.totp_required: an admin requires the second factor of this agent.
- agent_sessions.verified_at: when the session passed the second factor (NULL: it is still waiting for
  the code and reaches nothing else).
- agent_recovery_codes: sha256 of each one-time recovery code, and when it was used.

Failed sign-ins per (account, address) are kept in the existing login_attempts table under a hashed
key, so no table is needed for them.

Revision ID: 0005a
Revises: 0004
Create Date: 2026-12-01 13:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005a"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column(
        "agents", sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("agents", sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("agents", sa.Column("totp_secret", sa.String(300), nullable=True))
    op.add_column("agents", sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("agents", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column(
        "agents", sa.Column("totp_required", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("agent_sessions", sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
    # Sessions that exist before this release signed in with what was enough then.
    op.execute("UPDATE agent_sessions SET verified_at = created_at")
    op.create_table(
        "agent_recovery_codes",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "agent_id", BigId, sa.ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("agent_recovery_codes")
    with op.batch_alter_table("agent_sessions") as batch:
        batch.drop_column("verified_at")
    with op.batch_alter_table("agents") as batch:
        for column in (
            "totp_required",
            "totp_last_step",
            "totp_enabled_at",
            "totp_secret",
            "password_changed_at",
            "must_change_password",
        ):
            batch.drop_column(column)
