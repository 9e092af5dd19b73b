"""snippets/queues/worker.ts: processors, retries, SIGTERM drain, SIGKILL, on every kind.

The worker runs as its own node process (tests/queues/queues_driver.mts ``worker`` uses
runWorkers with recording processors); jobs are added and inspected from Python, which reads
the same queues (the interop tests cover that in both directions on purpose).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time

from snippets.config.settings import load_settings
from snippets.queues.definitions import PREFIX, QUEUE_NAMES, make_queue
from tests.helpers import wait_until
from tests.nodejs import run_ts, start_ts
from tests.queues.helpers import FAST, job_states
from tests.queues.node_queues import ATTEMPTS_KEY, DONE_KEY, RUNS_KEY, driver, start_driver
from tools import harness
from tools.paths import ROOT

JOBS = 200
FAST_LOCKS = ("--lock-ms", "1000", "--stalled-ms", "500", "--concurrency", "10")


def _stop(proc, sig=signal.SIGTERM, timeout: float = 20) -> str:
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=timeout)
    return output


async def _add(settings, queue_name: str, count: int, opts: dict | None = None, start: int = 0):
    queue = make_queue(queue_name, settings)
    ids = []
    for n in range(start, start + count):
        data = {"appointmentId": f"apt-{n}", "status": "confirmed"}
        ids.append((await queue.add("update-status", data, opts or {})).id)
    await queue.close()
    return ids


def test_every_queue_has_a_processor(redis_server):
    names = driver("names", url=redis_server.url())
    assert names["processors"] == list(QUEUE_NAMES)
    assert names["options"]["concurrency"] == 5
    assert names["options"]["maxStalledCount"] == 1


def test_a_job_that_keeps_failing_ends_in_failed_after_3_tries(redis_server):
    url = redis_server.url()
    settings = load_settings({"REDIS_URL": url})
    worker = start_driver("worker", "--queues", "appointment-reminder", "--fail-all", url=url)

    async def flow():
        queue = make_queue("appointment-reminder", settings)
        await queue.add(
            "send-reminder", {"appointmentId": "apt-9"}, {"jobId": "reminder-apt-9", **FAST}
        )
        await wait_until(lambda: queue.getFailedCount(), what="the job to land in failed")
        job = await queue.getJob("reminder-apt-9")
        counts = await queue.getJobCounts("waiting", "delayed", "active", "failed")
        await queue.close()
        return job, counts

    try:
        job, counts = asyncio.run(flow())
    finally:
        output = _stop(worker)
    assert worker.returncode == 0, output
    assert counts == {"waiting": 0, "delayed": 0, "active": 0, "failed": 1}
    assert job.attemptsMade == 3
    assert job.failedReason == "SMS gateway refused appointment apt-9"
    assert job.stacktrace[-1].startswith("Error: SMS gateway refused appointment apt-9")
    with redis_server.admin() as admin:
        attempts = [a.split(":") for a in admin.lrange(ATTEMPTS_KEY, 0, -1)]
    assert [made for _, made, _ in attempts] == ["0", "1", "2"]  # three tries, no fourth
    times = [int(ms) for *_, ms in attempts]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert gaps[0] >= 100 and gaps[1] >= 200  # exponential backoff: 1×, then 2× the delay


def test_worker_refuses_an_evicting_server(redis_factory):
    server = redis_factory(maxmemory="64mb", maxmemory_policy="allkeys-lru")
    out = run_ts("queues/worker.ts", env={"REDIS_URL": server.url()})
    assert out.returncode != 0
    assert "QueueStartupError: memory.policy-queue: " in out.stderr
    assert "maxmemory-policy is allkeys-lru; set it to noeviction" in out.stderr
    with server.admin() as admin:
        assert admin.dbsize() == 0  # no worker connected to the queues


def test_sigterm_finishes_the_job_in_hand(redis_server):
    """SIGTERM while a 2 s job runs: the job completes, the process exits 0, no new job starts."""
    url = redis_server.url()
    settings = load_settings({"REDIS_URL": url})
    proc = start_driver("worker", "--sleep", "2", "--concurrency", "1", url=url)
    asyncio.run(_add(settings, "appointment-status", 2, start=1))
    with redis_server.admin() as admin:
        try:
            harness.wait_for(lambda: admin.get(RUNS_KEY) == "1", "job 1 to start", 30.0)
        finally:
            output = _stop(proc)
        assert proc.returncode == 0, output
        assert admin.smembers(DONE_KEY) == {"1"}  # finished, not abandoned
        assert admin.get(RUNS_KEY) == "1"  # job 2 was not taken

    # job 2 waits for the next worker
    assert job_states(settings, "appointment-status", "1", "2") == ("completed", "waiting")
    assert "SIGTERM: finishing the jobs in hand" in output
    assert output.index("done 1") < output.index("worker stopped")


def test_demo_worker_processes_and_stops_on_sigterm(redis_server):
    url = redis_server.url()
    settings = load_settings({"REDIS_URL": url})
    proc = start_ts("queues/worker.ts", env={"REDIS_URL": url}, stderr=None)

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
        proc.send_signal(signal.SIGINT)  # Ctrl-C: the same drain as SIGTERM
        output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, output
    assert "Queue Redis client connected" in output
    assert "worker started: appointment-reminder, follow-up-monitor" in output
    assert "SIGINT: finishing the jobs in hand" in output
    assert "worker stopped" in output


def test_sigkill_mid_job_another_worker_completes_every_job(redis_server):
    """Node worker A is SIGKILLed with jobs in hand; node worker B re-queues them (stalled
    check) and completes all: 0 lost, at least once. B exits normally on SIGTERM, so every
    line A ran is also run by a process that writes its coverage."""
    url = redis_server.url()
    settings = load_settings({"REDIS_URL": url})
    asyncio.run(_add(settings, "appointment-status", JOBS))
    worker_a = start_driver("worker", "--sleep", "0.05", *FAST_LOCKS, url=url)
    with redis_server.admin() as admin:
        try:
            harness.wait_for(lambda: admin.scard(DONE_KEY) >= 50, "worker A to do 50 jobs", 30.0)
        finally:
            _stop(worker_a, signal.SIGKILL, timeout=10)
        active_at_kill = admin.llen(f"{PREFIX}:appointment-status:active")
        done_by_a = admin.scard(DONE_KEY)
        worker_b = start_driver("worker", "--sleep", "0.001", *FAST_LOCKS, url=url)
        try:
            counts = asyncio.run(_counts_when(settings, completed=JOBS, timeout=60))
        finally:
            output = _stop(worker_b)
        runs = int(admin.get(RUNS_KEY))
        done = admin.smembers(DONE_KEY)
    assert worker_b.returncode == 0, output
    lost = JOBS - len(done)
    assert active_at_kill > 0  # the kill really was mid-job
    assert done_by_a < JOBS
    assert lost == 0
    assert counts == {"waiting": 0, "delayed": 0, "active": 0, "completed": JOBS, "failed": 0}
    assert runs >= JOBS  # at least once: jobs cut off by the kill ran again
    print(f"node sigkill: lost={lost} active_at_kill={active_at_kill} reruns={runs - JOBS}")


async def _counts_when(settings, completed: int, timeout: float) -> dict:
    queue = make_queue("appointment-status", settings)

    async def done() -> bool:
        return await queue.getCompletedCount() >= completed

    try:
        await wait_until(done, timeout=timeout, what=f"{completed} completed jobs")
        return await queue.getJobCounts("waiting", "delayed", "active", "completed", "failed")
    finally:
        await queue.close()


def test_worker_returns_json_the_python_side_reads(redis_server):
    """A node processor's return value is stored as JSON in the job hash."""
    url = redis_server.url()
    settings = load_settings({"REDIS_URL": url})
    proc = start_driver("worker", url=url)
    try:
        asyncio.run(_add(settings, "appointment-status", 1))
        with redis_server.admin() as admin:
            harness.wait_for(lambda: admin.scard(DONE_KEY) == 1, "the job", 30.0)
            key = f"{PREFIX}:appointment-status:1"
            harness.wait_for(lambda: admin.hexists(key, "returnvalue"), "its return value", 30.0)
            value = json.loads(admin.hget(key, "returnvalue"))
    finally:
        _stop(proc)
    assert value == {
        "by": "node",
        "queue": "appointment-status",
        "data": {"appointmentId": "apt-0", "status": "confirmed"},
    }


