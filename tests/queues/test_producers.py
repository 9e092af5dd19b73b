"""snippets/queues/producers.py: the main queue flow, as the app's ACL user, on every kind."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
from datetime import UTC, datetime, timedelta

import pytest

from snippets.queues.definitions import PREFIX, QUEUE_NAMES, QueueStartupError
from snippets.queues.producers import Producers
from snippets.queues.worker import run_workers
from tests.demos import run_demo
from tests.helpers import wait_until

ID = re.compile(r"^[a-z]+-[0-9]+$")


def test_main_flow_as_the_app_acl_user(app_user_url, monkeypatch, keep_sigterm, caplog):
    """Every producer, processed by run_workers, with the least-privilege user only."""
    server, url = app_user_url()
    monkeypatch.setenv("REDIS_URL", url)
    caplog.set_level(logging.INFO, logger="pharmacare.queues")

    async def flow() -> dict:
        producers = await Producers.open()
        worker = asyncio.create_task(run_workers())
        try:
            return await _flow(producers, worker)
        finally:  # a failed assertion must not leave clients for a later test's GC
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
            await producers.close()

    async def _flow(producers: Producers, worker: asyncio.Task) -> dict:
        queues = producers.queues
        soon = datetime.now(UTC) + timedelta(hours=24, milliseconds=300)
        first = await producers.appointment_reminder("apt-1001", soon)
        again = await producers.appointment_reminder("apt-1001", soon)  # retried request
        results = [
            first,
            again,
            await producers.medication_reminder("rx-2002", pattern="* * * * * *"),  # each second
            await producers.adherence_check(every=timedelta(milliseconds=300)),
            await producers.follow_up_monitor(every=timedelta(milliseconds=300)),
            await producers.appointment_status("apt-1001", "confirmed"),
        ]
        # One job for the two calls, in whatever state a busy machine has moved it to by now.
        reminders = queues["appointment-reminder"]
        states = ("delayed", "waiting", "active", "completed", "failed")
        assert await reminders.getJobCountByTypes(*states) == 1

        async def all_done() -> bool:
            counts = {n: await q.getJobCounts("completed") for n, q in queues.items()}
            return (
                counts["appointment-reminder"]["completed"] == 1
                and counts["appointment-status"]["completed"] == 1
                and all(counts[n]["completed"] >= 2 for n in QUEUE_NAMES[1:4])
            )

        await wait_until(all_done, timeout=30, what="every queue to complete its jobs")
        completed = {n: await q.getCompleted() for n, q in queues.items()}
        os.kill(os.getpid(), signal.SIGTERM)  # the platform stopping the worker
        await asyncio.wait_for(asyncio.shield(worker), timeout=15)
        return {"results": results, "completed": completed}

    out = asyncio.run(flow())
    statuses = [(r.queue, r.status) for r in out["results"]]
    assert statuses == [
        ("appointment-reminder", "queued"),
        ("appointment-reminder", "duplicate"),
        ("medication-reminder", "scheduled"),
        ("adherence-check", "scheduled"),
        ("follow-up-monitor", "scheduled"),
        ("appointment-status", "queued"),
    ]
    assert out["results"][0].job_id == out["results"][1].job_id == "reminder-apt-1001"
    assert all(r.queued for r in out["results"])
    (reminder,) = out["completed"]["appointment-reminder"]
    assert reminder.returnvalue == {"reminded": "apt-1001"}
    assert reminder.processedOn - reminder.timestamp >= 250  # it waited for its time
    (status,) = out["completed"]["appointment-status"]
    assert status.returnvalue == {"appointment": "apt-1001", "status": "confirmed"}
    for jobs in out["completed"].values():
        for job in jobs:  # every job, scheduled ones included, has the retry policy
            assert job.opts["attempts"] == 3
            assert job.opts["backoff"] == {"type": "exponential", "delay": 30_000}
    medication = out["completed"]["medication-reminder"]
    assert {j.data["prescriptionId"] for j in medication} == {"rx-2002"}
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        m.startswith("Queue Redis client connected: redis://pharmacare-app:***@") for m in messages
    )
    assert "worker stopped" in messages
    with server.admin() as admin:  # the app's connections really were the ACL user
        keys = list(admin.scan_iter(match="*"))
        assert keys and all(k.startswith(f"{PREFIX}:") for k in keys)
        denied = admin.execute_command("ACL", "LOG")
        assert denied == [], denied  # nothing BullMQ sent was refused by the ACL


def test_concurrent_bookings_make_one_reminder(redis_server, monkeypatch):
    """Five simultaneous calls for one appointment (retries racing): one job, one reminder."""
    monkeypatch.setenv("REDIS_URL", redis_server.url())

    async def race():
        producers = await Producers.open()
        starts = datetime.now(UTC) + timedelta(days=2)
        results = await asyncio.gather(
            *(producers.appointment_reminder("apt-77", starts) for _ in range(5))
        )
        delayed = await producers.queues["appointment-reminder"].getDelayed()
        await producers.close()
        return results, delayed

    results, delayed = asyncio.run(race())
    assert {r.job_id for r in results} == {"reminder-apt-77"}
    assert all(r.queued for r in results)
    assert [job.id for job in delayed] == ["reminder-apt-77"]


def test_payloads_carry_ids_only(redis_server, monkeypatch):
    """Whatever the producers store as job data: ids (and a status word), nothing else."""
    monkeypatch.setenv("REDIS_URL", redis_server.url())

    async def produce() -> None:
        producers = await Producers.open()
        later = datetime.now(UTC) + timedelta(days=3)
        await producers.appointment_reminder("apt-1", later)
        await producers.medication_reminder("rx-2")
        await producers.adherence_check()
        await producers.follow_up_monitor()
        await producers.appointment_status("apt-1", "cancelled")
        await producers.close()

    asyncio.run(produce())
    allowed = {"appointmentId", "prescriptionId", "status"}
    payloads = []
    with redis_server.admin() as admin:
        for key in admin.scan_iter(match=f"{PREFIX}:*"):
            if admin.type(key) == "hash" and admin.hexists(key, "data"):
                payloads.append(json.loads(admin.hget(key, "data")))
    assert len(payloads) >= 5  # one job per producer (+ scheduler templates)
    for payload in payloads:
        assert set(payload) <= allowed, payload
        for field, value in payload.items():
            if field == "status":
                assert value in {"confirmed", "cancelled", "completed", "no-show"}
            else:
                assert ID.match(value), payload


def test_disabled_skips_says_so_counts_and_warns_once(redis_factory, monkeypatch, caplog):
    """DISABLE_BACKGROUND_JOBS=true: no connection at all, every call returns "skipped"."""
    closed = redis_factory.closed_port()  # Redis is down, and it does not matter
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{closed.port}/0")
    monkeypatch.setenv("DISABLE_BACKGROUND_JOBS", "true")
    caplog.set_level(logging.WARNING, logger="pharmacare.queues")

    async def produce():
        producers = await Producers.open()
        starts = datetime.now(UTC) + timedelta(days=1)
        results = [
            await producers.appointment_reminder("apt-1", starts),
            await producers.appointment_reminder("apt-2", starts),
            await producers.medication_reminder("rx-1"),
            await producers.adherence_check(),
            await producers.follow_up_monitor(),
            await producers.appointment_status("apt-1", "confirmed"),
            await producers.appointment_status("apt-2", "confirmed"),
        ]
        await producers.close()
        await run_workers()  # returns at once: no worker
        return producers, results

    producers, results = asyncio.run(produce())
    assert all(r.status == "skipped" and not r.queued and r.job_id is None for r in results)
    assert results[0].reason == "DISABLE_BACKGROUND_JOBS=true"
    assert producers.skipped == {
        "appointment-reminder": 2,
        "medication-reminder": 1,
        "adherence-check": 1,
        "follow-up-monitor": 1,
        "appointment-status": 2,
    }
    per_queue = [m for m in (r.getMessage() for r in caplog.records) if "jobs are skipped" in m]
    assert len(per_queue) == 5  # once per queue, not once per call
    messages = caplog.text
    assert "no worker started, no reminders are sent" in messages


def test_disabled_writes_nothing(redis_server, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_server.url())
    monkeypatch.setenv("DISABLE_BACKGROUND_JOBS", "true")

    async def produce():
        producers = await Producers.open()
        await producers.appointment_status("apt-1", "confirmed")

    asyncio.run(produce())
    with redis_server.admin() as admin:
        assert admin.dbsize() == 0


def test_open_refuses_an_evicting_server(redis_factory, monkeypatch):
    server = redis_factory(maxmemory="64mb", maxmemory_policy="allkeys-lru")
    monkeypatch.setenv("REDIS_URL", server.url())
    with pytest.raises(QueueStartupError, match=r"memory\.policy-queue"):
        asyncio.run(Producers.open())


def test_demo_runs(redis_server):
    env = {**os.environ, "REDIS_URL": redis_server.url()}
    out = run_demo("snippets.queues.producers", env=env)
    assert out.returncode == 0, out.stderr
    assert "status='duplicate'" in out.stdout
    assert out.stdout.count("status='scheduled'") == 3
    assert "skipped: {}" in out.stdout
