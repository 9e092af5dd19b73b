"""Helpers for the queue tests: fast retries and a worker in its own process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from snippets.config.settings import RedisSettings
from snippets.queues.definitions import make_queue
from tools.paths import ROOT

FAST = {"backoff": {"type": "exponential", "delay": 100}}  # test jobs retry after 0.1 s, 0.2 s


def start_worker_process(url: str, *args: str) -> subprocess.Popen:
    """``python -m tests.queues.worker_proc`` (a worker with test processors) in its own
    process, so a test can SIGTERM or SIGKILL it."""
    env = {**os.environ, "REDIS_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.queues.worker_proc", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def job_states(settings: RedisSettings, queue_name: str, *job_ids: str) -> tuple[str, ...]:
    """BullMQ's state of each job id in one queue (``completed``, ``waiting``…), read with a
    fresh Queue that is closed afterwards."""

    async def states() -> tuple[str, ...]:
        queue = make_queue(queue_name, settings)
        try:
            return tuple([await queue.getJobState(job_id) for job_id in job_ids])
        finally:
            await queue.close()

    return asyncio.run(states())
