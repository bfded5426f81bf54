"""Every application setting, declared once with its type, default and environment override.

Settings live in ``settings.json`` in the user config folder (platformdirs). Window geometry
and column layouts are the UI's business and live in QSettings instead. Secrets never live
here: X tokens go through :mod:`crm.storage.secrets` (the system keyring).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from crm.domain.errors import CrmError

log = logging.getLogger(__name__)

APP_NAME = "interim-crm"


def data_dir() -> Path:
    """The folder for the SQLite database and its backups (``CRM_DATA_DIR`` overrides)."""
    override = os.environ.get("CRM_DATA_DIR")
    path = (
        Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    )
    return _made(path, "data", "CRM_DATA_DIR")


def config_dir(create: bool = True) -> Path:
    """The folder for ``settings.json`` (``CRM_CONFIG_DIR`` overrides)."""
    override = os.environ.get("CRM_CONFIG_DIR")
    path = (
        Path(override)
        if override
        else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    )
    return _made(path, "settings", "CRM_CONFIG_DIR") if create else path


def _made(path: Path, what: str, variable: str) -> Path:
    """``path``, created if need be; a folder that cannot be made is a clear refusal."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CrmError(
            f"Cannot use the {what} folder {path} ({reason}); set {variable} to a folder "
            "you can write to."
        ) from None
    return path


@dataclass(frozen=True)
class Option:
    name: str
    type: type
    default: Any
    env: str | None
    help: str


OPTIONS: dict[str, Option] = {
    o.name: o
    for o in (
        Option(
            "database_url",
            str,
            "",
            "CRM_DATABASE_URL",
            "SQLAlchemy URL of the database; empty means the SQLite file in the data folder.",
        ),
        Option(
            "x_api_url",
            str,
            "https://api.x.com",
            "CRM_X_API_URL",
            "Base URL of the X API v2 (a company proxy or a local test server can stand in).",
        ),
        Option(
            "x_own_handle",
            str,
            "",
            "CRM_X_OWN_HANDLE",
            "The recruiter's own X handle, for mentions between them and their contacts.",
        ),
        Option(
            "x_schedule_minutes",
            int,
            0,
            None,
            "Sync the watch list every N minutes while the app runs; 0 means never.",
        ),
        Option(
            "x_monthly_request_budget",
            int,
            10000,
            None,
            "Warn before a sync that would pass this many X API requests in a month.",
        ),
        Option(
            "x_plan",
            str,
            "pay_per_use",
            None,
            "The X API plan: pay_per_use (billed per resource read) or legacy (a monthly fee "
            "with a cap on posts read).",
        ),
        Option("x_price_post", str, "0.005", None, "USD per post read (pay-per-use)."),
        Option("x_price_user", str, "0.010", None, "USD per user profile read (pay-per-use)."),
        Option("x_price_follow", str, "0.010", None, "USD per follower or following entry read."),
        Option("x_price_owned", str, "0.001", None, "USD per owned read (your own account)."),
        Option("x_legacy_monthly_usd", str, "200", None, "The legacy plan's monthly fee, USD."),
        Option("x_legacy_post_cap", int, 15000, None, "Posts a month the legacy plan reads."),
        Option("x_usd_to_gbp", str, "0.79", None, "Pounds to the US dollar, for showing costs."),
        Option(
            "x_monthly_budget_usd",
            str,
            "20",
            None,
            "Refuse to start an X sync once this many USD are spent this month, and stop one "
            "that reaches it (0: no budget).",
        ),
        Option(
            "bluesky_appview_url",
            str,
            "https://public.api.bsky.app",
            "CRM_BLUESKY_APPVIEW_URL",
            "Base URL of the Bluesky AppView (public, no account needed; a local server can "
            "stand in).",
        ),
        Option(
            "user_name",
            str,
            "",
            "CRM_USER",
            "Who the recruiter is, for attribution; empty means the login name.",
        ),
        Option(
            "theme",
            str,
            "system",
            None,
            "Colour scheme of the app: system (follow the desktop), light or dark.",
        ),
        Option(
            "today_reminders",
            bool,
            True,
            None,
            "Show follow-ups due in the tray and as desktop notifications.",
        ),
        Option(
            "today_ending_weeks",
            int,
            8,
            None,
            "The Today page lists placements ending within this many weeks.",
        ),
        Option(
            "today_available_weeks",
            int,
            8,
            None,
            "The Today page lists candidates free now or within this many weeks.",
        ),
        Option(
            "cadence_client_weeks",
            int,
            6,
            None,
            "Keep in touch with client contacts every N weeks (a person or tag can override).",
        ),
        Option(
            "cadence_candidate_weeks",
            int,
            4,
            None,
            "Keep in touch with candidates every N weeks (a person or tag can override).",
        ),
        Option(
            "retention_months",
            int,
            24,
            None,
            "People with no interaction for this many months come up for retention review.",
        ),
    )
}


def _settings_file(create: bool = True) -> Path:
    return config_dir(create) / "settings.json"


def _stored() -> dict[str, Any]:
    # Reading must not need a writable folder: a missing one just holds no settings.
    path = _settings_file(create=False)
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except (OSError, ValueError) as exc:
        log.warning("Ignoring unreadable settings file %s: %s", path, exc)
        return {}


def get(name: str) -> Any:
    """The value of setting ``name``: environment first, then the settings file, then default."""
    option = OPTIONS[name]
    if option.env and os.environ.get(option.env):
        raw: Any = os.environ[option.env]
    else:
        raw = _stored().get(name, option.default)
    try:
        return option.type(raw)
    except (TypeError, ValueError):
        log.warning("Setting %s has an invalid value %r; using the default", name, raw)
        return option.default


def set(name: str, value: Any) -> None:
    """Store ``value`` for setting ``name`` in the settings file (atomically)."""
    option = OPTIONS[name]
    stored = _stored()
    stored[name] = option.type(value)
    path = _settings_file()
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(stored, indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CrmError(f"Cannot save the settings in {path} ({exc.strerror}).") from None


def current_user() -> str:
    """The recruiter's name for audit entries and 'logged by'."""
    configured = str(get("user_name")).strip()
    if configured:
        return configured
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # getpass raises various errors when there is no login name
        return "unknown"
