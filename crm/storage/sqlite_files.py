"""SQLite database files on disk: telling a damaged or foreign file apart, and copying one
safely (a temporary file in the target's folder, synced, then renamed over the target), and
the steps of a restore: a staged copy, compared or swapped in whole.

Everything here raises :class:`~crm.domain.errors.DatabaseError` with one line a user can
act on; nothing is left half-written.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

from crm.domain.errors import DatabaseError
from crm.storage.models import Base

log = logging.getLogger(__name__)

MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100
# The sidecar files of a database in WAL mode (and of one with a rollback journal).
SIDECARS = ("-wal", "-shm", "-journal")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _regular_file(path: Path, what: str, folder: str) -> os.stat_result | None:
    """``path``'s stat if a regular file is there, None if nothing is; a folder (named as
    "a folder, not ``folder``") or a device is refused."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DatabaseError(f"{what} cannot be read: {_reason(exc)}.") from None
    if stat.S_ISDIR(info.st_mode):
        raise DatabaseError(f"{what} is a folder, not {folder}.")
    if not stat.S_ISREG(info.st_mode):
        raise DatabaseError(f"{what} is not a regular file (a device or a pipe?).")
    return info


def check_file(
    path: Path, label: str | None = None, *, advice: str = "", read_header: bool = True
) -> bool:
    """Refuse what cannot be an SQLite database: a folder, a device, a text file, a file cut
    short. Returns False when there is nothing there yet (or an empty file: SQLite makes a
    new database of it), True for a plausible database file. ``label`` names the file in
    messages (default: its path); ``advice`` ends the message of a damaged one.

    ``read_header=False`` for a database this process may have open: closing any file
    descriptor of a file drops every POSIX lock the process holds on it, SQLite's included,
    and another process could then delete the write-ahead log under a live connection (a
    corrupt database). Its content is then left for SQLite to judge."""
    what = label or str(path)
    info = _regular_file(path, what, "a database file")
    if info is None or info.st_size == 0:
        return False
    if not read_header:
        return True
    try:
        with path.open("rb") as f:
            header = f.read(HEADER_SIZE)
    except OSError as exc:
        raise DatabaseError(f"{what} cannot be read: {_reason(exc)}.") from None
    if len(header) < HEADER_SIZE or not header.startswith(MAGIC):
        raise DatabaseError(f"{what} is not an SQLite database file{advice}.")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count in the header is only trusted when its "valid for" counter matches the
    # change counter (SQLite's own rule); a file shorter than that was cut short.
    if header[92:96] == header[24:28] and pages and info.st_size < pages * page_size:
        raise DatabaseError(
            f"{what} is damaged: it is cut short ({info.st_size:,} of "
            f"{pages * page_size:,} bytes){advice}."
        )
    return True


def check_folder(folder: Path) -> None:
    """The folder a database lives in must exist (it is made) and be writable: SQLite
    writes its journal beside the database."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"Cannot create the folder {folder}: {_reason(exc)}.") from None
    if not folder.is_dir():
        raise DatabaseError(f"{folder} is not a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DatabaseError(
            f"The folder {folder} is not writable; the database needs to write beside itself."
        )


def integrity_problem(conn: sqlite3.Connection, *, quick: bool = False) -> str | None:
    """SQLite's own consistency check: None when the file is sound, else its first complaint."""
    try:
        rows = conn.execute("PRAGMA quick_check" if quick else "PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    first = str(rows[0][0]) if rows else "no answer"
    return None if first == "ok" else first


def open_read_only(path: Path) -> sqlite3.Connection:
    """Open a database to read it without writing anything beside it. With no write-ahead
    log next to it the file is opened immutable (SQLite then makes no -shm or -wal file
    beside a backup); with one, read-only through the log, which holds committed data."""
    uri = path.resolve().as_uri()
    if path.with_name(path.name + "-wal").exists():
        return sqlite3.connect(f"{uri}?mode=ro", uri=True)
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)


def fsync_path(path: Path, *, directory: bool = False) -> None:
    """Make a file's (or a folder entry's) content durable before anything relies on it."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:  # not every platform can open a folder; the rename is still atomic
            return
        raise
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_quietly(path: Path) -> None:
    """Remove a temporary file and its sidecars, if they are there."""
    for name in (path, *(path.with_name(path.name + s) for s in SIDECARS)):
        with contextlib.suppress(OSError):
            name.unlink()


def temporary_beside(target: Path, label: str) -> Path:
    """A new, empty temporary file in ``target``'s folder (so a rename onto it is atomic)."""
    try:
        fd, name = tempfile.mkstemp(
            prefix=f".{target.name}.{label}-", suffix=".tmp", dir=target.parent
        )
    except OSError as exc:
        raise DatabaseError(f"Cannot write in {target.parent}: {_reason(exc)}.") from None
    os.close(fd)
    return Path(name)


# Temporary files of copies and restores (see temporary_beside), by their labels.
_TEMPORARY_LABELS = ("copy", "restore", "dump")
# One younger than this may belong to a copy still starting in another process.
_ABANDONED_AFTER_SECONDS = 120


def remove_abandoned(folder: Path) -> list[Path]:
    """Remove what copies killed part-way left in ``folder`` (hidden temporary files, often
    as big as the database): those neither recent nor locked by a copy in progress."""
    removed = []
    now = time.time()
    for label in _TEMPORARY_LABELS:
        for path in folder.glob(f".*.{label}-*.tmp"):
            try:
                if now - path.stat().st_mtime < _ABANDONED_AFTER_SECONDS or _in_use(path):
                    continue
            except OSError:
                continue
            remove_quietly(path)
            removed.append(path)
            log.info("Removed %s, left by an interrupted copy", path)
    return removed


