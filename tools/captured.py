"""Captured output: text shown on the site, produced by a real run, checked for drift.

A capture lives in ``docs/_captured/<name>.txt``::

    server: valkey 8.1.8
    client: redis-py 8.1.0
    normalised: port numbers (shown as 6379)
    ---
    <the output>

The macros read it (:func:`read`) to show it; tests call :func:`check` through the
``capture`` fixture. ``pytest --update-captures`` (``make captures``) rewrites the files;
otherwise any difference fails with a diff and the command that refreshes it. A capture
belongs to one server kind (``prefer``): it is compared, and written, only on that kind.
"""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from tools.paths import CAPTURE_DIR, SNIPPETS, rel

SEPARATOR = "\n---\n"


@dataclass
class Capture:
    header: dict[str, str]
    body: str


def path_of(name: str) -> Path:
    return CAPTURE_DIR / f"{name}.txt"


def parse(text: str) -> Capture:
    head, _, body = text.partition(SEPARATOR)
    header = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    return Capture(header, body)


def read(name: str) -> Capture | None:
    path = path_of(name)
    return parse(path.read_text()) if path.exists() else None


def client_label(client: str) -> str:
    """``redis-py 8.1.0`` for Python runs; ``ioredis 6.0.0 · Node 24.19.0`` for Node runs."""
    if client == "redis-py":
        return f"redis-py {version('redis')}"
    if client == "ioredis":
        package = SNIPPETS / "node_modules" / "ioredis" / "package.json"
        ioredis = json.loads(package.read_text())["version"] if package.is_file() else "?"
        node = shutil.which("node")
        found = (
            subprocess.run([node, "-p", "process.versions.node"], capture_output=True, text=True)
            if node
            else None
        )
        return f"ioredis {ioredis} · Node {found.stdout.strip() if found else '?'}"
    return client  # e.g. "redis-cli 7.0.15"


def render(server: str, body: str, normalised: str, client: str = "redis-py") -> str:
    lines = [f"server: {server}", f"client: {client_label(client)}"]
    if normalised:
        lines.append(f"normalised: {normalised}")
    return "\n".join(lines) + SEPARATOR + body.rstrip("\n") + "\n"


def check(
    name: str,
    body: str,
    *,
    kind=None,
    update: bool = False,
    prefer: str = "valkey",
    normalised: str = "",
    client: str = "redis-py",
) -> bool:
    """Compare ``body`` with the committed capture (or write it). Returns True if compared.

    Raises AssertionError on drift. ``kind`` is the harness Kind that produced the output,
    or None for output that does not depend on a server.
    """
    if kind is not None and kind.name != prefer:
        return False
    server = str(kind) if kind is not None else "none (offline)"
    body = body.rstrip("\n") + "\n"
    path = path_of(name)
    if update:
        CAPTURE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(render(server, body, normalised, client))
        return True
    existing = read(name)
    if existing is None:
        raise AssertionError(f"no capture {rel(path)}; create it with `make captures`")
    if existing.body != body:
        diff = "".join(
            difflib.unified_diff(
                existing.body.splitlines(True), body.splitlines(True), "committed", "this run"
            )
        )
        raise AssertionError(
            f"captured output {name!r} drifted (refresh with `make captures` if intended):\n{diff}"
        )
    return True
