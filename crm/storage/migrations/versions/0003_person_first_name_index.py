"""index first names for one- and two-letter searches

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 04:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_person_first_name", "person", [sa.text("lower(first_name)")])


def downgrade() -> None:
    op.drop_index("ix_person_first_name", table_name="person")
