"""snippets/queues/admin.ts: counts per state, failed jobs and retrying them, on every kind."""

from __future__ import annotations

import asyncio

from snippets.config.settings import load_settings
from snippets.queues.definitions import QUEUE_NAMES, make_queue
from tests.helpers import wait_until
from tests.nodejs import run_ts
from tests.queues.helpers import FAST
from tests.queues.node_queues import driver, start_driver

STATES = ["waiting", "delayed", "active", "completed", "failed"]


async def _failed(settings, queue_name: str, count: int) -> int:
    queue = make_queue(queue_name, settings)
    try:
        await wait_until(
            lambda: _equals(queue.getFailedCount(), count), what=f"{count} failed jobs"
        )
        return count
    finally:
        await queue.close()


async def _completed(settings, queue_name: str, count: int) -> None:
    queue = make_queue(queue_name, settings)
    try:
        await wait_until(lambda: _equals(queue.getCompletedCount(), count), what="the retries")
    finally:
        await queue.close()


async def _equals(awaitable, expected) -> bool:
    return await awaitable == expected


def test_counts_failed_and_retry_as_the_app_user(app_user_url):
    """Two jobs fail 3 times on a node worker; the TS admin helpers show them with their error;
    the operator fixes the cause (a worker that succeeds) and retries; both complete."""
    _server, url = app_user_url()
    settings = load_settings({"REDIS_URL": url})

    async def enqueue():
        reminders = make_queue("appointment-reminder", settings)
        for n in (1, 2):
            await reminders.add("send-reminder", {"appointmentId": f"apt-{n}"}, FAST)
        await reminders.close()
        status = make_queue("appointment-status", settings)
        data = {"appointmentId": "apt-1", "status": "confirmed"}
        await status.add("update-status", data, {"delay": 60_000})
        await status.close()

    broken = start_driver("worker", "--queues", "appointment-reminder", "--fail-all", url=url)
    try:
        asyncio.run(enqueue())
        asyncio.run(_failed(settings, "appointment-reminder", 2))
    finally:
        broken.terminate()
        broken.communicate(timeout=20)
    before = driver("admin", url=url)
    fixed = start_driver("worker", "--queues", "appointment-reminder", url=url)
    try:
        retried = driver("admin", "--retry", url=url)
        asyncio.run(_completed(settings, "appointment-reminder", 2))
    finally:
        fixed.terminate()
        output, _ = fixed.communicate(timeout=20)
    after = driver("admin", url=url)
    assert fixed.returncode == 0, output

    assert list(before["counts"]) == list(QUEUE_NAMES)
    assert all(list(c) == STATES for c in before["counts"].values())
    assert before["counts"]["appointment-reminder"] == {
        "waiting": 0,
        "delayed": 0,
        "active": 0,
        "completed": 0,
        "failed": 2,
    }
    assert before["counts"]["appointment-status"]["delayed"] == 1
    failed = before["failed"]["appointment-reminder"]
    assert sorted(j["data"]["appointmentId"] for j in failed) == ["apt-1", "apt-2"]
    assert all(j["attempts"] == 3 for j in failed)
    assert {j["error"] for j in failed} == {
        "SMS gateway refused appointment apt-1",
        "SMS gateway refused appointment apt-2",
    }
    assert retried["retried"]["appointment-reminder"] == 2
    assert after["counts"]["appointment-reminder"]["failed"] == 0
    assert after["counts"]["appointment-reminder"]["completed"] == 2


def test_demo_prints_counts_and_retries(redis_server):
    url = redis_server.url()
    settings = load_settings({"REDIS_URL": url})
    broken = start_driver("worker", "--queues", "adherence-check", "--fail-all", url=url)

    async def fail_one():
        queue = make_queue("adherence-check", settings)
        await queue.add("check-adherence", {"appointmentId": "apt-5"}, FAST)
        await queue.close()

    try:
        asyncio.run(fail_one())
        asyncio.run(_failed(settings, "adherence-check", 1))
    finally:
        broken.terminate()
        broken.communicate(timeout=20)
    out = run_ts("queues/admin.ts", "--retry-failed", env={"REDIS_URL": url})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["queue", *STATES]
    assert lines[4].split() == ["adherence-check", "0", "0", "0", "0", "1"]
    assert "failed adherence-check/1 after 3 tries: SMS gateway refused appointment apt-5" in lines
    assert "retried 1 failed jobs in adherence-check" in lines
    assert "retried 0 failed jobs in appointment-status" in lines
