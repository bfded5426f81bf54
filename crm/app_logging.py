"""Logging for the app and the command: a rotating file always, the terminal on request.

The file lives in the platform's user log folder (:func:`crm.app_identity.log_dir`), so a
problem in an app started from a menu leaves a trace. It keeps ids, counts and types, not
personal data, and never a secret: messages pass through :func:`scrub`, which blanks e-mail
addresses and anything shaped like a bearer token, in case a message quotes one. A hard
crash (segfault, abort) writes its Python traceback to a second file via :mod:`faulthandler`.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import re
import sys
from pathlib import Path
from typing import IO

from crm import app_identity

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MAX_BYTES = 1_000_000
BACKUPS = 4

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
# X app-only bearer tokens start with a run of "A"s and are long runs of base64/URL escapes.
_TOKEN = re.compile(r"\bA{10,}[A-Za-z0-9%+/=_-]{20,}")

_handlers: list[logging.Handler] = []
_fault_stream: IO[str] | None = None


def scrub(text: str) -> str:
    """``text`` without e-mail addresses or token-shaped strings."""
    text = _BEARER.sub(r"\1[redacted]", text)
    text = _TOKEN.sub("[redacted]", text)
    return _EMAIL.sub("[e-mail]", text)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (tests swap it per test)."""

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


class ScrubbingFormatter(logging.Formatter):
    """Formats as usual, then scrubs the whole line (message, arguments and traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def setup(*, verbose: bool = False, to_file: bool = True) -> Path | None:
    """Send log records to the terminal (warnings, or everything from INFO with ``verbose``)
    and to the rotating log file; returns the log file's path (None if it cannot be written).

    Calling it again replaces what an earlier call installed.
    """
    root = logging.getLogger()
    for handler in _handlers:
        root.removeHandler(handler)
        handler.close()
    _handlers.clear()
    root.setLevel(logging.INFO)
    # Alembic announces each of its plugins at INFO on every start: noise in the file.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    terminal = _Stderr()
    terminal.setLevel(logging.INFO if verbose else logging.WARNING)
    terminal.setFormatter(ScrubbingFormatter("%(levelname)s %(name)s: %(message)s"))
    _add(root, terminal)
    if not to_file:
        return None
    try:
        path = app_identity.log_file()
        file = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError as exc:  # a read-only home must not stop the app
        terminal.handle(_record(f"Cannot write the log file: {exc}"))
        return None
    file.setLevel(logging.INFO)
    file.setFormatter(ScrubbingFormatter(FORMAT))
    _add(root, file)
    return path


def _add(root: logging.Logger, handler: logging.Handler) -> None:
    root.addHandler(handler)
    _handlers.append(handler)


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord(__name__, logging.WARNING, __file__, 0, message, None, None)


def enable_fault_handler() -> Path | None:
    """Write the Python traceback of a hard crash to :func:`crm.app_identity.fault_file`."""
    global _fault_stream
    try:
        path = app_identity.fault_file()
        stream = path.open("a", encoding="utf-8")
    except OSError:
        return None
    if _fault_stream is not None:
        _fault_stream.close()
    _fault_stream = stream
    faulthandler.enable(file=stream, all_threads=True)
    return path


def shutdown() -> None:
    """Close the files (tests and a clean exit; the atexit hook of logging does the rest)."""
    global _fault_stream
    root = logging.getLogger()
    for handler in _handlers:
        root.removeHandler(handler)
        handler.close()
    _handlers.clear()
    if _fault_stream is not None:
        faulthandler.disable()
        _fault_stream.close()
        _fault_stream = None


def current_log_file() -> Path | None:
    """The log file in use, if logging to a file was set up."""
    for handler in _handlers:
        if isinstance(handler, logging.handlers.RotatingFileHandler):
            return Path(handler.baseFilename)
    return None
