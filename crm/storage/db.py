"""Opening the database: URL resolution, engine set-up, migrations, backups and sessions.

A :class:`Database` is cheap to pass around; a Session is opened per user action with
:meth:`Database.session` and never held by UI code.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Select, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    DisconnectionError,
    IntegrityError,
    InvalidRequestError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from crm import settings
from crm.domain.errors import CrmError, DatabaseError, ValidationError
from crm.storage import limits, search
from crm.storage.migrations import HEAD_REVISION
from crm.storage.prepared import CompiledSelect, compile_select

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def default_sqlite_path() -> Path:
    return settings.data_dir() / "crm.sqlite3"


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


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 16 MB instead of SQLite's 2 MB: a search's ranking and its page of rows otherwise
    # evict each other (measured in bench: single-word search 3.6-4.3x -> ~3x its floor).
    cursor.execute("PRAGMA cache_size=-16384")
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
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
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
            session.rollback()
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
        except (OperationalError, IntegrityError) as exc:
            known = self._known_error(exc)
            raise (known or exc) from None
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
        if isinstance(exc, OperationalError):
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            return DatabaseError(
                f"{self.describe()} could not complete the change: {detail}. Nothing was saved."
            )
        return None

    # -- schema --------------------------------------------------------------------
    def current_revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                if not inspect(conn).has_table("alembic_version"):
                    return None
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                return None if version is None else str(version)
        except (OperationalError, ProgrammingError) as exc:
            raise DatabaseError(f"Cannot open {self.describe()}: {exc.orig}") from None

    def is_empty_schema(self) -> bool:
        with self.engine.connect() as conn:
            return not inspect(conn).get_table_names()

    def check(self) -> str:
        """``"current"``, ``"behind"`` or raises: a database newer than this program is refused."""
        current = self.current_revision()
        if current == HEAD_REVISION:
            return "current"
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(alembic_config())
        known = {rev.revision for rev in script.walk_revisions()}
        if current is not None and current not in known:
            raise DatabaseError(
                f"{self.describe()} was written by a newer version of Interim CRM "
                f"(schema {current}); update the program before opening it."
            )
        return "behind"

    def upgrade(self, *, backup: bool = True) -> Path | None:
        """Bring the schema to the newest revision; back a SQLite file up first if it has data."""
        state = self.check()
        if state == "current":
            return None
        backup_path: Path | None = None
        if backup and self.sqlite_path is not None and self.current_revision() is not None:
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            backup_path = self.sqlite_path.with_name(
                f"{self.sqlite_path.stem}.before-upgrade-{stamp}{self.sqlite_path.suffix}"
            )
            self.backup(backup_path)
            log.info("Backed up %s to %s before upgrading", self.sqlite_path, backup_path)
        from alembic import command

        with self.engine.begin() as conn:
            if self.is_sqlite:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            command.upgrade(alembic_config(conn), "head")
        return backup_path

    # -- backups -------------------------------------------------------------------
    def backup(self, target: Path) -> None:
        """An online copy: SQLite's backup API, or pg_dump for PostgreSQL."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        if self.sqlite_path is not None:
            if not self.sqlite_path.exists():
                raise DatabaseError(f"There is no database at {self.sqlite_path} to back up.")
            source = sqlite3.connect(self.sqlite_path)
            dest = sqlite3.connect(target)
            try:
                with dest:
                    source.backup(dest)
            finally:
                dest.close()
                source.close()
            return
        if not self.is_sqlite:
            self._pg_tool("pg_dump", ["--clean", "--if-exists", "--no-owner", "-f", str(target)])
            return
        raise DatabaseError("An in-memory database cannot be backed up.")

    def restore(self, source: Path) -> None:
        """Replace this database with a backup made by :meth:`backup`."""
        source = Path(source)
        if not source.exists():
            raise DatabaseError(f"No backup file at {source}.")
        if self.sqlite_path is not None:
            try:
                probe = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
                probe.execute("SELECT count(*) FROM alembic_version").fetchone()
                probe.close()
            except sqlite3.DatabaseError:
                raise DatabaseError(f"{source} is not an Interim CRM SQLite backup.") from None
            self.engine.dispose()
            src = sqlite3.connect(source)
            dest = sqlite3.connect(self.sqlite_path)
            try:
                with dest:
                    src.backup(dest)
            finally:
                dest.close()
                src.close()
            return
        if not self.is_sqlite:
            self.engine.dispose()
            self._pg_tool("psql", ["-v", "ON_ERROR_STOP=1", "-q", "-f", str(source)])
            return
        raise DatabaseError("An in-memory database cannot be restored.")

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
            raise DatabaseError(f"{tool} failed: {result.stderr.strip().splitlines()[-1:]}")

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str | URL | None = None, *, upgrade: bool = True) -> Database:
    """Open (and by default create or upgrade) the database the user chose."""
    db = Database(url)
    if upgrade:
        db.upgrade()
    else:
        db.check()
    return db
