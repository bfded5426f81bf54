"""Opening the database: URL resolution, engine set-up, migrations, backups and sessions.

A :class:`Database` is cheap to pass around; a Session is opened per user action with
:meth:`Database.session` and never held by UI code.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Select, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.exc import (
    DisconnectionError,
    IntegrityError,
    InvalidRequestError,
    OperationalError,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from crm import settings
from crm.domain.errors import CrmError, DatabaseError, ValidationError
from crm.storage import limits, search, sqlite_files
from crm.storage.migrations import HEAD_REVISION, SEARCH_TABLE_PREFIXES
from crm.storage.models import Base
from crm.storage.prepared import CompiledSelect, compile_select

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def default_sqlite_path() -> Path:
    try:
        return settings.data_dir() / "crm.sqlite3"
    except OSError as exc:  # the data folder cannot be made (a file in the way, no permission)
        raise DatabaseError(
            f"Cannot create the data folder {exc.filename or ''}: {exc.strerror or exc}."
        ) from None


def resolve_url(url: str | None = None) -> URL:
    """The database URL: argument, then ``CRM_DATABASE_URL``/settings, then the SQLite file."""
    text = url or str(settings.get("database_url") or "")
    if not text:
        text = f"sqlite:///{default_sqlite_path()}"
    try:
        parsed = make_url(text)
    except Exception:
        raise DatabaseError(f"{text!r} is not a database URL.") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(f"Only SQLite and PostgreSQL are supported, not {parsed.drivername}.")
    return parsed


#: How much of a SQLite file is read through a memory map (SQLite's default: none).
MMAP_BYTES = 1 << 30


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 16 MB instead of SQLite's 2 MB: a search's ranking and its page of rows otherwise
    # evict each other (measured in bench: single-word search 3.6-4.3x -> ~3x its floor).
    cursor.execute("PRAGMA cache_size=-16384")
    # Pages read through a memory map instead of a read() into the page cache each: the Today
    # page at 100,000 people reads ~1,000 pages a call, 100 -> 89 ms of CPU (A/B in
    # docs/performance.md). Address space only; the pages are the OS's file cache.
    cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    cursor.close()


# A pooled PostgreSQL connection unused for this long is checked with a ping before use: the
# server may have restarted or a firewall dropped it. One used moments ago is not (a ping on
# every checkout is a round trip per keystroke of a search).
IDLE_PING_SECONDS = 10.0
_LAST_USED = "crm_last_used"


def _note_use(_dbapi_connection: Any, record: ConnectionPoolEntry, *_args: Any) -> None:
    record.info[_LAST_USED] = time.monotonic()


def _ping_if_idle(engine: Engine) -> Any:
    def checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                # The pool discards this connection and checks out another.
                raise DisconnectionError(str(exc)) from exc
            raise
        record.info[_LAST_USED] = time.monotonic()

    return checkout


def _roll_back(session: Session) -> None:
    """Roll a failed unit of work back. On a connection that is gone (a server restart, a
    dropped network) the rollback itself fails, and need not succeed: the server ends the
    transaction with the connection. Then the connection is discarded and the error that
    stopped the work is the one reported, not the rollback's."""
    try:
        session.rollback()
    except SADatabaseError as exc:
        log.info("Rollback failed (%s); the connection is discarded", exc.orig or exc)
        session.invalidate()


