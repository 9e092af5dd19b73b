"""snippets/queues/admin.py: counts per state, failed jobs and retrying them, on every kind."""

from __future__ import annotations

import asyncio
import os

import pytest
from bullmq import Worker
from redis.exceptions import NoPermissionError

from snippets.config.settings import load_settings
from snippets.queues.admin import STATES, failed_jobs, queue_counts, retry_failed
from snippets.queues.definitions import PREFIX, QUEUE_NAMES, connection_options, make_queue
from snippets.queues.worker import close_workers
from tests.demos import run_demo
from tests.helpers import wait_until
from tests.queues.helpers import FAST


def test_counts_failed_and_retry_as_the_app_user(app_user_url):
    """A job fails 3 times; an operator sees it with its error, fixes the cause, retries it."""
    _server, url = app_user_url()
    settings = load_settings({"REDIS_URL": url})
    gateway_up = False

    async def sms(job, token):
        if not gateway_up:
            raise ConnectionRefusedError("sms gateway unreachable")
        return "sent"

    async def flow():
        nonlocal gateway_up
        queues = {name: make_queue(name, settings) for name in QUEUE_NAMES}
        reminders = queues["appointment-reminder"]
        worker = Worker(
            "appointment-reminder",
            sms,
            {"prefix": PREFIX, "connection": connection_options(settings)},
        )
        for n in (1, 2):
            await reminders.add("send-reminder", {"appointmentId": f"apt-{n}"}, FAST)
        await queues["appointment-status"].add(
            "update-status", {"appointmentId": "apt-1", "status": "confirmed"}, {"delay": 60_000}
        )
        await wait_until(
            lambda: _equals(reminders.getFailedCount(), 2), what="both jobs to fail 3 times"
        )
        counts = await queue_counts(queues)
        failed = await failed_jobs(reminders)
        gateway_up = True  # the operator fixed the cause
        retried = await retry_failed(reminders)
        await wait_until(lambda: _equals(reminders.getCompletedCount(), 2), what="the retries")
        after = await queue_counts(queues)
        with pytest.raises(NoPermissionError):  # CLIENT LIST is outside the app's ACL rule
            await reminders.get_workers()
        await close_workers([worker])
        for queue in queues.values():
            await queue.close()
        return counts, failed, retried, after

    counts, failed, retried, after = asyncio.run(flow())
    assert list(counts) == list(QUEUE_NAMES)
    assert all(set(c) == set(STATES) for c in counts.values())
    assert counts["appointment-reminder"] == {
        "waiting": 0,
        "delayed": 0,
        "active": 0,
        "completed": 0,
        "failed": 2,
    }
    assert counts["appointment-status"]["delayed"] == 1
    assert sorted(j.data["appointmentId"] for j in failed) == ["apt-1", "apt-2"]
    assert all(j.attempts == 3 and j.error == "sms gateway unreachable" for j in failed)
    assert retried == 2
    assert after["appointment-reminder"]["failed"] == 0
    assert after["appointment-reminder"]["completed"] == 2


async def _equals(awaitable, expected) -> bool:
    return await awaitable == expected


def test_demo_prints_counts_and_retries(redis_server):
    settings = load_settings({"REDIS_URL": redis_server.url()})

    async def fail_one():
        queue = make_queue("adherence-check", settings)

        async def broken(job, token):
            raise ValueError("adherence table missing")

        worker = Worker(
            "adherence-check",
            broken,
            {"prefix": PREFIX, "connection": connection_options(settings)},
        )
        await queue.add("check-adherence", {}, FAST)
        await wait_until(lambda: queue.getFailedCount(), what="the job to fail")
        await close_workers([worker])
        await queue.close()

    asyncio.run(fail_one())
    env = {**os.environ, "REDIS_URL": redis_server.url()}
    out = run_demo("snippets.queues.admin", "--retry-failed", env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["queue", *STATES]
    assert lines[4].split() == ["adherence-check", "0", "0", "0", "0", "1"]
    assert "failed adherence-check/1 after 3 tries: adherence table missing" in out.stdout
    assert "retried 1 failed jobs in adherence-check" in out.stdout
