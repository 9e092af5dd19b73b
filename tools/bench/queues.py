"""Queue throughput for the benchmark page: one BullMQ worker vs a plain LPUSH/BRPOP loop.

Not a test (no timed assertions in tests): ``make bench`` imports :func:`measure_queue_throughput`,
or run ``.venv/bin/python -m tools.bench.queues [--jobs N]`` to print the figures for
every server kind on this machine. Both loops run against the same server in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import warnings

import redis
from bullmq import Worker

from snippets.config.settings import load_settings
from snippets.queues.definitions import PREFIX, connection_options, make_queue
from snippets.queues.worker import close_workers
from tools import harness

BENCH_QUEUE = "appointment-status"


async def add_trivial_jobs(settings, jobs: int) -> None:
    """Seed ``jobs`` trivial jobs into the bench queue, 500 per addBulk (shared by every
    queue figure: this one and tools/bench/workers.py's Node vs Python)."""
    queue = make_queue(BENCH_QUEUE, settings)
    batch = [
        {"name": "update-status", "data": {"appointmentId": f"apt-{n}", "status": "confirmed"}}
        for n in range(jobs)
    ]
    for start in range(0, jobs, 500):
        await queue.addBulk(batch[start : start + 500])
    await queue.close()


async def clear_queue(settings) -> None:
    queue = make_queue(BENCH_QUEUE, settings)
    await queue.obliterate(force=True)
    await queue.close()


async def python_worker_rate(settings, jobs: int, concurrency: int) -> float:
    """Jobs/s of one Python bullmq Worker draining ``jobs`` seeded jobs (a trivial job),
    timed from the Worker's creation to the last job processed."""
    done = asyncio.Event()
    processed = 0

    async def trivial(job, token):
        nonlocal processed
        processed += 1
        if processed == jobs:
            done.set()
        return None

    started = time.perf_counter()
    worker = Worker(
        BENCH_QUEUE,
        trivial,
        {"prefix": PREFIX, "connection": connection_options(settings), "concurrency": concurrency},
    )
    await asyncio.wait_for(done.wait(), timeout=300)
    elapsed = time.perf_counter() - started
    await close_workers([worker])
    return jobs / elapsed


async def _bullmq_jobs_per_second(url: str, jobs: int) -> float:
    """Seed ``jobs`` trivial jobs, then time one worker (concurrency 1) draining them."""
    settings = load_settings({"REDIS_URL": url})
    await add_trivial_jobs(settings, jobs)
    rate = await python_worker_rate(settings, jobs, concurrency=1)
    await clear_queue(settings)
    return rate


def _list_jobs_per_second(url: str, jobs: int) -> float:
    """The same number of items through a plain redis-py LPUSH / BRPOP loop."""
    client = redis.Redis.from_url(url, retry=harness.NO_RETRY)
    key = "pharmacare:bench:list"
    with client.pipeline(transaction=False) as pipe:
        for n in range(jobs):
            pipe.lpush(key, f'{{"appointmentId": "apt-{n}", "status": "confirmed"}}')
        pipe.execute()
    started = time.perf_counter()
    for _ in range(jobs):
        client.brpop([key], timeout=5)
    elapsed = time.perf_counter() - started
    client.delete(key)
    client.close()
    return jobs / elapsed


def measure_queue_throughput(url: str, jobs: int = 2000) -> dict[str, float]:
    """Jobs per second: one BullMQ worker (trivial job) and a plain LPUSH/BRPOP loop, on the
    same server, one after the other; ``ratio`` = BullMQ / list."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BullMQ's eviction-policy warning, if any
        bullmq_rate = asyncio.run(_bullmq_jobs_per_second(url, jobs))
    list_rate = _list_jobs_per_second(url, jobs)
    return {
        "jobs": jobs,
        "bullmq_jobs_per_s": bullmq_rate,
        "list_jobs_per_s": list_rate,
        "ratio": bullmq_rate / list_rate,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.queues")
    parser.add_argument("--jobs", type=int, default=2000)
    args = parser.parse_args(argv)
    for kind in harness.discover_kinds().values():
        with harness.started(kind) as server:
            result = measure_queue_throughput(server.url(), args.jobs)
        print(
            f"{kind}: BullMQ worker {result['bullmq_jobs_per_s']:,.0f} jobs/s, "
            f"LPUSH/BRPOP loop {result['list_jobs_per_s']:,.0f} jobs/s, "
            f"ratio {result['ratio']:.2f} ({args.jobs} jobs)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
