"""Durability of the queues, on every kind: worker crash, server restart, memory pressure.

Each experiment counts the jobs lost; docs/usage/queues.md states the results (0 where it
says 0). Bounded: a few hundred jobs and a timeout on every wait.
"""

from __future__ import annotations

import asyncio
import signal
import warnings

import pytest
from bullmq import Worker
from redis.exceptions import OutOfMemoryError, ResponseError

from snippets.config.settings import load_settings
from snippets.queues.definitions import PREFIX, connection_options, make_queue
from snippets.queues.worker import close_workers
from tests.helpers import wait_until
from tests.queues.helpers import start_worker_process
from tests.queues.worker_proc import DONE_KEY, RUNS_KEY

JOBS = 200


async def _add_jobs(settings, count: int, delay_ms: int = 0, start: int = 0) -> list[str]:
    queue = make_queue("appointment-status", settings)
    ids = []
    for n in range(start, start + count):
        opts = {"delay": delay_ms} if delay_ms else {}
        data = {"appointmentId": f"apt-{n}", "status": "confirmed"}
        ids.append((await queue.add("update-status", data, opts)).id)
    await queue.close()
    return ids


async def _drain(settings, expected: set[str], timeout: float = 30.0) -> tuple[set[str], dict]:
    """Run a worker until every id in ``expected`` was processed; return (processed, counts).
    (The completed set keeps at most 1,000 jobs: removeOnComplete, so count in the worker.)"""
    queue = make_queue("appointment-status", settings)
    processed: set[str] = set()

    async def ok(job, token):
        processed.add(job.id)
        return "ok"

    worker = Worker(
        "appointment-status",
        ok,
        {"prefix": PREFIX, "connection": connection_options(settings), "concurrency": 10},
    )

    async def done() -> bool:
        idle = await queue.getJobCountByTypes("waiting", "delayed", "active") == 0
        return expected <= processed and idle

    try:
        await wait_until(done, timeout=timeout, what=f"{len(expected)} processed jobs")
        await asyncio.sleep(0.2)  # let the last moveToCompleted land before counting
        counts = await queue.getJobCounts("waiting", "delayed", "active", "failed")
        return processed, counts
    finally:
        await close_workers([worker])
        await queue.close()


def test_sigkill_mid_job_another_worker_completes_every_job(redis_server):
    """Worker A is SIGKILLed with jobs in hand; worker B re-queues them (stalled check)."""
    url = redis_server.url()
    settings = load_settings({"REDIS_URL": url})
    asyncio.run(_add_jobs(settings, JOBS))
    fast_locks = ("--lock-ms", "1000", "--stalled-ms", "500", "--concurrency", "10")
    worker_a = start_worker_process(url, "--sleep", "0.05", *fast_locks)
    with redis_server.admin() as admin:
        try:
            asyncio.run(
                wait_until(
                    _async(lambda: admin.scard(DONE_KEY) >= 50), what="worker A to do 50 jobs"
                )
            )
        finally:
            worker_a.send_signal(signal.SIGKILL)
            worker_a.communicate(timeout=10)
        active_at_kill = admin.llen(f"{PREFIX}:appointment-status:active")
        done_by_a = admin.scard(DONE_KEY)
        worker_b = start_worker_process(url, "--sleep", "0.001", *fast_locks)
        try:
            counts = asyncio.run(_counts_when(settings, completed=JOBS, timeout=60))
        finally:
            worker_b.send_signal(signal.SIGTERM)
            worker_b.communicate(timeout=20)
        runs = int(admin.get(RUNS_KEY))
        done = admin.smembers(DONE_KEY)
    lost = JOBS - len(done)
    assert active_at_kill > 0  # the kill really was mid-job
    assert done_by_a < JOBS
    assert lost == 0
    assert counts == {"waiting": 0, "delayed": 0, "active": 0, "completed": JOBS, "failed": 0}
    assert runs >= JOBS  # at least once: jobs cut off by the kill ran again
    print(f"sigkill: lost={lost} active_at_kill={active_at_kill} reruns={runs - JOBS}")


def _async(predicate):
    async def check() -> bool:
        return predicate()

    return check


async def _counts_when(settings, completed: int, timeout: float) -> dict:
    queue = make_queue("appointment-status", settings)

    async def done() -> bool:
        return await queue.getCompletedCount() >= completed

    try:
        await wait_until(done, timeout=timeout, what=f"{completed} completed jobs")
        return await queue.getJobCounts("waiting", "delayed", "active", "completed", "failed")
    finally:
        await queue.close()


