"""The bootstrapped node for tools that run TypeScript (make bench): found on PATH or a clear error.

`make` puts the virtualenv's bin/ first on PATH (tools/node_env.py links Node there); the
tests use tests/nodejs.py, which skips (or fails under REQUIRE=node) where this raises.
"""

from __future__ import annotations

import os
import shutil

from tools.paths import SNIPPETS


def node_binary() -> str:
    """The node on PATH (with snippets/node_modules), or a RuntimeError saying what to run."""
    node = shutil.which("node")
    if node is None or not (SNIPPETS / "node_modules").is_dir():
        raise RuntimeError("node or snippets/node_modules missing: run it through `make`")
    return node


def node_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment plus ``env`` (PATH and any NODE_V8_COVERAGE kept)."""
    return {**os.environ, **(env or {})}