def _in_use(path: Path) -> bool:
    """Whether an SQLite connection elsewhere is writing ``path`` (it holds its lock)."""
    try:
        conn = sqlite3.connect(path, timeout=0)
    except sqlite3.Error:
        return False
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.rollback()
        return False
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc) or "busy" in str(exc)
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def copy_into(source: sqlite3.Connection, target: Path) -> None:
    """Copy an open database into a new file ``target`` with SQLite's backup API, synced.

    The copy is made in a temporary file beside ``target`` and renamed over it only once it
    is complete: a full disk or a kill leaves no partial (or 0-byte) ``target`` behind.
    """
    target = Path(target)
    if target.is_dir():
        raise DatabaseError(f"{target} is a folder; give a file name for the copy.")
    if target.exists() and not target.is_file():
        raise DatabaseError(f"{target} is not a regular file; give a file name for the copy.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"Cannot create the folder {target.parent}: {_reason(exc)}.") from None
    temporary = temporary_beside(target, "copy")
    try:
        dest = sqlite3.connect(temporary)
        try:
            source.backup(dest)
            # A copy needs no write-ahead log beside it: one self-contained file.
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
        fsync_path(temporary)
        os.replace(temporary, target)
        fsync_path(target.parent, directory=True)
    except (OSError, sqlite3.Error) as exc:
        remove_quietly(temporary)
        detail = _reason(exc) if isinstance(exc, OSError) else str(exc)
        raise DatabaseError(f"Could not write {target}: {detail}. Nothing was written.") from None
    except BaseException:
        remove_quietly(temporary)
        raise


def check_plain_file(path: Path, label: str | None = None) -> bool:
    """Whether a readable, non-empty regular file is at ``path`` (False if nothing is);
    a folder or a device is refused."""
    what = label or str(path)
    info = _regular_file(path, what, "a file")
    if info is None:
        return False
    if not os.access(path, os.R_OK):
        raise DatabaseError(f"{what} cannot be read: permission denied.")
    return info.st_size > 0


def fingerprint(path: Path) -> tuple[Any, ...]:
    """What a database holds, cheaply: its schema and each table's row count and largest
    rowid. Two files with equal fingerprints hold the same records (every change leaves an
    audit entry, so edits show too)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        parts: list[Any] = conn.execute(
            "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
        names = [
            str(row[0])
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        for name in names:
            if name in Base.metadata.tables or name == "alembic_version":
                row = conn.execute(f'SELECT count(*), max(rowid) FROM "{name}"').fetchone()
                parts.append((name, *row))
        parts.extend(conn.execute("SELECT version_num FROM alembic_version").fetchall())
        return tuple(parts)
    finally:
        conn.close()


def unused_beside(base: Path, like: Path) -> Path:
    """``base`` with ``like``'s suffix, or with -2, -3... if that file exists already."""
    candidate = base.with_name(base.name + like.suffix)
    n = 2
    while candidate.exists():
        candidate = base.with_name(f"{base.name}-{n}{like.suffix}")
        n += 1
    return candidate


def copy_file(source: Path, target: Path) -> None:
    try:
        shutil.copyfile(source, target)
    except OSError as exc:
        raise DatabaseError(
            f"Could not copy {source} to {target}: {exc.strerror or exc}."
        ) from None


def stage_copy(source: Path, staged: Path) -> None:
    """Copy the backup into ``staged`` (reading it only), to be checked there: what is checked
    is then exactly what goes in."""
    try:
        src = open_read_only(source)
    except sqlite3.Error as exc:
        raise DatabaseError(f"The backup {source} cannot be opened: {exc}.") from None
    try:
        dest = sqlite3.connect(staged)
        try:
            src.backup(dest)
        finally:
            dest.close()
    except sqlite3.Error as exc:
        raise DatabaseError(
            f"The backup {source} could not be copied ({exc}); nothing was restored."
        ) from None
    finally:
        src.close()


def opens(path: Path) -> bool:
    """Whether SQLite can read the schema of the database at ``path``."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return True


def _page_size(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA page_size").fetchone()[0])


def swap_in(staged: Path, live: Path) -> None:
    """Put the checked copy in place of the live database, in one step."""
    try:
        sound = check_file(live, read_header=False)
    except DatabaseError:
        sound = False
    if sound:
        dest = sqlite3.connect(live, timeout=10)
        src = sqlite3.connect(staged)
        try:
            dest.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if _page_size(dest) == _page_size(src):
                # One SQLite transaction on the live file: other connections see the old
                # database or the new one, and a kill part-way leaves the old one.
                src.backup(dest)
                dest.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                return
        except sqlite3.DatabaseError:
            pass  # damaged beyond reading: replaced as a file below
        finally:
            src.close()
            dest.close()
    # No sound database there (none, or damaged): the checked copy is renamed onto it, after
    # the old journal is removed (SQLite would otherwise replay it into the new file).
    for suffix in SIDECARS:
        try:
            live.with_name(live.name + suffix).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise DatabaseError(f"Could not remove the old journal of {live}: {exc}.") from None
    try:
        os.replace(staged, live)
    except OSError as exc:
        raise DatabaseError(f"Could not replace {live}: {exc.strerror or exc}.") from None
    fsync_path(live.parent, directory=True)