def _refuse_writes(session: Session, *_args: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise InvalidRequestError("Database.read() sessions do not write; use session().")


def alembic_config(connection: Any | None = None) -> Config:
    # Alembic is imported only when a migration has to run: it costs a quarter of a second
    # of start-up, and a database at HEAD_REVISION needs none of it.
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


class Database:
    """One database (a SQLite file or a PostgreSQL database) and its session factory."""

    def __init__(self, url: str | URL | None = None, *, echo: bool = False) -> None:
        self.url = url if isinstance(url, URL) else resolve_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            if self.url.database and self.url.database != ":memory:":
                folder = Path(self.url.database).parent
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise DatabaseError(
                        f"Cannot create the folder {folder}: {exc.strerror or exc}."
                    ) from None
        else:
            kwargs.update(pool_size=5, max_overflow=5)
        self.engine: Engine = create_engine(self.url, **kwargs)
        reads = self.engine
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            for name in ("connect", "checkin"):
                event.listen(self.engine, name, _note_use)
            event.listen(self.engine, "checkout", _ping_if_idle(self.engine))
            # Reads run without BEGIN and ROLLBACK: two round trips of three for a search.
            # Under READ COMMITTED every statement takes its own snapshot anyway, so a
            # transaction around reads adds no consistency. (sqlite3 begins one only for
            # writes already.)
            reads = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        search.install_hooks(self._sessions)
        limits.install_hooks(self._sessions)
        self._reads = sessionmaker(reads, expire_on_commit=False)
        event.listen(self._reads, "before_flush", _refuse_writes)
        self._read_engine = reads
        self._compiled: dict[Select[Any], CompiledSelect] = {}

    # -- description ---------------------------------------------------------------
    @property
    def sqlite_path(self) -> Path | None:
        if self.is_sqlite and self.url.database and self.url.database != ":memory:":
            return Path(self.url.database)
        return None

    def describe(self) -> str:
        """Which database is open, for the status bar: a file path or host and database."""
        if self.is_sqlite:
            return f"SQLite: {self.sqlite_path or 'in memory'}"
        host = self.url.host or "localhost"
        port = f":{self.url.port}" if self.url.port else ""
        return f"PostgreSQL: {host}{port}/{self.url.database}"

    # -- sessions ------------------------------------------------------------------
    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commits when the block ends, rolls back everything on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException as exc:
            _roll_back(session)
            known = self._known_error(exc)
            if known is not None:
                raise known from None
            raise
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries only: nothing is written (a flush is refused)."""
        session = self._reads()
        try:
            yield session
        except SADatabaseError as exc:
            known = self._known_error(exc)
            if known is None:
                raise
            raise known from None
        finally:
            session.rollback()
            session.close()

    def rows(self, statement: Select[Any], params: Mapping[str, Any]) -> list[Sequence[Any]]:
        """The rows of a SELECT, by position, straight from the driver's cursor: compiled
        once per statement (pass the same statement object each time), each column
        converted by its type as a ``Result`` would convert it. For the few statements run on
        every keystroke; anything else reads through :meth:`read`."""
        compiled = self._compiled.get(statement)
        if compiled is None:
            compiled = self._compiled[statement] = compile_select(statement, self.engine.dialect)
        values = compiled.parameters(params)
        driver_error = self.engine.dialect.loaded_dbapi.Error
        try:
            with self._read_engine.connect() as conn:
                pooled = conn.connection
                cursor = pooled.driver_connection.cursor()  # type: ignore[union-attr]
                try:
                    cursor.execute(compiled.sql, values)
                    fetched = cursor.fetchall()
                except driver_error as exc:
                    if self.engine.dialect.is_disconnect(exc, pooled.dbapi_connection, cursor):
                        conn.invalidate(exc)  # the pool opens a new connection next time
                    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                    raise DatabaseError(f"{self.describe()} could not answer: {detail}") from exc
                finally:
                    cursor.close()
        except OperationalError as exc:  # no connection to be had
            raise (self._known_error(exc) or exc) from None
        return compiled.convert(fetched)

    def _known_error(self, exc: BaseException) -> CrmError | None:
        """Database trouble a user can act on (locked, gone, disk full, a rule broken by a
        simultaneous save) as a clear error instead of a crash report."""
        if isinstance(exc, IntegrityError):
            log.info("Refused by a database constraint: %s", exc.orig)
            return ValidationError(
                "That clashes with a record saved at the same moment (the same name or code "
                "twice, or a record that no longer exists). Nothing was saved; try again."
            )
        if isinstance(exc, SADatabaseError) and self._damaged(exc):
            return self._open_error(exc)
        dbapi = self.engine.dialect.loaded_dbapi
        if isinstance(exc, dbapi.Error):
            # Raised by the driver's own cursor (PostgreSQL's COPY in a bulk import), so not
            # wrapped by SQLAlchemy: the same errors, told the same way.
            if isinstance(exc, dbapi.IntegrityError):
                return self._known_error(IntegrityError(None, None, exc))
            if isinstance(exc, dbapi.OperationalError):
                return self._known_error(OperationalError(None, None, exc))
        if isinstance(exc, OperationalError):
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            return DatabaseError(
                f"{self.describe()} could not complete the change: {detail}. Nothing was saved."
            )
        return None

    def _damaged(self, exc: SADatabaseError) -> bool:
        # SQLITE_CORRUPT and SQLITE_NOTADB reach Python as the plain DatabaseError class.
        return self.is_sqlite and type(exc.orig) is sqlite3.DatabaseError

    # -- schema --------------------------------------------------------------------
    def _open_error(self, exc: SADatabaseError) -> DatabaseError:
        """Why the database cannot be opened, in one line."""
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if self._damaged(exc):
            if "not a database" in detail:
                return DatabaseError(
                    f"{self.describe()} is not an SQLite database file (or is damaged beyond "
                    "reading); choose the right file, or restore a backup with 'crm db "
                    "restore FILE'."
                )
            return DatabaseError(
                f"{self.describe()} is damaged ({detail}); restore it from a backup "
                "with 'crm db restore FILE'."
            )
        return DatabaseError(f"Cannot open {self.describe()}: {detail}.")

    def _check_file(self) -> None:
        """Refuse a SQLite path that is a folder, a device, a text file or a file cut short
        before SQLite is let near it (it would say 'file is not a database' at best)."""
        path = self.sqlite_path
        if path is not None:
            sqlite_files.check_file(path, self.describe(), read_header=False)
            sqlite_files.check_folder(path.parent)

    def _state(self) -> tuple[str | None, list[str]]:
        """The schema revision (None if there is none) and the tables there are."""
        self._check_file()
        try:
            with self.engine.connect() as conn:
                return _schema_state(conn)
        except SADatabaseError as exc:
            raise self._open_error(exc) from None

    def current_revision(self) -> str | None:
        return self._state()[0]

    def is_empty_schema(self) -> bool:
        return not self._state()[1]

    def check(self) -> str:
        """``"current"``, ``"behind"`` or raises: a database newer than this program, or one
        that belongs to another program, is refused."""
        revision, tables = self._state()
        if revision == HEAD_REVISION:
            return "current"
        _judge(revision, tables, self.describe())
        return "behind"

    def upgrade(self, *, backup: bool = True) -> Path | None:
        """Bring the schema to the newest revision in one transaction; back a SQLite file up
        first if it has data (once per upgrade: a retry after a failed one keeps that copy)."""
        revision, tables = self._state()
        if revision == HEAD_REVISION:
            return None
        _judge(revision, tables, self.describe())
        backup_path: Path | None = None
        if backup and self.sqlite_path is not None and revision is not None:
            backup_path = self._backup_before_upgrade(revision)
        self._migrate()
        return backup_path

    def _migrate(self) -> None:
        from alembic import command

        if not self.is_sqlite:
            try:
                with self.engine.begin() as conn:  # PostgreSQL's DDL is transactional
                    revision, tables = _schema_state(conn)
                    if revision is None and tables:
                        _judge(revision, tables, self.describe())
                        raise DatabaseError(
                            f"{self.describe()} holds Interim CRM tables but no schema "
                            "revision; restore it from a backup."
                        )
                    command.upgrade(alembic_config(conn), "head")
            except SADatabaseError as exc:
                raise self._open_error(exc) from None
            return
        engine = _sqlite_schema_engine(self.url)
        try:
            with engine.connect() as conn:
                # Outside any transaction: SQLite changes the journal mode only there.
                raw = conn.connection.driver_connection
                assert raw is not None
                raw.execute("PRAGMA journal_mode=WAL")
                with conn.begin():  # BEGIN IMMEDIATE: creation or upgrade is all or nothing
                    revision, tables = _schema_state(conn)  # again, under the write lock
                    if revision is None and tables:
                        _clear_half_created(conn, tables, self.describe())
                    command.upgrade(alembic_config(conn), "head")
        except SADatabaseError as exc:
            raise self._open_error(exc) from None
        except sqlite3.Error as exc:  # from the driver's own connection, unwrapped
            raise DatabaseError(f"Cannot open {self.describe()}: {exc}.") from None
        finally:
            engine.dispose()

    def _backup_before_upgrade(self, revision: str) -> Path:
        """A copy of the SQLite file before it is upgraded from ``revision``: a new one, or
        the one an earlier attempt made if the database has not changed since."""
        path = self.sqlite_path
        assert path is not None
        sqlite_files.remove_abandoned(path.parent)
        pattern = f"{path.stem}.before-upgrade-{revision}-*{path.suffix}"
        earlier = list(path.parent.glob(pattern))
        if earlier:
            newest = max(earlier, key=lambda p: p.stat().st_mtime_ns)
            try:
                same = sqlite_files.fingerprint(path) == sqlite_files.fingerprint(newest)
            except sqlite3.Error:
                same = False
            if same:
                log.info("Keeping %s from an earlier attempt to upgrade", newest)
                return newest
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = sqlite_files.unused_beside(
            path.with_name(f"{path.stem}.before-upgrade-{revision}-{stamp}"), path
        )
        self.backup(target)
        log.info("Backed up %s to %s before upgrading", path, target)
        return target

    # -- backups -------------------------------------------------------------------
    def backup(self, target: Path) -> None:
        """An online copy: SQLite's backup API, or pg_dump for PostgreSQL. The copy appears
        whole or not at all (written beside ``target`` and renamed)."""
        target = Path(target)
        if self.sqlite_path is not None:
            if not sqlite_files.check_file(self.sqlite_path, self.describe(), read_header=False):
                raise DatabaseError(f"There is no database at {self.sqlite_path} to back up.")
            if target.resolve() == self.sqlite_path.resolve():
                raise DatabaseError("A backup cannot be written over the database itself.")
            try:
                source = sqlite3.connect(f"{self.sqlite_path.resolve().as_uri()}?mode=ro", uri=True)
            except sqlite3.Error as exc:
                raise DatabaseError(f"Cannot open {self.describe()}: {exc}.") from None
            try:
                sqlite_files.copy_into(source, target)
            finally:
                source.close()
            return
        if not self.is_sqlite:
            self._pg_dump(target)
            return
        raise DatabaseError("An in-memory database cannot be backed up.")

    def restore(self, source: Path) -> Path | None:
        """Replace this database with a backup made by :meth:`backup`.

        The backup is checked first (sound, an Interim CRM database, a schema this version
        can open or upgrade), a copy of the current database is kept (its path is returned;
        None when there was nothing to keep), and only then is the database replaced, in one
        step: a failure at any point leaves it as it was.
        """
        source = Path(source)
        if self.sqlite_path is not None:
            return self._restore_sqlite(source, self.sqlite_path)
        if not self.is_sqlite:
            return self._restore_postgresql(source)
        raise DatabaseError("An in-memory database cannot be restored.")

    def _restore_sqlite(self, source: Path, live: Path) -> Path | None:
        if not sqlite_files.check_file(source, f"The backup {source}", advice=_NOT_RESTORED):
            raise DatabaseError(
                f"The backup {source} is empty." if source.exists() else f"No backup at {source}."
            )
        sqlite_files.check_folder(live.parent)
        if live.exists() and source.resolve() == live.resolve():
            raise DatabaseError(f"{source} is the database itself; choose a backup file.")
        sqlite_files.remove_abandoned(live.parent)
        staged = sqlite_files.temporary_beside(live, "restore")
        try:
            sqlite_files.stage_copy(source, staged)
            _check_staged(staged, source)
            sqlite_files.fsync_path(staged)
            safety = self._safety_copy(live)
            self.engine.dispose()
            sqlite_files.swap_in(staged, live)
        finally:
            sqlite_files.remove_quietly(staged)
        log.info("Restored %s from %s (safety copy: %s)", live, source, safety)
        return safety

    def _safety_copy(self, live: Path) -> Path | None:
        """Keep what the database holds now, next to it, before it is replaced."""
        if not sqlite_files.check_file(live, self.describe(), read_header=False):
            return None
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = sqlite_files.unused_beside(
            live.with_name(f"{live.stem}.before-restore-{stamp}"), live
        )
        try:
            self.backup(target)
            return target
        except DatabaseError:
            if sqlite_files.opens(live):
                raise  # a sound database that cannot be copied there (a full disk...)
        # Damaged beyond SQLite's reading: kept as it is, bytes and journal.
        target = sqlite_files.unused_beside(live.with_name(f"{live.stem}.damaged-{stamp}"), live)
        for suffix in ("", *sqlite_files.SIDECARS):
            if live.with_name(live.name + suffix).exists():
                sqlite_files.copy_file(
                    live.with_name(live.name + suffix), target.with_name(target.name + suffix)
                )
        return target

    def _restore_postgresql(self, source: Path) -> Path | None:
        if not sqlite_files.check_plain_file(source, f"The backup {source}"):
            raise DatabaseError(
                f"The backup {source} is empty." if source.exists() else f"No backup at {source}."
            )
        schema = self._pg_schema()
        _pg_dump_revision(source, schema)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        safety = sqlite_files.unused_beside(
            settings.data_dir() / f"{schema}.before-restore-{stamp}", Path("x.sql")
        )
        self._pg_dump(safety)
        self.engine.dispose()
        # One transaction: a script that fails half-way (or a dropped connection) changes
        # nothing.
        self._pg_tool(
            "psql", ["-v", "ON_ERROR_STOP=1", "--single-transaction", "-q", "-f", str(source)]
        )
        self.upgrade(backup=False)
        return safety

    def _pg_schema(self) -> str:
        try:
            with self.engine.connect() as conn:
                return str(conn.exec_driver_sql("SELECT current_schema()").scalar_one())
        except SADatabaseError as exc:
            raise self._open_error(exc) from None

    def _pg_dump(self, target: Path) -> None:
        target = Path(target)
        if target.is_dir():
            raise DatabaseError(f"{target} is a folder; give a file name for the backup.")
        schema = self._pg_schema()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                f"Cannot create the folder {target.parent}: {exc.strerror or exc}."
            ) from None
        temporary = sqlite_files.temporary_beside(target, "dump")
        try:
            self._pg_tool(
                "pg_dump",
                ["--clean", "--if-exists", "--no-owner", "-n", schema, "-f", str(temporary)],
            )
            sqlite_files.fsync_path(temporary)
            os.replace(temporary, target)
        except OSError as exc:
            raise DatabaseError(f"Could not write {target}: {exc.strerror or exc}.") from None
        finally:
            sqlite_files.remove_quietly(temporary)

    def _pg_tool(self, tool: str, args: list[str]) -> None:
        exe = shutil.which(tool)
        if exe is None:
            raise DatabaseError(f"{tool} is not installed; install the PostgreSQL client tools.")
        url = self.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        result = subprocess.run(
            [exe, "-d", dsn, *args], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            lines = result.stderr.strip().splitlines()
            raise DatabaseError(f"{tool} failed: {lines[-1] if lines else result.returncode}")

    def dispose(self) -> None:
        self.engine.dispose()


# -- schema helpers ------------------------------------------------------------------
# Tables whose presence says a database is Interim CRM's (with an alembic_version).
_CORE_TABLES = frozenset({"person", "organisation", "audit_entry"})


_NOT_RESTORED = "; nothing was restored"


def _schema_state(conn: Any) -> tuple[str | None, list[str]]:
    tables = inspect(conn).get_table_names()
    if "alembic_version" not in tables:
        return None, tables
    version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return (None if version is None else str(version)), tables


def _is_ours(table: str) -> bool:
    return (
        table in Base.metadata.tables
        or table == "alembic_version"
        or table.startswith(SEARCH_TABLE_PREFIXES)
    )


@cache
def _known_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions())


def _judge(revision: str | None, tables: list[str], name: str, *, restoring: bool = False) -> None:
    """Refuse a database that belongs to another program or to a newer version of this one."""
    advice = "nothing was restored" if restoring else "choose a new file or an empty database"
    if revision is None:
        foreign = sorted(t for t in tables if not _is_ours(t))
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise DatabaseError(
                f"{name} belongs to another program (it holds the tables {shown}) and is not "
                f"an Interim CRM database; {advice}."
            )
        return
    if not set(tables) >= _CORE_TABLES:
        raise DatabaseError(
            f"{name} belongs to another program (schema {revision}) and is not an Interim "
            f"CRM database; {advice}."
        )
    if revision not in _known_revisions():
        raise DatabaseError(
            f"{name} was written by a newer version of Interim CRM (schema {revision}); "
            + ("nothing was restored." if restoring else "update the program before opening it.")
        )


def _clear_half_created(conn: Any, tables: list[str], name: str) -> None:
    """Remove what an interrupted first run (before schema changes were atomic) left: our
    tables, all empty, and no revision. Runs inside the upgrade's transaction."""
    for table in tables:
        if (
            table in Base.metadata.tables
            and conn.exec_driver_sql(f'SELECT 1 FROM "{table}" LIMIT 1').first()
        ):
            raise DatabaseError(
                f"{name} holds Interim CRM records but no schema revision; restore it from a "
                "backup with 'crm db restore FILE'."
            )
    log.warning("%s was left half-created by an interrupted run; creating it again", name)
    rows = conn.exec_driver_sql(
        "SELECT name, sql LIKE 'CREATE VIRTUAL%' FROM sqlite_master "
        "WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' ESCAPE '~'"
    ).all()
    # Virtual tables first: dropping one drops its shadow tables with it.
    for table, _virtual in sorted(rows, key=lambda row: not row[1]):
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}"')


