"""search documents carry the person's sort name

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 07:40:00

Search lists equally ranked people by name. On PostgreSQL the ranking reads
``person_search`` rows anyway (ts_rank needs the vector), so with the sort name beside the
vector a page of results is ordered without visiting ``person`` for every tied hit.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not batch mode: on SQLite a batch copy of person_search would drop
    # the triggers that feed person_fts. Before upgrades were one transaction on SQLite, an
    # interrupted run could leave the column added and the revision unchanged: then it is
    # there already.
    if not _has_column("person_search", "sort_name"):
        op.add_column(
            "person_search",
            sa.Column("sort_name", sa.String(201), nullable=False, server_default=""),
        )
    op.execute(
        "UPDATE person_search SET sort_name = "
        "(SELECT sort_name FROM person WHERE person.id = person_search.person_id)"
    )


def _has_column(table: str, column: str) -> bool:
    return column in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE person_search DROP COLUMN sort_name")
    else:
        op.drop_column("person_search", "sort_name")
