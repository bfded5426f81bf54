"""indexes for the Today page at 100,000 people: available candidates and keep-in-touch

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-02 07:50:00

Measured on the benchmark database (100,000 people, 1,000,000 interactions):

- ``ix_person_available_candidate``: candidates free within the weeks are counted from the
  index alone (the index on ``available_from`` alone read 19,000 person rows for it);
- ``ix_person_keep_in_touch``: people overdue on their kind's cadence are counted and listed
  in order of last contact from the index alone (a scan of every person row before);
- ``ix_person_own_cadence``: the few people with a cadence of their own;
- ``ix_placement_busy``: the current placements' candidates without visiting placement rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None

# Plain CREATE INDEX, not batch mode (see 0004: a batch copy of person drops its triggers).


def upgrade() -> None:
    op.create_index(
        "ix_person_available_candidate",
        "person",
        ["available_from", "is_candidate", "do_not_contact"],
    )
    op.create_index(
        "ix_person_keep_in_touch",
        "person",
        [
            "is_candidate",
            "do_not_contact",
            "last_interaction_at",
            "created_at",
            "is_client_contact",
            "contact_every_weeks",
        ],
    )
    op.create_index(
        "ix_person_own_cadence",
        "person",
        ["contact_every_weeks"],
        sqlite_where=sa.text("contact_every_weeks IS NOT NULL"),
        postgresql_where=sa.text("contact_every_weeks IS NOT NULL"),
    )
    op.create_index("ix_placement_busy", "placement", ["status", "end_date", "candidate_id"])


def downgrade() -> None:
    op.drop_index("ix_placement_busy", table_name="placement")
    op.drop_index("ix_person_own_cadence", table_name="person")
    op.drop_index("ix_person_keep_in_touch", table_name="person")
    op.drop_index("ix_person_available_candidate", table_name="person")