def _driver_leaves_transactions_to_us(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # SQLAlchemy's documented recipe for real transactions with the sqlite3 driver: by
    # default the driver begins a transaction only before INSERT/UPDATE/DELETE, so each
    # CREATE or ALTER of a migration commits on its own and a kill leaves half a schema.
    dbapi_connection.isolation_level = None


def _begin_immediate(conn: Any) -> None:
    # IMMEDIATE takes the write lock at once: two programs upgrading the same file at the
    # same moment run one after the other, and the second finds nothing left to do.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_schema_engine(url: URL) -> Engine:
    """An engine for creating and upgrading a SQLite schema, where every transaction is one
    SQLite transaction, DDL included (the app's sessions keep the driver's default, which
    lets readers and writers overlap without 'database is locked')."""
    engine = create_engine(url, poolclass=NullPool)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "connect", _driver_leaves_transactions_to_us)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _check_staged(staged: Path, source: Path) -> None:
    """Refuse a damaged backup, another program's database, or a newer schema; bring an
    older one up to date. Only the staged copy is touched."""
    name = f"The backup {source}"
    conn = sqlite3.connect(staged)
    try:
        problem = sqlite_files.integrity_problem(conn)
    finally:
        conn.close()
    if problem:
        raise DatabaseError(f"{name} is damaged ({problem}); nothing was restored.")
    staged_db = Database(URL.create("sqlite", database=str(staged)))
    try:
        revision, tables = staged_db._state()
        if revision is None:
            _judge(None, tables, name, restoring=True)
            raise DatabaseError(f"{name} is not an Interim CRM database; nothing was restored.")
        _judge(revision, tables, name, restoring=True)
        if revision != HEAD_REVISION:
            try:
                staged_db._migrate()
            except DatabaseError as exc:
                raise DatabaseError(
                    f"{name} could not be brought up to date ({exc.message}); nothing was restored."
                ) from None
    finally:
        staged_db.dispose()
    # One self-contained file: closing the last connection folds the write-ahead log in.
    conn = sqlite3.connect(staged)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


