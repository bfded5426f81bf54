"""The X settings the recruiter manages, written only here: the API token (through the
keyring module), the API URL, the watch-list schedule, the plan and its prices, the pound
rate and the monthly budget.

The window and the ``crm`` command read and change them through these functions, so each
setting is checked once, the same way, wherever it is edited.
"""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from crm import settings
from crm.domain.errors import ValidationError
from crm.domain.social import CredentialStatus, UserContextKeys
from crm.domain.xcost import ResourceKind, XPlan, XPricing
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


# --------------------------------------------------------------------------- plan and prices


def _decimal(name: str) -> Decimal:
    try:
        value = Decimal(str(settings.get(name)).strip())
    except InvalidOperation:
        value = Decimal(str(settings.OPTIONS[name].default))
    return (
        value if value.is_finite() and value >= 0 else Decimal(str(settings.OPTIONS[name].default))
    )


def pricing() -> XPricing:
    """The X plan, prices, pound rate and monthly budget as set (defaults: X's published
    pay-per-use prices)."""
    try:
        plan = XPlan(str(settings.get("x_plan")))
    except ValueError:
        plan = XPlan.PAY_PER_USE
    return XPricing(
        plan=plan,
        prices={kind: _decimal(_PRICE_SETTINGS[kind]) for kind in ResourceKind},
        legacy_monthly_usd=_decimal("x_legacy_monthly_usd"),
        legacy_post_cap=max(0, int(settings.get("x_legacy_post_cap") or 0)),
        usd_to_gbp=_decimal("x_usd_to_gbp"),
        budget_usd=_decimal("x_monthly_budget_usd"),
    )


_PRICE_SETTINGS = {
    ResourceKind.POST: "x_price_post",
    ResourceKind.USER: "x_price_user",
    ResourceKind.FOLLOW: "x_price_follow",
    ResourceKind.OWNED: "x_price_owned",
}


def _amount(text: object, what: str, field: str) -> Decimal:
    try:
        value = Decimal(str(text).strip().lstrip("$£"))
    except InvalidOperation:
        raise ValidationError(f"{what} must be an amount such as 0.005.", field=field) from None
    if not value.is_finite() or value < 0 or value > 1_000_000:
        raise ValidationError(f"{what} must be an amount from 0 up.", field=field)
    return value


def set_pricing(
    *,
    plan: XPlan | str | None = None,
    prices: dict[ResourceKind, object] | None = None,
    legacy_monthly_usd: object | None = None,
    legacy_post_cap: int | None = None,
    usd_to_gbp: object | None = None,
    budget_usd: object | None = None,
) -> XPricing:
    """Change any of the plan, prices, pound rate and monthly budget (USD; 0: none). Every
    value is checked before any is stored."""
    changes: dict[str, object] = {}
    if plan is not None:
        try:
            changes["x_plan"] = XPlan(str(plan)).value
        except ValueError:
            raise ValidationError("The X plan is pay_per_use or legacy.", field="x_plan") from None
    for kind, value in (prices or {}).items():
        name = _PRICE_SETTINGS[ResourceKind(kind)]
        changes[name] = str(_amount(value, f"The price of a {ResourceKind(kind).value}", name))
    if legacy_monthly_usd is not None:
        changes["x_legacy_monthly_usd"] = str(
            _amount(legacy_monthly_usd, "The legacy monthly fee", "x_legacy_monthly_usd")
        )
    if legacy_post_cap is not None:
        if legacy_post_cap < 0:
            raise ValidationError(
                "The legacy post cap cannot be negative.", field="x_legacy_post_cap"
            )
        changes["x_legacy_post_cap"] = int(legacy_post_cap)
    if usd_to_gbp is not None:
        rate = _amount(usd_to_gbp, "The pound rate", "x_usd_to_gbp")
        if rate == 0:
            raise ValidationError("The pound rate cannot be 0.", field="x_usd_to_gbp")
        changes["x_usd_to_gbp"] = str(rate)
    if budget_usd is not None:
        changes["x_monthly_budget_usd"] = str(
            _amount(budget_usd, "The monthly budget", "x_monthly_budget_usd")
        )
    for name, value in changes.items():
        settings.set(name, value)
    return pricing()
