"""Disposable server start-to-PING: the harness vs pytest-redis's RedisExecutor."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import redis

from tools import harness
from tools.bench.report import Figure, Row, ms


def _ping(port: int) -> None:
    with redis.Redis(port=port, retry=harness.NO_RETRY, socket_timeout=5) as client:
        client.ping()


def harness_start_to_ping(kind: harness.Kind) -> float:
    """Seconds from Server(...).start() to the first PONG, as every test pays it."""
    began = time.perf_counter()
    server = harness.Server(kind).start()
    _ping(server.port)
    elapsed = time.perf_counter() - began
    server.stop()
    return elapsed


def pytest_redis_start_to_ping(kind: harness.Kind) -> float:
    """The same with pytest-redis's process fixture machinery (its RedisExecutor), as its
    ``redis_proc`` fixture runs it, pointed at the same binary."""
    from pytest_redis.executor import RedisExecutor

    with tempfile.TemporaryDirectory(prefix="pcrg-pytest-redis-") as tmp:
        began = time.perf_counter()
        executor = RedisExecutor(
            executable=str(kind.binary),
            databases=8,
            redis_timeout=30,
            loglevel="notice",
            host=harness.LOOPBACK,
            port=harness.free_port(),
            datadir=Path(tmp),
            startup_timeout=60,
        )
        executor.start()
        _ping(executor.port)
        elapsed = time.perf_counter() - began
        executor.stop()
    return elapsed


def start_to_ping(kind: harness.Kind, starts: int) -> tuple[list[float], list[float]]:
    """``starts`` starts of each, interleaved so neither gets a warmer machine."""
    ours, theirs = [], []
    for _ in range(starts):
        ours.append(harness_start_to_ping(kind))
        theirs.append(pytest_redis_start_to_ping(kind))
    return ours, theirs


def start_rows(kind: harness.Kind, starts: int) -> list[Row]:
    ours, theirs = start_to_ping(kind, starts)
    a, b = statistics.median(ours), statistics.median(theirs)
    return [
        Row(
            f"server start-to-PING, median of {starts}",
            str(kind),
            f"harness {ms(a)}",
            f"pytest-redis {ms(b)}",
            f"{b / a:.1f}× faster" if b >= a else f"{a / b:.1f}× slower",
            figures={
                "ours": Figure("harness", a * 1000, "ms"),
                "baseline": Figure("pytest-redis RedisExecutor", b * 1000, "ms"),
            },
            ratio_value=b / a,  # > 1: the harness starts faster
            extra={"starts": starts},
        )
    ]
