"""Candidate matching's index: only the candidates, and their ids (a covering partial index)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 14:00:00

``ix_person_candidate_match`` (0008) led with ``is_candidate`` and did not hold ``id``.
SQLite's indexes carry the rowid, so it ranked on the index alone there; PostgreSQL's
cannot answer an index-only scan without ``id`` and scanned the whole ``person`` table
instead. The new index holds only the candidates (``WHERE is_candidate IS true``, the
condition the ranking query states word for word, so both planners can use it) and ends
with ``id``: an index-only scan on PostgreSQL, a smaller index to walk on SQLite.

One drop and one create, in the one transaction the database opener gives every migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_OLD = [
    "is_candidate",
    "available_from",
    "do_not_contact",
    "last_interaction_at",
    "day_rate_expectation",
    "ir35_preference",
    "willing_to_travel",
    "candidate_sectors",
    "location",
    "specialisms",
]
# The two equalities first (SQLite ranges over them; without them in front it preferred
# ix_person_keep_in_touch, which reads the table rows), then what the score reads, then id.
_NEW = [
    "is_candidate",
    "do_not_contact",
    "available_from",
    *_OLD[3:],
    "id",
]


def upgrade() -> None:
    op.drop_index("ix_person_candidate_match", table_name="person")
    where = sa.text("is_candidate IS true" if _postgres() else "is_candidate IS 1")
    op.create_index(
        "ix_person_candidate_match",
        "person",
        _NEW,
        postgresql_where=where,
        sqlite_where=where,
    )


def downgrade() -> None:
    op.drop_index("ix_person_candidate_match", table_name="person")
    op.create_index("ix_person_candidate_match", "person", _OLD)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"
