"""Alembic environment: runs on the connection handed over by crm.storage.db, or on a URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from crm.storage.models import Base

config = context.config
target_metadata = Base.metadata

# Search machinery the models do not describe: FTS5 tables (and their shadow tables) on SQLite,
# generated search columns on PostgreSQL. Alembic's comparison must not try to drop them.
_SEARCH_TABLE_PREFIXES = ("person_fts", "interaction_fts")
_SEARCH_INDEX_PREFIXES = ("ix_person_search_", "ix_interaction_tsv")
_SEARCH_COLUMNS = {
    ("person_search", "vector"),
    ("person_search", "document"),
    ("interaction", "search_vector"),
}


def include_object(obj, name, type_, reflected, compare_to):
    if type_ == "table" and name and name.startswith(_SEARCH_TABLE_PREFIXES):
        return False
    if type_ == "column" and reflected and compare_to is None:
        table = obj.table.name
        if (table, name) in _SEARCH_COLUMNS:
            return False
    return not (type_ == "index" and name and name.startswith(_SEARCH_INDEX_PREFIXES))


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        compare_type=True,
    )


connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
