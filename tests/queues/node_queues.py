"""Helpers for the TypeScript queue tests and the Node ↔ Python interop tests.

``driver(cmd, …)`` runs tests/queues/queues_driver.mts (which drives snippets/queues/*.ts) to
completion and returns its JSON; ``start_driver(…)`` starts it in the background (a worker
to SIGTERM or SIGKILL). Both go through the same node as tests.nodejs (coverage inherited).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.nodejs import SNIPPETS, node_binary, node_env
from tools.harness.session import PATIENCE

DRIVER = Path(__file__).resolve().with_name("queues_driver.mts")
RUNS_KEY = "{pharmacare}:test:runs"
DONE_KEY = "{pharmacare}:test:done"
ATTEMPTS_KEY = "{pharmacare}:test:attempts"


def _command(cmd: str, *args: str) -> list[str]:
    return [node_binary(), str(DRIVER), cmd, *args]


def run_driver(cmd: str, *args: str, url: str, env: dict | None = None, timeout: float = 90):
    """The driver to completion: the CompletedProcess (stdout, stderr as text)."""
    return subprocess.run(
        _command(cmd, *args),
        cwd=SNIPPETS,
        env=node_env({"REDIS_URL": url, **(env or {})}),
        capture_output=True,
        text=True,
        timeout=timeout * PATIENCE,
    )


def driver(cmd: str, *args: str, url: str, env: dict | None = None, timeout: float = 90):
    """The driver's JSON (its last stdout line); fails the test with its output otherwise."""
    proc = run_driver(cmd, *args, url=url, env=env, timeout=timeout)
    assert proc.returncode == 0, f"driver {cmd} exited {proc.returncode}:\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def start_driver(cmd: str, *args: str, url: str, env: dict | None = None) -> subprocess.Popen:
    """The driver in the background, stdout and stderr merged into one text pipe."""
    return subprocess.Popen(
        _command(cmd, *args),
        cwd=SNIPPETS,
        env=node_env({"REDIS_URL": url, **(env or {})}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
