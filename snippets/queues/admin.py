"""Operating the queues: job counts per state, and inspecting and retrying failed jobs.

Shown on docs/usage/queues.md. Run ``python -m snippets.queues.admin`` for a table of the
five queues; ``python -m snippets.queues.admin --retry-failed`` also retries failed jobs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bullmq import Queue

from snippets.config.settings import load_settings
from snippets.queues.definitions import QUEUE_NAMES, make_queue

log = logging.getLogger("pharmacare.queues")

# --8<-- [start:counts]
STATES = ("waiting", "delayed", "active", "completed", "failed")


async def queue_counts(queues: dict[str, Queue]) -> dict[str, dict[str, int]]:
    """Jobs per state for each queue: alert on "failed" growing and "waiting" not draining."""
    return {name: await queue.getJobCounts(*STATES) for name, queue in queues.items()}


# --8<-- [end:counts]


# --8<-- [start:failed]
@dataclass(frozen=True)
class FailedJob:
    id: str
    name: str
    attempts: int
    error: str  # the exception message of the last attempt
    data: dict  # ids only, so safe to log


async def failed_jobs(queue: Queue, limit: int = 50) -> list[FailedJob]:
    """The most recent failed jobs with their last error (the stack trace is job.stacktrace)."""
    jobs = await queue.getFailed(0, limit - 1)
    return [FailedJob(j.id, j.name, j.attemptsMade, j.failedReason, j.data) for j in jobs]


async def retry_failed(queue: Queue, limit: int = 50) -> int:
    """Move failed jobs back to waiting after you fixed the cause; each gets 3 new tries."""
    retried = 0
    for job in await queue.getFailed(0, limit - 1):
        await job.retry("failed", {"resetAttemptsMade": True})
        retried += 1
    return retried


# --8<-- [end:failed]


async def _demo(retry: bool) -> None:
    settings = load_settings()
    queues = {name: make_queue(name, settings) for name in QUEUE_NAMES}
    try:
        print(f"{'queue':22}" + "".join(f"{state:>11}" for state in STATES))
        for name, counts in (await queue_counts(queues)).items():
            print(f"{name:22}" + "".join(f"{counts[state]:>11}" for state in STATES))
        for name, queue in queues.items():
            for job in await failed_jobs(queue):
                print(f"failed {name}/{job.id} after {job.attempts} tries: {job.error}")
            if retry:
                print(f"retried {await retry_failed(queue)} failed jobs in {name}")
    finally:
        for queue in queues.values():
            await queue.close()


if __name__ == "__main__":
    import asyncio
    import sys

    asyncio.run(_demo(retry="--retry-failed" in sys.argv[1:]))
