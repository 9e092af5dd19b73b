"""Node BullMQ (npm bullmq, snippets/queues/*.ts) and Python bullmq share the queues, on every kind.

docs/usage/queues.md ("Node and Python on the same queues") points here. Each direction:
jobs enqueued by one language's producers are processed by the other language's worker,
and the producing side reads the return values and the failures (reason, tries, stack)
the worker stored; a job scheduler created on one side fires repeatedly on the other.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta

from bullmq import Worker

from snippets.config.settings import load_settings
from snippets.queues.definitions import PREFIX, connection_options, make_queue
from snippets.queues.producers import Producers
from snippets.queues.worker import close_workers
from tests.helpers import wait_until
from tests.queues.helpers import FAST
from tests.queues.node_queues import driver, start_driver


async def _python_worker(settings, queues: list[str]) -> list[Worker]:
    """Python workers that return {"by": "python", …} and refuse jobs marked ``fail``."""

    def processor(queue: str):
        async def process(job, token):
            if job.data.get("fail"):
                raise RuntimeError(f"python worker refused {job.data['appointmentId']}")
            return {"by": "python", "queue": queue, "data": job.data}

        return process

    def options() -> dict:  # one dict per Worker: bullmq keeps (and changes) the one it gets
        return {"prefix": PREFIX, "connection": connection_options(settings), "concurrency": 5}

    return [Worker(name, processor(name), options()) for name in queues]


async def _count(settings, name: str, kind: str) -> int:
    queue = make_queue(name, settings)
    try:
        return (await queue.getJobCounts(kind))[kind]
    finally:
        await queue.close()


def test_ts_producers_python_worker(redis_server):
    """TS producers enqueue; the Python worker processes; the TS side reads the results."""
    url = redis_server.url()
    settings = load_settings({"REDIS_URL": url})
    produced = driver("interop-produce", url=url)
    assert [r["status"] for r in produced["results"]] == ["queued", "queued", "queued"]

    async def process() -> None:
        workers = await _python_worker(settings, ["appointment-status", "appointment-reminder"])

        async def done() -> bool:
            return (
                await _count(settings, "appointment-status", "completed") == 2
                and await _count(settings, "appointment-status", "failed") == 1
                and await _count(settings, "appointment-reminder", "completed") == 1
            )

        try:
            await wait_until(done, timeout=30, what="the Python worker to finish the TS jobs")
        finally:
            await close_workers(workers)

    asyncio.run(process())
    seen = driver("jobs", "--queues", "appointment-status,appointment-reminder", url=url)
    status = seen["appointment-status"]
    returned = sorted((j["id"], j["returnvalue"]["by"]) for j in status["completed"])
    assert returned == [("1", "python"), ("2", "python")]
    by_id = {j["id"]: j for j in status["completed"]}
    assert by_id["2"]["returnvalue"]["data"] == {"appointmentId": "apt-2", "status": "cancelled"}
    (failed,) = status["failed"]
    assert failed["id"] == produced["failing"]
    assert failed["failedReason"] == "python worker refused apt-4"
    assert failed["attemptsMade"] == 3  # the TS default options, honoured by the Python worker
    assert "RuntimeError: python worker refused apt-4" in failed["stacktrace"][-1]
    (reminder,) = seen["appointment-reminder"]["completed"]
    assert reminder["id"] == "reminder-apt-3"
    assert reminder["returnvalue"]["data"] == {"appointmentId": "apt-3"}


def test_python_producers_ts_worker(redis_server):
    """Python producers enqueue; the node worker processes; Python reads the results."""
    url = redis_server.url()
    settings = load_settings({"REDIS_URL": url})
    worker = start_driver("worker", "--queues", "appointment-status,appointment-reminder", url=url)

    async def flow():
        producers = await Producers.open(env={}, settings=settings)
        results = [
            await producers.appointment_status("apt-1", "confirmed"),
            await producers.appointment_reminder("apt-3", datetime.now(UTC), lead=timedelta(0)),
        ]
        status = producers.queues["appointment-status"]
        data = {"appointmentId": "apt-4", "status": "confirmed", "fail": True}
        failing = await status.add("update-status", data, FAST)

        async def done() -> bool:
            return (
                await status.getCompletedCount() == 1
                and await status.getFailedCount() == 1
                and await producers.queues["appointment-reminder"].getCompletedCount() == 1
            )

        await wait_until(done, timeout=30, what="the node worker to finish the Python jobs")
        (completed,) = await status.getCompleted()
        (failed,) = await status.getFailed()
        (reminder,) = await producers.queues["appointment-reminder"].getCompleted()
        await producers.close()
        return results, failing.id, completed, failed, reminder

    try:
        results, failing_id, completed, failed, reminder = asyncio.run(flow())
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    assert worker.returncode == 0, output
    assert [r.status for r in results] == ["queued", "queued"]
    assert completed.returnvalue == {
        "by": "node",
        "queue": "appointment-status",
        "data": {"appointmentId": "apt-1", "status": "confirmed"},
    }
    assert failed.id == failing_id
    assert failed.failedReason == "SMS gateway refused appointment apt-4"
    assert failed.attemptsMade == 3
    assert failed.stacktrace[-1].startswith("Error: SMS gateway refused appointment apt-4")
    assert reminder.id == "reminder-apt-3" and reminder.returnvalue["by"] == "node"


def test_scheduler_created_by_ts_fires_on_the_python_worker(redis_server):
    url = redis_server.url()
    settings = load_settings({"REDIS_URL": url})
    scheduled = driver("interop-schedule", "--every", "300", url=url)
    assert [r["status"] for r in scheduled] == ["scheduled", "scheduled"]

    async def process() -> None:
        workers = await _python_worker(settings, ["follow-up-monitor", "medication-reminder"])

        async def fired() -> bool:
            return (
                await _count(settings, "follow-up-monitor", "completed") >= 3
                and await _count(settings, "medication-reminder", "completed") >= 2
            )

        try:
            await wait_until(fired, timeout=30, what="the TS schedulers to fire on Python")
        finally:
            await close_workers(workers)

    asyncio.run(process())
    seen = driver("jobs", "--queues", "follow-up-monitor,medication-reminder", url=url)
    follow_ups = seen["follow-up-monitor"]
    assert len(follow_ups["completed"]) >= 3
    assert {j["returnvalue"]["by"] for j in follow_ups["completed"]} == {"python"}
    assert {j["name"] for j in follow_ups["completed"]} == {"check-follow-ups"}
    assert all(j["opts"]["attempts"] == 3 for j in follow_ups["completed"])
    assert follow_ups["schedulers"] == [
        {"id": "follow-up-monitor-hourly", "every": 300}  # JSON: no pattern
    ]
    medication = seen["medication-reminder"]["completed"]
    assert {j["data"]["prescriptionId"] for j in medication} == {"rx-7"}
    assert {j["returnvalue"]["by"] for j in medication} == {"python"}


def test_scheduler_created_by_python_fires_on_the_ts_worker(redis_server):
    url = redis_server.url()
    settings = load_settings({"REDIS_URL": url})
    worker = start_driver("worker", "--queues", "follow-up-monitor,medication-reminder", url=url)

    async def flow():
        producers = await Producers.open(env={}, settings=settings)
        results = [
            await producers.follow_up_monitor(every=timedelta(milliseconds=300)),
            await producers.medication_reminder("rx-8", pattern="* * * * * *"),
        ]
        follow_ups = producers.queues["follow-up-monitor"]
        medication = producers.queues["medication-reminder"]

        async def fired() -> bool:
            return (
                await follow_ups.getCompletedCount() >= 3
                and await medication.getCompletedCount() >= 2
            )

        await wait_until(fired, timeout=30, what="the Python schedulers to fire on node")
        jobs = (await follow_ups.getCompleted(), await medication.getCompleted())
        schedulers = await follow_ups.getJobSchedulers()
        await producers.close()
        return results, jobs, schedulers

    try:
        results, (follow_ups, medication), schedulers = asyncio.run(flow())
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    assert worker.returncode == 0, output
    assert [r.status for r in results] == ["scheduled", "scheduled"]
    assert {j.returnvalue["by"] for j in follow_ups} == {"node"}
    assert {j.returnvalue["by"] for j in medication} == {"node"}
    assert {j.data["prescriptionId"] for j in medication} == {"rx-8"}
    assert [s["key"] for s in schedulers] == ["follow-up-monitor-hourly"]


def test_failed_on_python_inspected_and_retried_from_ts_completes_on_node(redis_server):
    """A job fails its 3 tries on the Python worker; the TS admin helpers list it with the
    Python error and retry it; the node worker completes it."""
    url = redis_server.url()
    settings = load_settings({"REDIS_URL": url})

    async def fail_on_python() -> None:
        queue = make_queue("appointment-reminder", settings)

        async def gateway_down(job, token):
            raise ConnectionRefusedError("sms gateway unreachable")

        options = {"prefix": PREFIX, "connection": connection_options(settings)}
        worker = Worker("appointment-reminder", gateway_down, options)
        await queue.add("send-reminder", {"appointmentId": "apt-6"}, FAST)
        try:
            await wait_until(lambda: queue.getFailedCount(), what="3 failed tries on Python")
        finally:
            await close_workers([worker])
            await queue.close()

    asyncio.run(fail_on_python())
    before = driver("admin", url=url)
    (failed,) = before["failed"]["appointment-reminder"]
    assert failed["error"] == "sms gateway unreachable" and failed["attempts"] == 3
    node = start_driver("worker", "--queues", "appointment-reminder", url=url)
    try:
        retried = driver("admin", "--retry", url=url)

        async def completed() -> list:
            queue = make_queue("appointment-reminder", settings)
            try:
                await wait_until(lambda: queue.getCompletedCount(), what="the retried job")
                return await queue.getCompleted()
            finally:
                await queue.close()

        (job,) = asyncio.run(completed())
    finally:
        node.send_signal(signal.SIGTERM)
        output, _ = node.communicate(timeout=20)
    assert node.returncode == 0, output
    assert retried["retried"]["appointment-reminder"] == 1
    assert job.id == failed["id"] and job.returnvalue["by"] == "node"
