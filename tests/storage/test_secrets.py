"""X credentials in the keyring: an in-memory keyring stands in for the system one, and the
fail, null and plain-text backends show the paths a recruiter's machine can take."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null

from crm.domain.errors import CredentialsError
from crm.domain.social import CredentialSource, UserContextKeys
from crm.storage import secrets as credentials

TOKEN = "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F"


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in a dict, like a system keyring would on disk."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not stored")


def no_keyring() -> KeyringBackend:
    """The backend keyring picks on headless Linux: every call raises NoKeyringError."""
    return fail.Keyring()  # type: ignore[no-untyped-call]


def null_keyring() -> KeyringBackend:
    """A backend that accepts everything and keeps nothing."""
    return null.Keyring()  # type: ignore[no-untyped-call]


class PlaintextKeyring(MemoryKeyring):
    """Named like keyrings.alt's backend that writes secrets to a plain text file."""


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("locked")


class BrokenKeyring(MemoryKeyring):
    """Fails the way a D-Bus backend can, quoting what it was asked to store."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"org.freedesktop.DBus.Error: could not store {password}")


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.delenv(credentials.ENV_BEARER_TOKEN, raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    credentials.clear()
    yield backend
    credentials.clear()
    keyring.set_keyring(previous)


def test_a_stored_token_comes_back_from_the_keyring(memory_keyring: MemoryKeyring) -> None:
    status = credentials.set_bearer_token(f"  {TOKEN}\n")

    assert memory_keyring.store == {("interim-crm", "x_bearer_token"): TOKEN}
    assert credentials.get_bearer_token() == TOKEN
    assert status.source is CredentialSource.KEYRING
    assert status.backend_usable and not status.plaintext_backend
    assert status.warning is None
    assert "stored in the keyring" in status.text


def test_no_token_anywhere_is_none() -> None:
    assert credentials.get_bearer_token() is None
    status = credentials.status()
    assert status.source is CredentialSource.NONE and not status.has_token
    assert "not set" in status.text


def test_the_environment_overrides_the_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    credentials.set_bearer_token(TOKEN)
    monkeypatch.setenv(credentials.ENV_BEARER_TOKEN, "from-the-environment")

    assert credentials.get_bearer_token() == "from-the-environment"
    status = credentials.status()
    assert status.source is CredentialSource.ENV
    assert "CRM_X_BEARER_TOKEN" in status.text


def test_a_token_for_this_run_only_is_never_written(memory_keyring: MemoryKeyring) -> None:
    credentials.use_for_this_run(TOKEN)

    assert credentials.get_bearer_token() == TOKEN
    assert memory_keyring.store == {}
    assert credentials.status().source is CredentialSource.THIS_RUN


def test_clear_forgets_everything(memory_keyring: MemoryKeyring) -> None:
    credentials.set_bearer_token(TOKEN)
    credentials.set_user_context_keys(UserContextKeys("key", "key-secret", "at", "at-secret"))
    credentials.use_for_this_run("another")

    status = credentials.clear()

    assert memory_keyring.store == {}
    assert credentials.get_bearer_token() is None
    assert status.source is CredentialSource.NONE and not status.has_user_context
    credentials.clear()  # clearing twice is fine


def test_clear_says_the_environment_still_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(credentials.ENV_BEARER_TOKEN, "from-the-environment")
    assert credentials.clear().source is CredentialSource.ENV


def test_user_context_keys_are_stored_together_and_never_shown(
    memory_keyring: MemoryKeyring,
) -> None:
    keys = UserContextKeys("api-key-1", "api-secret-2", "access-3", "access-secret-4")

    status = credentials.set_user_context_keys(keys)

    assert credentials.get_user_context_keys() == keys
    assert status.has_user_context
    assert {name for _service, name in memory_keyring.store} == set(credentials.USER_CONTEXT_KEYS)
    for secret in ("api-key-1", "api-secret-2", "access-3", "access-secret-4"):
        assert secret not in repr(keys)
    del memory_keyring.store[("interim-crm", "x_access_token_secret")]
    assert credentials.get_user_context_keys() is None  # all four or nothing


@pytest.mark.parametrize("bad", ["", "   ", "two words"])
def test_an_empty_or_mangled_token_is_refused(bad: str, memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(CredentialsError):
        credentials.set_bearer_token(bad)
    with pytest.raises(CredentialsError):
        credentials.use_for_this_run(bad)
    assert memory_keyring.store == {}


def test_without_a_keyring_the_message_is_plain_and_this_run_still_works() -> None:
    keyring.set_keyring(no_keyring())

    with pytest.raises(CredentialsError) as info:
        credentials.set_bearer_token(TOKEN)
    message = info.value.message
    assert message.startswith("No system keyring is available on this machine")
    assert "this run only" in message and "CRM_X_BEARER_TOKEN" in message
    assert info.value.__context__ is None  # keyring's own error is not dragged along
    with pytest.raises(CredentialsError, match="No system keyring"):
        credentials.get_bearer_token()

    status = credentials.status()
    assert not status.backend_usable
    assert status.warning is not None and "No system keyring" in status.text

    credentials.use_for_this_run(TOKEN)
    assert credentials.get_bearer_token() == TOKEN
    assert credentials.status().source is CredentialSource.THIS_RUN
    credentials.clear()  # nothing in a keyring to clear: not an error
    assert credentials.status().source is CredentialSource.NONE


def test_a_keyring_that_keeps_nothing_is_not_trusted() -> None:
    keyring.set_keyring(null_keyring())

    with pytest.raises(CredentialsError, match="this run only"):
        credentials.set_bearer_token(TOKEN)
    assert not credentials.status().backend_usable


def test_a_plain_text_keyring_is_used_with_a_visible_warning() -> None:
    backend = PlaintextKeyring()
    keyring.set_keyring(backend)

    status = credentials.set_bearer_token(TOKEN)

    assert status.plaintext_backend
    assert status.warning is not None and "plain text" in status.warning
    assert "plain text" in status.text
    assert credentials.get_bearer_token() == TOKEN


def test_a_locked_keyring_says_so() -> None:
    keyring.set_keyring(LockedKeyring())

    with pytest.raises(CredentialsError, match="locked"):
        credentials.set_bearer_token(TOKEN)
    assert not credentials.status().backend_usable


def test_the_token_never_appears_in_messages_reprs_or_logs(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    status = credentials.set_bearer_token(TOKEN)
    seen += [repr(status), status.text, repr(credentials.status())]
    credentials.use_for_this_run(TOKEN)
    seen.append(repr(credentials.status()))

    keyring.set_keyring(BrokenKeyring())
    with pytest.raises(CredentialsError) as broken:
        credentials.set_bearer_token(TOKEN)
    seen += [str(broken.value), repr(broken.value), repr(broken.value.__context__)]
    assert "RuntimeError" in broken.value.message

    keyring.set_keyring(no_keyring())
    with pytest.raises(CredentialsError) as missing:
        credentials.set_bearer_token(TOKEN)
    seen += [str(missing.value), repr(missing.value)]

    seen += [caplog.text, *(r.getMessage() for r in caplog.records)]
    for text in seen:
        assert TOKEN not in text


class ForgetfulKeyring(MemoryKeyring):
    """Accepts a password and keeps nothing, as an empty keyring chain does."""

    def set_password(self, service: str, username: str, password: str) -> None:
        return None


def test_a_keyring_that_silently_drops_the_token_is_caught() -> None:
    keyring.set_keyring(ForgetfulKeyring())

    with pytest.raises(CredentialsError, match="did not keep the X credentials"):
        credentials.set_bearer_token(TOKEN)
