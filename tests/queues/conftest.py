"""Fixtures for the queue tests: the app's ACL user, signals (helpers: tests/queues/helpers.py)."""

from __future__ import annotations

import signal
from collections.abc import Callable

import pytest

from snippets.security.acl import APP_USERNAME, create_app_user
from tools import harness


@pytest.fixture
def app_user_url(redis_factory) -> Callable[..., tuple[harness.Server, str]]:
    """``app_user_url(**server_options)``: a server with the admin password and the app's
    least-privilege user (created by the security snippet); returns (server, app user URL)."""

    def make(**options) -> tuple[harness.Server, str]:
        admin_password, app_password = harness.random_password(), harness.random_password()
        server = redis_factory(password=admin_password, **options)
        with server.admin() as admin:
            create_app_user(admin, app_password)
        return server, server.url(username=APP_USERNAME, password=app_password)

    return make


@pytest.fixture
def keep_sigterm():
    """run_workers installs loop signal handlers; closing the loop resets SIGTERM to the
    default. Put back whatever the suite had (conftest turns SIGTERM into Ctrl-C)."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)
