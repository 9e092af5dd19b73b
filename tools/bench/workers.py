"""Worker throughput: one Node BullMQ worker vs one Python bullmq worker (issue 12's figure).

``make bench`` (step ``workers``) calls :func:`worker_rows`, or run ``.venv/bin/python -m
tools.bench.workers [--jobs N] [--rounds R]`` to print the figure for every server kind.
Same server, same run, same trivial job (return null), same concurrency (the worker
snippets' 5), jobs seeded beforehand by :func:`tools.bench.queues.add_trivial_jobs`; each
side is timed inside its own process from the creation of its Worker until the last job is
processed (node's start-up is not counted). Rounds alternate the order (Python first, then
Node first, …); the figures are medians. The Node side runs tests/queues/queues_driver.mts
``bench`` (the driver the queue tests use for the TypeScript worker).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import warnings
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from snippets.config.settings import load_settings
from tools import harness
from tools.bench.queues import add_trivial_jobs, clear_queue, python_worker_rate
from tools.bench.report import Figure, Row, rate
from tools.node import node_binary, node_env
from tools.paths import SNIPPETS, TESTS

# The queue tests' Node driver has the one Node worker the bench times (its `bench` command).
DRIVER = TESTS / "queues" / "queues_driver.mts"
CONCURRENCY = 5  # WORKER_OPTIONS["concurrency"] of worker.py and worker.ts


T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: the bench's tests may call it from a process
    whose main thread already runs an event loop, where ``asyncio.run`` refuses."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _node_rate(url: str, jobs: int, concurrency: int) -> float:
    command = [node_binary(), str(DRIVER), "bench", "--jobs", str(jobs)]
    proc = subprocess.run(
        [*command, "--concurrency", str(concurrency)],
        cwd=SNIPPETS,
        env=node_env({"REDIS_URL": url}),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])["jobs_per_s"]


def measure_on(url: str, jobs: int = 2000, rounds: int = 3, concurrency: int = CONCURRENCY) -> dict:
    """Both workers on the server at ``url``, ``rounds`` times each, alternating who goes first."""
    settings = load_settings({"REDIS_URL": url})
    node, python = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BullMQ's eviction-policy warning, if any
        for round_ in range(rounds):
            order = ("python", "node") if round_ % 2 == 0 else ("node", "python")
            for side in order:
                run(add_trivial_jobs(settings, jobs))
                if side == "python":
                    python.append(run(python_worker_rate(settings, jobs, concurrency)))
                else:
                    node.append(_node_rate(url, jobs, concurrency))
                run(clear_queue(settings))
    node_rate, python_rate = statistics.median(node), statistics.median(python)
    return {
        "name": "node-vs-python-worker",
        "jobs": jobs,
        "rounds": rounds,
        "concurrency": concurrency,
        "node_jobs_per_s": node_rate,
        "python_jobs_per_s": python_rate,
        "node_runs": node,
        "python_runs": python,
        "ratio": node_rate / python_rate,  # > 1: the Node worker is faster
    }


def measure_node_vs_python_worker(kind, jobs: int = 2000, rounds: int = 3) -> dict:
    """Jobs per second of one Node BullMQ worker and one Python bullmq worker on a fresh
    server of ``kind`` (a harness.Kind or its name), in one run; ``ratio`` = Node / Python."""
    if isinstance(kind, str):
        kind = harness.discover_kinds()[kind]
    with harness.started(kind, maxmemory_policy="noeviction") as server:
        result = measure_on(server.url(), jobs=jobs, rounds=rounds)
    return {"kind": str(kind), **result}


def worker_rows(kind: harness.Kind, jobs: int = 2000, rounds: int = 3) -> list[Row]:
    r = measure_node_vs_python_worker(kind, jobs=jobs, rounds=rounds)
    return [
        Row(
            f"Node BullMQ worker vs Python bullmq worker, median of {rounds} "
            f"({jobs:,} jobs, concurrency {r['concurrency']})",
            str(kind),
            f"Node {rate(r['node_jobs_per_s'], 'jobs/s')}",
            f"Python {rate(r['python_jobs_per_s'], 'jobs/s')}",
            f"{r['ratio']:.2f}",
            figures={
                "ours": Figure("Node BullMQ Worker", r["node_jobs_per_s"], "jobs/s"),
                "baseline": Figure("Python bullmq Worker", r["python_jobs_per_s"], "jobs/s"),
            },
            ratio_value=r["ratio"],
            extra={
                "jobs": jobs,
                "concurrency": r["concurrency"],
                "runs": {"node": r["node_runs"], "python": r["python_runs"]},
            },
        )
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.workers")
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    for kind in harness.discover_kinds().values():
        r = measure_node_vs_python_worker(kind, jobs=args.jobs, rounds=args.rounds)
        print(
            f"{r['kind']}: Node worker {r['node_jobs_per_s']:,.0f} jobs/s, Python worker "
            f"{r['python_jobs_per_s']:,.0f} jobs/s, ratio {r['ratio']:.2f} "
            f"({r['jobs']} jobs, concurrency {r['concurrency']}, median of {r['rounds']})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
