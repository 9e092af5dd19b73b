"""Fixtures for the presence tests: a server with the app's ACL user, REDIS_URL pointing at it."""

from __future__ import annotations

import pytest

from tests.cache import app_user


@pytest.fixture
def app(redis_factory, monkeypatch) -> app_user.AppServer:
    started = app_user.start(redis_factory)
    monkeypatch.setenv("REDIS_URL", started.url)
    return started
