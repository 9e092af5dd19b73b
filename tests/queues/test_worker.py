"""snippets/queues/worker.py: processors, retries into "failed", graceful SIGTERM, on every kind."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time

import pytest
from bullmq import Worker

from snippets.config.settings import load_settings
from snippets.queues.definitions import (
    PREFIX,
    QueueStartupError,
    connection_options,
    make_queue,
)
from snippets.queues.worker import PROCESSORS, WORKER_OPTIONS, close_workers, run_workers
from tests.helpers import wait_until
from tests.queues.helpers import FAST, job_states, start_worker_process
from tests.queues.worker_proc import DONE_KEY
from tools import harness


def test_a_job_that_keeps_failing_ends_in_failed_after_3_tries(
    redis_server, monkeypatch, keep_sigterm
):
    monkeypatch.setenv("REDIS_URL", redis_server.url())
    attempts: list[tuple[int, float]] = []

    async def flaky_sms(job, token):
        attempts.append((job.attemptsMade, time.monotonic()))
        raise RuntimeError(f"SMS gateway refused appointment {job.data['appointmentId']}")

    async def flow():
        queue = make_queue("appointment-reminder")
        worker = asyncio.create_task(run_workers(processors={"appointment-reminder": flaky_sms}))
        await queue.add(
            "send-reminder", {"appointmentId": "apt-9"}, {"jobId": "reminder-apt-9", **FAST}
        )
        await wait_until(lambda: queue.getFailedCount(), what="the job to land in failed")
        job = await queue.getJob("reminder-apt-9")
        state = await queue.getJobState("reminder-apt-9")
        counts = await queue.getJobCounts("waiting", "delayed", "active", "failed")
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(worker, 15)
        await queue.close()
        return job, state, counts

    job, state, counts = asyncio.run(flow())
    assert state == "failed"
    assert counts == {"waiting": 0, "delayed": 0, "active": 0, "failed": 1}
    assert job.attemptsMade == 3
    assert job.failedReason == "SMS gateway refused appointment apt-9"
    assert "RuntimeError: SMS gateway refused" in job.stacktrace[-1]
    assert [made for made, _ in attempts] == [0, 1, 2]  # three tries, no fourth
    gaps = [later - earlier for (_, earlier), (_, later) in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2  # exponential backoff: 1×, then 2× the delay


def test_worker_refuses_an_evicting_server(redis_factory, keep_sigterm):
    server = redis_factory(maxmemory="64mb", maxmemory_policy="allkeys-lru")
    with pytest.raises(QueueStartupError, match=r"memory\.policy-queue: .* allkeys-lru"):
        asyncio.run(run_workers(env={"REDIS_URL": server.url()}))


def test_every_queue_has_a_processor():
    assert set(PROCESSORS) == {
        "appointment-reminder",
        "follow-up-monitor",
        "medication-reminder",
        "adherence-check",
        "appointment-status",
    }
    assert WORKER_OPTIONS["concurrency"] > 1


def test_sigterm_finishes_the_job_in_hand(redis_server):
    """SIGTERM while a 2 s job runs: the job completes, the process exits 0, no new job starts."""
    url = redis_server.url()
    proc = start_worker_process(url, "--sleep", "2", "--concurrency", "1")
    settings = load_settings({"REDIS_URL": url})

    async def enqueue():
        queue = make_queue("appointment-status", settings)
        for n in (1, 2):
            await queue.add("update-status", {"appointmentId": f"apt-{n}", "status": "confirmed"})
        await queue.close()

    asyncio.run(enqueue())
    with redis_server.admin() as admin:
        harness.wait_for(lambda: admin.get("{pharmacare}:test:runs") == "1", "job 1 to start", 30.0)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, output
        assert admin.smembers(DONE_KEY) == {"1"}  # finished, not abandoned
        assert admin.get("{pharmacare}:test:runs") == "1"  # job 2 was not taken

    # job 2 waits for the next worker
    assert job_states(settings, "appointment-status", "1", "2") == ("completed", "waiting")
    assert "SIGTERM: finishing the jobs in hand" in output
    assert output.index("done 1") < output.index("worker stopped")


def test_demo_worker_processes_and_stops_on_sigterm(redis_server):
    env = {**os.environ, "REDIS_URL": redis_server.url()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "snippets.queues.worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    settings = load_settings(env)

    async def roundtrip():
        queue = make_queue("appointment-status", settings)
        await queue.add("update-status", {"appointmentId": "apt-3", "status": "completed"})
        await wait_until(lambda: queue.getCompletedCount(), what="the demo worker")
        (job,) = await queue.getCompleted()
        await queue.close()
        return job.returnvalue

    try:
        assert asyncio.run(roundtrip()) == {"appointment": "apt-3", "status": "completed"}
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, output
    assert "Queue Redis client connected" in output
    assert "worker stopped" in output


def test_close_workers_right_after_start_leaves_no_connection(redis_server):
    """Closed while still starting (naming its connections), no worker leaves one open."""
    options = {
        "prefix": PREFIX,
        "connection": connection_options(load_settings({"REDIS_URL": redis_server.url()})),
    }

    async def start_and_close() -> list[Worker]:
        workers = [Worker(name, fn, options) for name, fn in PROCESSORS.items()]
        await close_workers(workers)  # at once: no loop has named its connections yet
        return workers

    workers = asyncio.run(start_and_close())
    assert all(w.closed for w in workers)
    assert all(w.client.connection is None and w.bclient.connection is None for w in workers)
    with redis_server.admin() as admin:  # only the admin connection itself is left
        harness.wait_for(lambda: len(admin.client_list()) == 1, "the workers' connections closed")
