"""A worker process for the crash and shutdown tests: run_workers with test processors.

``python -m tests.queues.worker_proc --queue appointment-status --sleep 0.02 --lock-ms 1000
--stalled-ms 500 --concurrency 10``. Each processor records its job id in Redis
(``{pharmacare}:test:done`` set, ``{pharmacare}:test:runs`` counter) after sleeping, so a test
can tell which jobs really ran and how many ran twice.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from bullmq import Job

from snippets.config.settings import load_settings
from snippets.queues.definitions import producer_client
from snippets.queues.worker import run_workers

DONE_KEY = "{pharmacare}:test:done"
RUNS_KEY = "{pharmacare}:test:runs"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queue", default="appointment-status")
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--lock-ms", type=int, default=30_000)
    parser.add_argument("--stalled-ms", type=int, default=30_000)
    parser.add_argument("--concurrency", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    async def run() -> None:
        recorder = producer_client(load_settings())

        async def processor(job: Job, token: str) -> str:
            await recorder.incr(RUNS_KEY)
            print(f"start {job.id}", flush=True)
            await asyncio.sleep(args.sleep)
            await recorder.sadd(DONE_KEY, job.id)
            print(f"done {job.id}", flush=True)
            return "ok"

        try:
            await run_workers(
                processors={args.queue: processor},
                concurrency=args.concurrency,
                lockDuration=args.lock_ms,
                stalledInterval=args.stalled_ms,
            )
        finally:
            await recorder.aclose()

    asyncio.run(run())


if __name__ == "__main__":
    main()
