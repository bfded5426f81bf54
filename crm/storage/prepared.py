"""SELECTs compiled once and run on the driver's own cursor.

A search runs on every keystroke, and its statement takes about 1.4 ms on 100,000 people.
Through an ORM session and a ``Result`` the same rows cost another 0.5 ms: the session, the
execution context and per-row processing objects. :func:`compile_select` does SQLAlchemy's
work once per statement and dialect (the SQL text, the parameter order, the bind and result
processors of each column's type), so that :meth:`crm.storage.db.Database.rows` is left with
the driver call and the conversions the column types ask for, the same values a ``Result``
would give.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Select, TextClause
from sqlalchemy.exc import InvalidRequestError

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class CompiledSelect:
    """A SELECT ready for ``cursor.execute(sql, compiled.parameters(params))``."""

    sql: str
    # Positional drivers (sqlite3) take the values in this order; named ones (psycopg) a dict.
    order: tuple[str, ...] | None
    defaults: Mapping[str, Any]
    binds: Mapping[str, Processor]
    results: tuple[tuple[int, Processor], ...]

    def parameters(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The driver's parameters: ``params`` over the statement's own values. Names the
        statement does not use are ignored, as ``Connection.execute`` ignores them."""
        values = {name: params.get(name, value) for name, value in self.defaults.items()}
        missing = [name for name, value in values.items() if value is _REQUIRED]
        if missing:
            raise KeyError(f"parameters missing: {sorted(missing)}")
        for name, process in self.binds.items():
            values[name] = process(values[name])
        if self.order is None:
            return values
        return [values[name] for name in self.order]

    def convert(self, rows: list[Any]) -> list[Sequence[Any]]:
        """The rows as their columns' types deliver them (booleans, dates, aware datetimes
        on SQLite), as a ``Result`` would."""
        if not self.results:
            return rows
        converted: list[Sequence[Any]] = []
        for row in rows:
            values = list(row)
            for index, process in self.results:
                values[index] = process(values[index])
            converted.append(values)
        return converted


class _Required:
    def __repr__(self) -> str:
        return "<required>"


_REQUIRED: Any = _Required()


def compile_select(statement: Select[Any] | TextClause, dialect: Dialect) -> CompiledSelect:
    compiled = statement.compile(dialect=dialect)
    if "POSTCOMPILE" in compiled.string:
        raise ValueError("expanding IN and literal-execute parameters are rendered per call")
    defaults: dict[str, Any] = {}
    binds: dict[str, Processor] = {}
    for bind, name in compiled.bind_names.items():
        if bind.callable is not None:
            raise ValueError(f"{name!r}: a callable parameter is evaluated per call")
        defaults[name] = _REQUIRED if bind.required else bind.value
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            binds[name] = process
    results = []
    # Plain text has no typed columns: its values come as the driver gives them.
    for index, column in enumerate(getattr(statement, "selected_columns", ())):
        convert = _result_processor(column.type, dialect)
        if convert is not None:
            results.append((index, convert))
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    return CompiledSelect(compiled.string, order, defaults, binds, tuple(results))


def _result_processor(type_: Any, dialect: Dialect) -> Processor | None:
    try:
        return type_.dialect_impl(dialect).result_processor(dialect, None)  # type: ignore[no-any-return]
    except (TypeError, InvalidRequestError):
        # psycopg's NUMERIC asks for the column's type code, which is only known once the
        # statement has run; psycopg returns NUMERIC as Decimal itself.
        return None
