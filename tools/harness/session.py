"""The harness's session: one temp root, everything live tracked, cleaned up on any exit.

Everything the harness starts lives in its own directory under one session root and is
stopped by :func:`cleanup_all` (pytest's session finish, atexit, Ctrl-C). Server processes
also get PR_SET_PDEATHSIG, so a run killed with SIGKILL takes its servers with it.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 10.0


def _patience() -> float:
    try:
        return max(1.0, float(os.environ.get("TEST_PATIENCE", "3")))
    except ValueError:
        return 3.0


# Every bounded wait of the harness and the tests (a poll, a subprocess's run) is an upper
# bound on a condition that normally holds in well under its figure: never a claim about
# speed. On a loaded machine the same waits take many times longer, so every bound is
# stretched by PATIENCE (TEST_PATIENCE, default 3; 1 keeps the written figures). A passing
# test returns as soon as its condition holds; only a failing one waits longer to say so.
PATIENCE = _patience()

_root: Path | None = None
_live: list[Stoppable] = []
_lock = threading.Lock()


def session_root() -> Path:
    """One temp dir for everything this process starts; removed by :func:`cleanup_all`."""
    global _root
    with _lock:
        if _root is None:
            _root = Path(tempfile.mkdtemp(prefix="pcrg-harness-"))
        return _root


def new_dir(prefix: str) -> Path:
    """A fresh directory under the session root."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=session_root()))


def cleanup_all() -> None:
    """Stop every server/front/socket still alive and remove the session root."""
    global _root
    with _lock:
        live = list(reversed(_live))
        _live.clear()
    for thing in live:
        with contextlib.suppress(Exception):
            thing.stop()
    with _lock:
        if _root is not None:
            shutil.rmtree(_root, ignore_errors=True)
            _root = None


atexit.register(cleanup_all)


class Stoppable:
    """Anything the harness must stop at the end of a test or session."""

    def stop(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def _track(self) -> None:
        with _lock:
            _live.append(self)

    def _untrack(self) -> None:
        with _lock:
            if self in _live:
                _live.remove(self)


def free_port(host: str = LOOPBACK, below: int = 65536) -> int:
    """A free port; ``below`` for cluster nodes, whose bus port is port + 10000."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    while True:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port < below:
            return port


_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setpgrp()  # a Ctrl-C in the terminal reaches pytest, which then stops us in order


def wait_for(
    condition: Callable[[], object],
    what: str = "condition",
    timeout: float = 20.0,
    ignore: tuple[type[BaseException], ...] = (),
    interval: float = 0.02,
) -> None:
    """Poll ``condition`` until it is true: bounded, and no assertion of how fast it was.

    Errors of the types in ``ignore`` count as "not yet" (e.g. a node still starting).
    Raises AssertionError (a test failure, not a hang) after ``timeout`` seconds.
    """
    timeout *= PATIENCE
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(*ignore):
            if condition():
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:g}s")
        time.sleep(interval)


def answers_ping(host: str, port: int) -> bool:
    """True when a Redis-protocol server on host:port answers anything to PING."""
    with socket.create_connection((host, port), timeout=0.5) as s:
        s.sendall(b"PING\r\n")
        return bool(s.recv(64))  # +PONG, -NOAUTH, -DENIED …: it is up


def wait_port(host: str, port: int, timeout: float = START_TIMEOUT) -> None:
    """Wait until a Redis-protocol server on host:port answers; TimeoutError otherwise."""
    try:
        wait_for(lambda: answers_ping(host, port), f"{host}:{port}", timeout, (OSError,), 0.003)
    except AssertionError as exc:
        raise TimeoutError(
            f"nothing answered on {host}:{port} within {timeout * PATIENCE:g}s"
        ) from exc
