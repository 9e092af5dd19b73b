"""Run a few lines of TypeScript/ES-module code in snippets/ (imports like './config/client.ts').

For tests that drive a snippet's exported functions directly; coverage is collected like
for tests.nodejs.run_ts (the environment is the test's plus ``env``).
"""

from __future__ import annotations

import subprocess

from tests.nodejs import SNIPPETS, node_binary, node_env
from tools.harness.session import PATIENCE


def run_script(script: str, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run(
        [node_binary(), "--input-type=module", "-e", script],
        cwd=SNIPPETS,
        env=node_env(env),
        capture_output=True,
        text=True,
        timeout=timeout * PATIENCE,
    )


def start_script(script: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [node_binary(), "--input-type=module", "-e", script],
        cwd=SNIPPETS,
        env=node_env(env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