@pytest.mark.parametrize("persistent", [True, False], ids=["aof-always", "no-persistence"])
def test_restart_keeps_waiting_and_delayed_jobs_only_with_aof(redis_factory, persistent):
    """kill -9 and restart the server: with AOF (appendfsync always) every waiting and
    delayed job survives and completes; without persistence all of them are gone."""
    options = {"appendonly": True, "appendfsync": "always"} if persistent else {}
    server = redis_factory(**options)
    settings = load_settings({"REDIS_URL": server.url()})
    waiting = asyncio.run(_add_jobs(settings, 150))
    delayed = asyncio.run(_add_jobs(settings, 50, delay_ms=1500, start=150))
    server.kill9()
    server.restart()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BullMQ's own eviction warning (noeviction here)
        if persistent:
            queue = make_queue("appointment-status", settings)
            assert asyncio.run(_counts(queue)) == {"waiting": 150, "delayed": 50}  # still there
            processed, counts = asyncio.run(_drain(settings, expected={*waiting, *delayed}))
            lost = len({*waiting, *delayed} - processed)
            assert counts == {"waiting": 0, "delayed": 0, "active": 0, "failed": 0}
        else:
            queue = make_queue("appointment-status", settings)
            counts = asyncio.run(_total(queue))
            lost = 200 - counts
    print(f"restart persistent={persistent}: lost={lost}")
    assert lost == (0 if persistent else 200)


async def _counts(queue) -> dict:
    try:
        return await queue.getJobCounts("waiting", "delayed")
    finally:
        await queue.close()


async def _total(queue) -> int:
    try:
        return await queue.getJobCountByTypes("waiting", "delayed", "active", "completed")
    finally:
        await queue.close()


def test_evicting_policy_loses_queued_jobs(redis_factory):
    """allkeys-lru and a cache sharing the instance: filling the cache evicts job data."""
    server = redis_factory(maxmemory_policy="allkeys-lru")
    settings = load_settings({"REDIS_URL": server.url()})
    with server.admin() as admin:
        base = admin.info("memory")["used_memory"]
        admin.config_set("maxmemory", base + 2 * 1024 * 1024)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ids = asyncio.run(_add_jobs(settings, JOBS))
    with server.admin() as admin:
        for n in range(4000):  # ~4 MB of cache entries on a 2 MB headroom
            admin.set(f"pharmacare:cache:{n}", "x" * 1000)
        evicted = admin.info("stats")["evicted_keys"]
        missing = [i for i in ids if not admin.exists(f"{PREFIX}:appointment-status:{i}")]
        waiting = admin.llen(f"{PREFIX}:appointment-status:wait")
    lost = len(missing)
    print(f"allkeys-lru: evicted={evicted} job hashes lost={lost} still listed={waiting}")
    assert evicted > 0
    assert lost > 0  # job hashes are gone: those jobs can never run


def test_noeviction_full_instance_refuses_new_jobs_and_keeps_the_old(redis_factory, capture):
    """noeviction: the producer gets a clear OOM error; every job it was told is queued
    stays queued and completes once memory is freed."""
    server = redis_factory(maxmemory_policy="noeviction")
    settings = load_settings({"REDIS_URL": server.url()})
    with server.admin() as admin:
        base = admin.info("memory")["used_memory"]
        admin.config_set("maxmemory", base + 1024 * 1024)

    async def fill() -> tuple[list[str], Exception]:
        queue = make_queue("appointment-status", settings)
        accepted = []
        try:
            for n in range(20_000):
                data = {"appointmentId": f"apt-{n}", "status": "confirmed"}
                try:
                    accepted.append((await queue.add("update-status", data)).id)
                except ResponseError as error:
                    return accepted, error
            raise AssertionError("the server never ran out of memory")
        finally:
            await queue.close()

    accepted, error = asyncio.run(fill())
    assert isinstance(error, OutOfMemoryError)
    text = f"{type(error).__name__}: {error}"
    assert "command not allowed when used memory > 'maxmemory'" in text
    capture("queue-oom", text.split(" script:")[0])
    with server.admin() as admin:
        admin.config_set("maxmemory", 0)  # the operator upgrades the plan / frees memory
    processed, counts = asyncio.run(_drain(settings, expected=set(accepted), timeout=60))
    lost = len(set(accepted) - processed)
    print(f"noeviction: accepted={len(accepted)} lost={lost}")
    assert lost == 0
    assert len(accepted) > 100
    assert counts == {"waiting": 0, "delayed": 0, "active": 0, "failed": 0}
