"""Secrets: the X API credentials, kept only in the operating system's keyring (or in memory for one run).

The bearer token is looked up in this order: the ``CRM_X_BEARER_TOKEN`` environment variable
(for headless use), a token given for this run only (:func:`use_for_this_run`, never written
anywhere), then the keyring under the service name ``interim-crm``. Optional user-context keys
(API key and secret, access token and secret) live beside it. Like Vorta, we say visibly when
the only keyring stores secrets in a plain text file, and never fall back to one silently.
No function here puts a secret in a message, a repr or a log line. Only services use this
module; the window and the command line ask :mod:`crm.services.x_settings`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from crm.domain.errors import CredentialsError
from crm.domain.social import (
    ENV_BEARER_TOKEN,
    NO_KEYRING_MESSAGE,
    THIS_RUN_ONLY_HINT,
    CredentialSource,
    CredentialStatus,
    UserContextKeys,
    check_token_characters,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

SERVICE = "interim-crm"

BEARER_TOKEN_KEY = "x_bearer_token"
API_KEY_KEY = "x_api_key"
API_KEY_SECRET_KEY = "x_api_key_secret"
ACCESS_TOKEN_KEY = "x_access_token"
ACCESS_TOKEN_SECRET_KEY = "x_access_token_secret"
USER_CONTEXT_KEYS = (API_KEY_KEY, API_KEY_SECRET_KEY, ACCESS_TOKEN_KEY, ACCESS_TOKEN_SECRET_KEY)


_run_lock = threading.Lock()
_run_token: str | None = None


# --------------------------------------------------------------------------- bearer token


def get_bearer_token() -> str | None:
    """The bearer token to use, or None when none is set.

    Raises :class:`CredentialsError` when the token would come from the keyring and no
    keyring works (the message says how to go on for this run).
    """
    from_env = os.environ.get(ENV_BEARER_TOKEN, "").strip()
    if from_env:
        return from_env
    with _run_lock:
        if _run_token:
            return _run_token
    return _get(BEARER_TOKEN_KEY)


def set_bearer_token(token: str) -> CredentialStatus:
    """Store ``token`` in the keyring and return the new status (show its ``warning``).

    Raises :class:`CredentialsError` when it is empty or no keyring can keep it.
    """
    cleaned = _checked_secret(token, "The X bearer token")
    _store(BEARER_TOKEN_KEY, cleaned)
    with _run_lock:
        global _run_token
        _run_token = None
    log.info("X bearer token stored in the keyring")
    return status()


def use_for_this_run(token: str) -> None:
    """Use ``token`` until the program exits, keeping it in memory only."""
    cleaned = _checked_secret(token, "The X bearer token")
    with _run_lock:
        global _run_token
        _run_token = cleaned
    log.info("X bearer token held in memory for this run only")


def clear() -> CredentialStatus:
    """Forget the token and user-context keys: from memory and from the keyring.

    A missing keyring is not an error here (there is nothing stored in it). The environment
    variable, if set, still applies; the returned status says so.
    """
    with _run_lock:
        global _run_token
        _run_token = None
    try:
        backend = _usable_backend()
    except CredentialsError:
        return status()
    for key in (BEARER_TOKEN_KEY, *USER_CONTEXT_KEYS):
        _delete(backend, key)
    log.info("X credentials cleared from the keyring")
    return status()


# --------------------------------------------------------------------------- user context


def get_user_context_keys() -> UserContextKeys | None:
    """The stored user-context keys, or None unless all four are stored."""
    values = [_get(key) for key in USER_CONTEXT_KEYS]
    if not all(values):
        return None
    api_key, api_key_secret, access_token, access_token_secret = (str(v) for v in values)
    return UserContextKeys(api_key, api_key_secret, access_token, access_token_secret)


def set_user_context_keys(keys: UserContextKeys) -> CredentialStatus:
    """Store all four user-context keys in the keyring."""
    values = {
        API_KEY_KEY: _checked_secret(keys.api_key, "The API key"),
        API_KEY_SECRET_KEY: _checked_secret(keys.api_key_secret, "The API key secret"),
        ACCESS_TOKEN_KEY: _checked_secret(keys.access_token, "The access token"),
        ACCESS_TOKEN_SECRET_KEY: _checked_secret(
            keys.access_token_secret, "The access token secret"
        ),
    }
    for key, value in values.items():
        _store(key, value)
    log.info("X user-context keys stored in the keyring")
    return status()


# --------------------------------------------------------------------------- status


def status() -> CredentialStatus:
    """Where the token comes from and how safe the keyring is. Never raises."""
    backend = keyring.get_keyring()
    name = _backend_name(backend)
    usable = _is_usable(backend)
    plaintext = usable and _is_plaintext(backend)
    problem: str | None = None
    stored = False
    user_context = False
    if usable:
        try:
            stored = _get(BEARER_TOKEN_KEY) is not None
            user_context = get_user_context_keys() is not None
        except CredentialsError as exc:
            usable, problem = False, exc.message
    if os.environ.get(ENV_BEARER_TOKEN, "").strip():
        source = CredentialSource.ENV
    else:
        with _run_lock:
            in_memory = bool(_run_token)
        if in_memory:
            source = CredentialSource.THIS_RUN
        elif stored:
            source = CredentialSource.KEYRING
        else:
            source = CredentialSource.NONE
    return CredentialStatus(
        source=source,
        backend_name=name,
        backend_usable=usable,
        plaintext_backend=plaintext,
        has_user_context=user_context,
        problem=problem,
    )


# --------------------------------------------------------------------------- keyring access


def _checked_secret(value: str, what: str) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise CredentialsError(f"{what} is empty.")
    if any(ch.isspace() for ch in cleaned):
        raise CredentialsError(f"{what} contains spaces; paste it exactly as X shows it.")
    check_token_characters(cleaned, what)
    return cleaned


def _get(key: str) -> str | None:
    value = _keyring_call(lambda backend: backend.get_password(SERVICE, key))
    return value or None


def _store(key: str, value: str) -> None:
    _keyring_call(lambda backend: backend.set_password(SERVICE, key, value))
    # Some backends (the null one, an empty chain) accept a password and keep nothing.
    if _get(key) != value:
        backend = _backend_name(keyring.get_keyring())
        raise CredentialsError(
            f"The keyring ({backend}) did not keep the X credentials; " + THIS_RUN_ONLY_HINT
        )


def _delete(backend: KeyringBackend, key: str) -> None:
    try:
        backend.delete_password(SERVICE, key)
    except keyring.errors.PasswordDeleteError:
        pass  # nothing stored under this key
    except keyring.errors.KeyringError as exc:
        log.warning("Could not delete %s from the keyring: %s", key, type(exc).__name__)
        raise CredentialsError(
            f"The keyring refused to delete the stored X credentials ({type(exc).__name__})."
        ) from None


def _usable_backend() -> KeyringBackend:
    backend = keyring.get_keyring()
    if not _is_usable(backend):
        raise CredentialsError(NO_KEYRING_MESSAGE)
    return backend


def _keyring_call(fn: Callable[[KeyringBackend], T]) -> T:
    """``fn(backend)`` with every keyring failure turned into a :class:`CredentialsError`.

    Backends raise more than ``KeyringError`` (D-Bus and Secret Service errors, for one), so
    anything they raise is caught here; only its type is reported, as a message might quote
    what was being stored.
    """
    backend = _usable_backend()
    error: CredentialsError | None = None
    try:
        return fn(backend)
    except keyring.errors.NoKeyringError:
        error = CredentialsError(NO_KEYRING_MESSAGE)
    except keyring.errors.KeyringLocked:
        error = CredentialsError("The system keyring is locked; unlock it and try again.")
    except Exception as exc:  # any backend failure is the user's to fix, not a bug here
        log.warning("Keyring %s failed: %s", _backend_name(backend), type(exc).__name__)
        error = CredentialsError(
            f"The system keyring ({_backend_name(backend)}) failed ({type(exc).__name__}); "
            + THIS_RUN_ONLY_HINT
        )
    raise error


def _backends(backend: KeyringBackend) -> list[KeyringBackend]:
    """The backends that actually hold passwords (a chainer's members, or the backend)."""
    members: Any = getattr(backend, "backends", None)
    if members is None:
        return [backend]
    return list(members)


def _is_usable(backend: KeyringBackend) -> bool:
    from keyring.backends import fail, null

    members = _backends(backend)
    return bool(members) and not all(isinstance(m, (fail.Keyring, null.Keyring)) for m in members)


def _is_plaintext(backend: KeyringBackend) -> bool:
    """True when the backend that would store the token writes it to a plain text file.

    keyrings.alt's ``PlaintextKeyring`` (and similar "uncrypted" backends) are the case.
    """
    members = _backends(backend)
    first = members[0] if members else backend
    cls = type(first)
    name = f"{cls.__module__}.{cls.__qualname__}".lower()
    return "plaintext" in name or "uncrypted" in name


def _backend_name(backend: KeyringBackend) -> str:
    try:
        return str(backend.name)
    except Exception:  # a backend's name is cosmetic; never fail a status over it
        return type(backend).__name__
