"""X reads per resource per UTC day, and a refresh cadence per X account

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 13:00:00

A new table and one nullable column: ``ALTER TABLE ... ADD COLUMN`` works the same on SQLite
and PostgreSQL without a batch copy of ``x_account``, and the whole upgrade runs in the
one transaction the database opener gives every migration, so it is all or nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "x_read",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("cost_micros", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "kind", "resource_id", name="pk_x_read"),
    )
    op.add_column("x_account", sa.Column("refresh_cadence", sa.String(10)))


def downgrade() -> None:
    op.drop_column("x_account", "refresh_cadence")
    op.drop_table("x_read")
