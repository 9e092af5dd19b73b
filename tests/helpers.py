"""Helpers shared by tests (imported as a plain module; conftest.py files hold fixtures only).

- :data:`APP_VARIABLES` — the app's environment variables, cleared for every test;
- :func:`need` / :func:`need_binary` — skip for a missing optional tool, fail if REQUIRE names it;
- :func:`wait_until` — the async twin of ``harness.wait_for`` (bounded poll, no timing asserts).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tools.harness.session import PATIENCE

# Environment variables the app reads; cleared for every test so a developer's shell
# (or CI's) never leaks into a result. The last four are the scaling recipes'
# (docs/operations/scaling.md).
APP_VARIABLES = (
    "REDIS_URL",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_PASSWORD",
    "REDIS_DB",
    "REDIS_USERNAME",
    "APP_ENV",
    "NODE_ENV",
    "CACHE_PROVIDER",
    "DISABLE_BACKGROUND_JOBS",
    "DOCS_BASE_URL",
    "REDIS_CLUSTER",
    "REDIS_SENTINELS",
    "REDIS_SENTINEL_MASTER",
    "REDIS_SENTINEL_PASSWORD",
)


def required() -> set[str]:
    """Tools and kinds whose absence is an error, not a skip (CI: REQUIRE=redis,valkey,…)."""
    return {t.strip() for t in os.environ.get("REQUIRE", "").split(",") if t.strip()}


def need(tool: str, available: bool, why: str) -> None:
    """Skip for a missing optional tool, unless REQUIRE names it: then fail."""
    if available:
        return
    if tool in required():
        pytest.fail(f"REQUIRE includes {tool!r} but it is missing: {why}", pytrace=False)
    pytest.skip(f"{tool} not available: {why}")


def need_binary(name: str, tool: str | None = None) -> str:
    path = shutil.which(name)
    need(tool or name, path is not None, f"{name} not found on PATH")
    return path  # type: ignore[return-value]


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], timeout: float = 20.0, what: str = "condition"
) -> None:
    """Poll an async predicate; fail the test (not hang) after ``timeout`` × PATIENCE seconds
    (tools/harness/session.py: bounds stretch on a loaded machine)."""
    timeout *= PATIENCE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


# Debian's Chromium, driven by Playwright without a browser download; the background-
# networking flags keep it off this machine's closed network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def built_once(tmp_path_factory, name: str, make: Callable[[Path], None]) -> Path:
    """An artefact (a built site) made once per test run and shared by every pytest-xdist
    worker: the first worker to ask builds it under a lock, the others wait and reuse it.

    (xdist's ``--dist loadgroup`` would keep such tests on one worker instead, but with
    pytest 9 it groups nothing: xdist 3.8 rewrites ``item._nodeid``, which pytest 9 no longer
    reads — its ``nodeid`` comes from ``item._id``.)"""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this run
    out, done = base / name, base / f"{name}.done"
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                shutil.rmtree(out, ignore_errors=True)
                make(out)
                done.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return out