_PG_TABLE = re.compile(r'^CREATE TABLE "?([^".\s]+)"?\."?([^".\s]+)"? \(')


def _pg_dump_revision(source: Path, schema: str) -> str | None:
    """The schema revision in a plain pg_dump script of ``schema``, read without running it."""
    name = f"The backup {source}"
    revision: str | None = None
    schemas: set[str] = set()
    tables: list[str] = []
    try:
        with source.open(encoding="utf-8", errors="replace") as f:
            head = "".join(f.readline() for _ in range(5))
            if "PostgreSQL database dump" not in head:
                raise DatabaseError(f"{name} is not a PostgreSQL backup made by 'crm db backup'.")
            for line in f:
                match = _PG_TABLE.match(line)
                if match:
                    schemas.add(match.group(1))
                    tables.append(match.group(2))
                elif line.startswith("COPY ") and ".alembic_version " in line:
                    value = f.readline().rstrip("\n")
                    if value != "\\.":
                        revision = value.split("\t")[0]
    except OSError as exc:
        raise DatabaseError(f"{name} cannot be read: {exc.strerror or exc}.") from None
    if revision is None:
        _judge(None, tables, name, restoring=True)
        raise DatabaseError(f"{name} is not an Interim CRM database; nothing was restored.")
    _judge(revision, tables, name, restoring=True)
    if schemas != {schema}:
        raise DatabaseError(
            f"{name} holds the schema {', '.join(sorted(schemas))}, not {schema}; nothing "
            "was restored."
        )
    return revision


def open_database(url: str | URL | None = None, *, upgrade: bool = True) -> Database:
    """Open (and by default create or upgrade) the database the user chose."""
    db = Database(url)
    try:
        if upgrade:
            db.upgrade()
        else:
            db.check()
    except BaseException:
        db.dispose()  # a refused database leaves no connection open behind it
        raise
    return db
