"""keep each person's last contact on their row; indexes for the people list

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 07:30:00

``person.last_interaction_at`` is the newest ``occurred_at`` of the person's interactions. The
people table and search show it on every row; computing it meant reading every interaction of
every person on the page. Database triggers keep it, so every way of writing interactions
(logging, editing, deleting, merging people, imports, erasure) keeps it right without
remembering to.

Also: ``interaction_person(person_id, interaction_id)`` replaces the index on ``person_id``
alone (a person's interactions without visiting the link table's rows), and first names are
indexed with the surname so one- and two-letter searches read them in the order they show.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Plain ALTER/CREATE statements, not batch mode: a batch "move and copy" of a table on SQLite
# would drop the triggers that keep the full-text indexes in step.

_NEWEST_FOR = (
    "(SELECT max(i.occurred_at) FROM interaction_person ip "
    "JOIN interaction i ON i.id = ip.interaction_id WHERE ip.person_id = {person})"
)

_SQLITE_TRIGGERS = (
    # A new link: the interaction is the newest unless the person has a newer one.
    "CREATE TRIGGER person_last_contact_ai AFTER INSERT ON interaction_person BEGIN "
    "UPDATE person SET last_interaction_at = "
    "(SELECT occurred_at FROM interaction WHERE id = new.interaction_id) "
    "WHERE id = new.person_id AND (last_interaction_at IS NULL OR last_interaction_at < "
    "(SELECT occurred_at FROM interaction WHERE id = new.interaction_id)); END",
    "CREATE TRIGGER person_last_contact_ad AFTER DELETE ON interaction_person BEGIN "
    "UPDATE person SET last_interaction_at = "
    + _NEWEST_FOR.format(person="old.person_id")
    + " WHERE id = old.person_id; END",
    "CREATE TRIGGER person_last_contact_au AFTER UPDATE ON interaction_person BEGIN "
    "UPDATE person SET last_interaction_at = "
    + _NEWEST_FOR.format(person="person.id")
    + " WHERE id IN (old.person_id, new.person_id); END",
    "CREATE TRIGGER interaction_last_contact_au AFTER UPDATE OF occurred_at ON interaction "
    "BEGIN UPDATE person SET last_interaction_at = "
    + _NEWEST_FOR.format(person="person.id")
    + " WHERE id IN (SELECT person_id FROM interaction_person WHERE interaction_id = new.id); END",
)

_POSTGRESQL_FUNCTION = (
    "CREATE FUNCTION crm_refresh_last_contact() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_TABLE_NAME = 'interaction' THEN "
    "  UPDATE person SET last_interaction_at = "
    + _NEWEST_FOR.format(person="person.id")
    + "  WHERE id IN (SELECT person_id FROM interaction_person WHERE interaction_id = NEW.id); "
    "ELSIF TG_OP = 'INSERT' THEN "
    "  UPDATE person SET last_interaction_at = i.occurred_at FROM interaction i "
    "  WHERE i.id = NEW.interaction_id AND person.id = NEW.person_id "
    "  AND (person.last_interaction_at IS NULL OR person.last_interaction_at < i.occurred_at); "
    "ELSIF TG_OP = 'DELETE' THEN "
    "  UPDATE person SET last_interaction_at = "
    + _NEWEST_FOR.format(person="person.id")
    + "  WHERE id = OLD.person_id; "
    "ELSE "
    "  UPDATE person SET last_interaction_at = "
    + _NEWEST_FOR.format(person="person.id")
    + "  WHERE id IN (OLD.person_id, NEW.person_id); "
    "END IF; "
    "RETURN NULL; "
    "END $$"
)

_POSTGRESQL_TRIGGERS = (
    "CREATE TRIGGER person_last_contact AFTER INSERT OR UPDATE OR DELETE ON interaction_person "
    "FOR EACH ROW EXECUTE FUNCTION crm_refresh_last_contact()",
    "CREATE TRIGGER interaction_last_contact AFTER UPDATE OF occurred_at ON interaction "
    "FOR EACH ROW WHEN (OLD.occurred_at IS DISTINCT FROM NEW.occurred_at) "
    "EXECUTE FUNCTION crm_refresh_last_contact()",
)


def upgrade() -> None:
    # An interrupted run of an older version (before upgrades were one transaction on
    # SQLite) could leave this column added and the revision unchanged.
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("person")}
    if "last_interaction_at" not in columns:
        op.add_column(
            "person", sa.Column("last_interaction_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE person SET last_interaction_at = " + _NEWEST_FOR.format(person="person.id"))
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.execute(_POSTGRESQL_FUNCTION)
        for statement in _POSTGRESQL_TRIGGERS:
            op.execute(statement)

    op.drop_index("ix_interaction_person_person_id", table_name="interaction_person")
    op.create_index(
        "ix_interaction_person_person", "interaction_person", ["person_id", "interaction_id"]
    )
    op.drop_index("ix_person_first_name", table_name="person")
    op.create_index(
        "ix_person_first_name_sort", "person", [sa.text("lower(first_name)"), "sort_name", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_person_first_name_sort", table_name="person")
    op.create_index("ix_person_first_name", "person", [sa.text("lower(first_name)")])
    op.drop_index("ix_interaction_person_person", table_name="interaction_person")
    op.create_index("ix_interaction_person_person_id", "interaction_person", ["person_id"])
    if op.get_bind().dialect.name == "sqlite":
        for name in (
            "person_last_contact_ai",
            "person_last_contact_ad",
            "person_last_contact_au",
            "interaction_last_contact_au",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        # DROP COLUMN without batch mode (SQLite 3.35+), so the search triggers survive.
        op.execute("ALTER TABLE person DROP COLUMN last_interaction_at")
    else:
        op.execute("DROP TRIGGER IF EXISTS interaction_last_contact ON interaction")
        op.execute("DROP TRIGGER IF EXISTS person_last_contact ON interaction_person")
        op.execute("DROP FUNCTION IF EXISTS crm_refresh_last_contact()")
        op.drop_column("person", "last_interaction_at")
