"""Run the TypeScript snippets under Node, the way a reader runs them: the one way tests start node.

`make test` puts the bootstrapped Node first on PATH (tools/node_env.py) and sets
``NODE_V8_COVERAGE``; every node started here inherits it, so c8 can check that the
TypeScript in snippets/ was fully executed. Pass ``env`` as *additions* to the test's
environment (REDIS_URL=…), never as a replacement, or coverage is lost.

- ``run_ts("config/settings.ts", "--demo")`` — run a module to completion, output as text;
- ``start_ts("queues/worker.ts")`` — a long-running process (kill it, wait on its output);
- ``node_binary()`` — the node on PATH, or a skip (an error under REQUIRE=node).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from tests.helpers import need
from tools.harness.session import PATIENCE
from tools.paths import ROOT

SNIPPETS = ROOT / "snippets"


def node_binary() -> str:
    node = shutil.which("node")
    need("node", node is not None, "node not on PATH: run the suite with `make test`")
    have = subprocess.run(
        [node, "-p", "process.versions.node"],
        capture_output=True,
        text=True,
        check=True,  # type: ignore[list-item]
    ).stdout.strip()
    major, minor = (int(x) for x in have.split(".")[:2])
    need("node", (major, minor) >= (24, 2), f"node {have} is too old (>= 24.2): use `make test`")
    need("node", (SNIPPETS / "node_modules").is_dir(), "snippets/node_modules missing: `make test`")
    return node  # type: ignore[return-value]


def node_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The test's environment plus ``env`` (coverage and PATH kept)."""
    return {**os.environ, **(env or {})}


def ts_command(module: str, *args: str) -> list[str]:
    path = SNIPPETS / module
    if not path.is_file():
        raise FileNotFoundError(f"no TypeScript snippet {path.relative_to(ROOT)}")
    return [node_binary(), str(path), *args]


def run_ts(
    module: str,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    check: bool = False,
    **kwargs,
) -> subprocess.CompletedProcess:
    """``node snippets/<module> args`` to completion; output captured as text."""
    return subprocess.run(
        ts_command(module, *args),
        cwd=SNIPPETS,
        env=node_env(env),
        capture_output=True,
        text=True,
        timeout=timeout * PATIENCE,
        check=check,
        **kwargs,
    )


def start_ts(
    module: str, *args: str, env: dict[str, str] | None = None, **kwargs
) -> subprocess.Popen:
    """``node snippets/<module> args`` in the background, stdout/stderr as text pipes."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(
        ts_command(module, *args), cwd=SNIPPETS, env=node_env(env), text=True, **kwargs
    )


class NodeLines:
    """One long-lived ``node SCRIPT``: a JSON value per line in, one line per answer out
    (the inspector and ioredis readers). :meth:`line` gives the raw line, a call its JSON."""

    def __init__(self, script: Path, *flags: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [node_binary(), str(script), *flags],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
            env=node_env(env),
        )

    def line(self, value: object) -> str:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(value) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"node exited ({self.proc.poll()})"
        return line

    def __call__(self, value: object) -> dict:
        return json.loads(self.line(value))

    def close(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