def _connections(server) -> list[str]:
    """Names of the clients connected to ``server``, the admin's own connection left out."""
    with server.admin() as admin:
        me = admin.client_id()
        return sorted(c["name"] for c in admin.client_list() if int(c["id"]) != me)


def _worker_names(server) -> set[str]:
    return {n for n in _connections(server) if n.endswith(":w:pharmacare-worker")}


def _settled(server) -> list[str]:
    """The connection list once it stops changing (two reads 0.5 s apart agree)."""
    seen: list[list[str]] = [_connections(server)]

    def same_as_before() -> bool:
        time.sleep(0.5)
        seen.append(_connections(server))
        return seen[-1] == seen[-2]

    harness.wait_for(same_as_before, "the connection list to settle", 30.0)
    return seen[-1]


def _python_worker_demo(url: str) -> subprocess.Popen:
    """``python -m snippets.queues.worker``: the Python worker for the five queues."""
    return subprocess.Popen(
        [sys.executable, "-m", "snippets.queues.worker"],
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_worker_connection_budget_node_and_python(redis_server):
    """CLIENT LIST while a worker process idles: Node and Python workers alike hold 10
    connections for the five queues (2 per queue: commands, and blocking waits for jobs)."""
    url = redis_server.url()
    budgets = {}
    for language, proc in (
        ("node", lambda: start_ts("queues/worker.ts", env={"REDIS_URL": url}, stderr=None)),
        ("python", lambda: _python_worker_demo(url)),
    ):
        worker = proc()
        try:  # ready: each of the five queues has its named worker connection
            harness.wait_for(lambda: len(_worker_names(redis_server)) == 5, f"{language} worker")
            names = _settled(redis_server)
        finally:
            output = _stop(worker)
        assert worker.returncode == 0, output
        harness.wait_for(lambda: _connections(redis_server) == [], "the connections to close")
        budgets[language] = names
    for names in budgets.values():
        assert len(names) == 10, names  # 2 per queue: commands, and blocking waits for jobs
    print(f"worker connections: node={len(budgets['node'])} python={len(budgets['python'])}")
