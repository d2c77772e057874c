"""customers' phone numbers in E.164

What the console and the CSV import store from this release on (+819012345678): numbers already kept
are rewritten the same way. National numbers are read for the region of the customer's time zone
(Japan when it is unknown). A number that cannot be read is left exactly as it was: nothing is lost,
and an agent sees it as typed.

The rules are written out here rather than imported from the app on purpose: a migration must mean
the same thing whatever the app's code later becomes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 11:00:00
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import phonenumbers
import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REGION_OF_ZONE = {
    "Asia/Tokyo": "JP",
    "Asia/Shanghai": "CN",
    "Asia/Chongqing": "CN",
    "Asia/Taipei": "TW",
    "Asia/Hong_Kong": "HK",
    "Asia/Seoul": "KR",
    "Asia/Bangkok": "TH",
    "Asia/Ho_Chi_Minh": "VN",
    "Asia/Saigon": "VN",
}

customers = sa.table(
    "customers",
    sa.column("id", sa.BigInteger),
    sa.column("phone", sa.String),
    sa.column("timezone", sa.String),
)


def e164(raw: str, zone: str | None) -> str | None:
    text = unicodedata.normalize("NFKC", raw).strip()
    try:
        number = phonenumbers.parse(text, REGION_OF_ZONE.get(zone or "", "JP"))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(customers.c.id, customers.c.phone, customers.c.timezone).where(
            customers.c.phone.is_not(None)
        )
    ).all()
    for row in rows:
        normalized = e164(row.phone, row.timezone)
        if normalized is not None and normalized != row.phone:
            bind.execute(customers.update().where(customers.c.id == row.id).values(phone=normalized))


def downgrade() -> None:
    # E.164 is a valid way to write every number the previous release accepted: nothing to undo.
    pass
