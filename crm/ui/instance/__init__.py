"""One app per database: a second start with the same database brings the first window
forward and exits.

The first start takes a :class:`QLockFile` and listens on a :class:`QLocalServer`, both
named after the database's identity (the SQLite file's real path, or the PostgreSQL user,
host, port and database) and the login user. A later start that cannot take the lock sends
"activate" to the server; the first window comes forward. So each database has one window,
and the scheduled X sync (which lives in that window) runs in one process only: two would
spend the paid requests twice.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QDir, QLockFile, QObject, QThread, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from crm.storage.db import resolve_url

log = logging.getLogger(__name__)

MESSAGE = b"activate\n"
CONNECT_TRIES = 20  # x 100 ms: the first app may still be starting its server


def database_identity(url: str | None) -> str | None:
    """What makes two starts "the same database"; None for one that no other can share."""
    parsed = resolve_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            return None
        return f"sqlite:{Path(parsed.database).expanduser().resolve()}"
    port = parsed.port or 5432
    return (
        f"postgresql:{parsed.username or ''}@{parsed.host or 'localhost'}:{port}/{parsed.database}"
    )


def instance_key(url: str | None) -> str | None:
    """A short name for the lock file and the local socket (sockets live in a shared folder
    on Unix, so the login user is part of it)."""
    identity = database_identity(url)
    if identity is None:
        return None
    try:
        user = getpass.getuser()
    except Exception:  # no login name (some containers): the database alone decides
        user = ""
    digest = hashlib.sha256(f"{user}\0{identity}".encode()).hexdigest()[:20]
    return f"interim-crm-{digest}"


class SingleInstance(QObject):
    """The lock and the server of the first start; :meth:`acquire` says which start this is."""

    activated = Signal()

    def __init__(self, key: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.lock = QLockFile(str(Path(QDir.tempPath()) / f"{key}.lock"))
        # Never stale by age (the app runs for days); a lock of a dead process is still
        # taken over, because QLockFile checks whether its process is alive.
        self.lock.setStaleLockTime(0)
        self.server: QLocalServer | None = None

    def acquire(self) -> bool:
        """Take the lock and listen: True for the first start, False if another holds it."""
        if not self.lock.tryLock(100):
            return False
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        # A server file left by a crashed first start would make listen() fail.
        QLocalServer.removeServer(self.key)
        if not server.listen(self.key):
            log.warning("Second starts cannot reach this one: %s", server.errorString())
        server.newConnection.connect(self._connection)
        self.server = server
        log.info("Listening for second starts on %s", self.key)
        return True

    def _connection(self) -> None:
        assert self.server is not None
        while (socket := self.server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(MESSAGE.strip()):
            log.info("A second start asked for this window")
            self.activated.emit()
            socket.write(b"ok\n")
            socket.flush()

    def release(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        self.lock.unlock()


def activate_running(key: str, timeout_ms: int = 2000) -> bool:
    """Ask the first start to bring its window forward; True if it answered."""
    for _ in range(CONNECT_TRIES):
        socket = QLocalSocket()
        socket.connectToServer(key)
        if socket.waitForConnected(timeout_ms // 4):
            socket.write(MESSAGE)
            socket.flush()  # a local socket usually writes at once; then this waits for nothing
            socket.waitForBytesWritten(timeout_ms)
            answered = socket.bytesAvailable() > 0 or socket.waitForReadyRead(timeout_ms)
            socket.disconnectFromServer()
            return bool(answered)
        QThread.msleep(100)
    return False
