"""Alembic migrations, shipped inside the package; see env.py."""

from __future__ import annotations

from typing import Any

# The newest revision in versions/. Opening a database compares against this instead of
# loading Alembic; tests/storage/test_migrations.py checks it matches the scripts.
HEAD_REVISION = "0015"

# Search machinery the models do not describe: FTS5 tables (and their shadow tables) on SQLite,
# generated search columns on PostgreSQL. Alembic's comparison must not try to drop them.
SEARCH_TABLE_PREFIXES = ("person_fts", "interaction_fts")
_SEARCH_TABLE_PREFIXES = SEARCH_TABLE_PREFIXES
_SEARCH_INDEX_PREFIXES = ("ix_person_search_", "ix_interaction_tsv")
_SEARCH_COLUMNS = {
    ("person_search", "vector"),
    ("person_search", "document"),
    ("interaction", "search_vector"),
}


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave the search tables and columns, which the models do not describe, to the migrations."""
    if type_ == "table" and name and name.startswith(_SEARCH_TABLE_PREFIXES):
        return False
    if type_ == "column" and reflected and compare_to is None:
        table = obj.table.name
        if (table, name) in _SEARCH_COLUMNS:
            return False
    return not (type_ == "index" and name and name.startswith(_SEARCH_INDEX_PREFIXES))
