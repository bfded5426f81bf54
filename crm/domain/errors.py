"""The errors a recruiter can meet, as one small hierarchy.

Services raise these; the command line and the desktop app each have one place that turns
them into a message (``crm.cli.main`` and ``crm.ui.kit.errors.show_error``). Anything that is not
a :class:`CrmError` is a bug and is reported as one.
"""

from __future__ import annotations

from datetime import datetime


class CrmError(Exception):
    """Base class of every error that is the user's to fix, not a bug."""

    @property
    def message(self) -> str:
        return str(self)


class ValidationError(CrmError):
    """Input was refused. ``field`` names the form field it belongs to, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(CrmError):
    """A record the user asked for does not exist (any more)."""


class AmbiguousError(CrmError):
    """A name matched more than one record; ``candidates`` lists (id, label) pairs."""

    def __init__(self, message: str, candidates: list[tuple[int, str]]) -> None:
        super().__init__(message)
        self.candidates = candidates


class ConflictError(CrmError):
    """Someone else saved the record first; nothing was overwritten."""

    def __init__(
        self,
        message: str,
        *,
        changed_by: str | None = None,
        changed_at: datetime | None = None,
        changes: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.changes = changes or {}


class DatabaseError(CrmError):
    """The database cannot be used as asked (newer than this program, unreachable, locked)."""


class CredentialsError(CrmError):
    """X API credentials are missing, refused, or cannot be stored."""


class XApiError(CrmError):
    """The X API refused or failed a request; ``status`` is the HTTP status when there is one."""

    def __init__(self, message: str, status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class RateLimitedError(XApiError):
    """The X API asked us to wait until ``reset_at`` (UTC)."""

    def __init__(self, message: str, reset_at: datetime) -> None:
        super().__init__(message, status=429, reason="rate-limited")
        self.reset_at = reset_at


class BlueskyApiError(CrmError):
    """The Bluesky AppView refused or failed a request; ``error`` is its XRPC error name."""

    def __init__(self, message: str, status: int | None = None, error: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error


class BudgetReached(CrmError):
    """This month's X budget (or a legacy plan's cap) is reached: nothing more is read."""


class Cancelled(CrmError):
    """The user cancelled a long-running operation; nothing was written."""

    def __init__(self, message: str = "Cancelled; nothing was changed.") -> None:
        super().__init__(message)
