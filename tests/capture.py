"""Captured output: text shown on the site, produced by a real run, checked for drift.

A capture lives in ``docs/_captured/<name>.txt``::

    server: valkey 8.1.8
    client: redis-py 8.1.0
    normalised: port numbers (shown as 6379)
    ---
    <the output>

Tests call :func:`check`. ``pytest --update-captures`` (``make captures``) rewrites the files;
otherwise any difference fails with a diff and the command that refreshes it. A capture
belongs to one server kind (``prefer``): it is compared, and written, only on that kind.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAPTURE_DIR = ROOT / "docs" / "_captured"
SEPARATOR = "\n---\n"


@dataclass
class Capture:
    header: dict[str, str]
    body: str


def read(name: str) -> Capture | None:
    path = CAPTURE_DIR / f"{name}.txt"
    if not path.exists():
        return None
    head, _, body = path.read_text().partition(SEPARATOR)
    header = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    return Capture(header, body)


def render(server: str, body: str, normalised: str) -> str:
    lines = [f"server: {server}", f"client: redis-py {version('redis')}"]
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
) -> bool:
    """Compare ``body`` with the committed capture (or write it). Returns True if compared.

    Raises AssertionError on drift. ``kind`` is the harness Kind that produced the output,
    or None for output that does not depend on a server.
    """
    if kind is not None and kind.name != prefer:
        return False
    server = str(kind) if kind is not None else "none (offline)"
    body = body.rstrip("\n") + "\n"
    path = CAPTURE_DIR / f"{name}.txt"
    if update:
        CAPTURE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(render(server, body, normalised))
        return True
    existing = read(name)
    if existing is None:
        raise AssertionError(f"no capture {path.relative_to(ROOT)}; create it with `make captures`")
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
