"""Fixtures for the X gateway tests: the fake X API server and a gateway pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crm.x.gateway import XGateway
from tests.x.fake_x_server import FakeXServer


@pytest.fixture
def fake_x(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeXServer]:
    """A fresh fake X API v2 server on 127.0.0.1 (``.base_url``, ``.token``, ``.requests``)."""
    # A proxy from the environment must not intercept requests to the local server.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = FakeXServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def requests_sent() -> list[int]:
    """Appended to by the gateway's ``on_request`` callback, once per HTTP request."""
    return []


@pytest.fixture
def gateway(fake_x: FakeXServer, requests_sent: list[int]) -> XGateway:
    """A gateway on the fake server with instant backoff and a short timeout."""
    return XGateway(
        fake_x.token,
        fake_x.base_url,
        timeout=2,
        on_request=lambda: requests_sent.append(1),
        backoff_base=0.0,
    )
