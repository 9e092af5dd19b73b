"""Helpers for the queue tests: the app's ACL user, waiting for queue states, signals."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from snippets.security.acl import APP_USERNAME, create_app_user
from tests import harness

ROOT = Path(__file__).resolve().parents[2]
FAST = {"backoff": {"type": "exponential", "delay": 100}}  # test jobs retry after 0.1 s, 0.2 s


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


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], timeout: float = 20.0, what: str = "condition"
) -> None:
    """Poll an async predicate; fail the test (not hang) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_until_sync(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start_worker_process(url: str, *args: str) -> subprocess.Popen:
    """``python -m tests.queues.worker_proc`` (a worker with test processors) in its own
    process, so a test can SIGTERM or SIGKILL it."""
    env = {**os.environ, "REDIS_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.queues.worker_proc", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
