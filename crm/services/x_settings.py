"""The X settings the recruiter manages, written only here: the API token (through the
keyring module), the API URL, the watch-list schedule and the monthly budget.

The window and the ``crm`` command read and change them through these functions, so each
setting is checked once, the same way, wherever it is edited.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from crm import settings
from crm.domain.errors import ValidationError
from crm.domain.social import CredentialStatus, UserContextKeys
from crm.storage import secrets

# --------------------------------------------------------------------------- the token


def credential_status() -> CredentialStatus:
    """Where the X token comes from and how safe the keyring is (never the token). Never raises."""
    return secrets.status()


def has_token() -> bool:
    """Whether a token is at hand (environment, this run or the keyring)."""
    return credential_status().has_token


def store_token(token: str) -> CredentialStatus:
    """Keep ``token`` in the keyring; raises :class:`CredentialsError` if it cannot."""
    return secrets.set_bearer_token(token)


def use_token_for_this_run(token: str) -> CredentialStatus:
    """Hold ``token`` in memory until the program exits, never stored."""
    secrets.use_for_this_run(token)
    return secrets.status()


def store_user_context_keys(keys: UserContextKeys) -> CredentialStatus:
    return secrets.set_user_context_keys(keys)


def clear_token() -> CredentialStatus:
    """Forget the token and user-context keys (memory and keyring)."""
    return secrets.clear()


def token_readable() -> bool:
    """True when a token is set; raises :class:`CredentialsError` when the keyring that
    would hold it cannot be read (the message says how to go on for this run)."""
    return bool(secrets.get_bearer_token())


# --------------------------------------------------------------------------- the API and the schedule


def api_url_from_environment() -> str | None:
    """The API URL the ``CRM_X_API_URL`` environment variable sets (it wins over the
    setting), or None."""
    name = settings.OPTIONS["x_api_url"].env
    return (os.environ.get(name) or None) if name else None


def get_api_url() -> str:
    return str(settings.get("x_api_url"))


def set_api_url(url: str) -> str:
    """Store the X API base URL (empty restores the official one); returns what was stored."""
    text = (url or "").strip().rstrip("/")
    if not text:
        text = str(settings.OPTIONS["x_api_url"].default)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            f"{text!r} is not a web address; the X API URL starts with https://.",
            field="x_api_url",
        )
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValidationError(
            "The X API URL must use https:// (plain http:// only for a server on this machine): "
            "the token would travel in clear.",
            field="x_api_url",
        )
    settings.set("x_api_url", text)
    return text


def get_schedule_minutes() -> int:
    return int(settings.get("x_schedule_minutes") or 0)


def set_schedule_minutes(minutes: int) -> None:
    """Sync the watch list every ``minutes`` while the app runs; 0 turns the schedule off."""
    if minutes < 0 or (0 < minutes < 15):
        raise ValidationError(
            "Sync the watch list every 15 minutes or more (0 turns the schedule off): "
            "every sync costs X API reads.",
            field="x_schedule_minutes",
        )
    settings.set("x_schedule_minutes", int(minutes))


# --------------------------------------------------------------------------- budget


def get_monthly_budget() -> int:
    """The monthly request budget (0: none)."""
    return int(settings.get("x_monthly_request_budget") or 0)


def set_monthly_budget(requests: int) -> None:
    """Warn past ``requests`` X API requests a month (0: no budget)."""
    if requests < 0:
        raise ValidationError(
            "The monthly budget cannot be negative (0 means no budget).",
            field="x_monthly_request_budget",
        )
    settings.set("x_monthly_request_budget", int(requests))
