"""snippets/queues/producers.ts: the main queue flow, as the app's ACL user, on every kind."""

from __future__ import annotations

import json
import re

from snippets.queues.definitions import PREFIX, QUEUE_NAMES
from tests.nodejs import run_ts
from tests.queues.node_queues import driver, run_driver

ID = re.compile(r"^[a-z]+-[0-9]+$")


def test_main_flow_as_the_app_acl_user(app_user_url):
    """Every producer, processed by runWorkers in the same process, with the least-privilege
    user only; the worker stops on SIGTERM after the jobs in hand."""
    server, url = app_user_url()
    proc = run_driver("main-flow", url=url, timeout=90)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    statuses = [(r["queue"], r["status"]) for r in out["results"]]
    assert statuses == [
        ("appointment-reminder", "queued"),
        ("appointment-reminder", "duplicate"),
        ("medication-reminder", "scheduled"),
        ("adherence-check", "scheduled"),
        ("follow-up-monitor", "scheduled"),
        ("appointment-status", "queued"),
    ]
    assert out["results"][0]["jobId"] == out["results"][1]["jobId"] == "reminder-apt-1001"
    assert all(r["queued"] for r in out["results"])
    assert out["delayedReminders"] == 1
    (reminder,) = out["completed"]["appointment-reminder"]
    assert reminder["returnvalue"] == {"reminded": "apt-1001"}
    assert reminder["processedOn"] - reminder["timestamp"] >= 900  # it waited for its time
    (status,) = out["completed"]["appointment-status"]
    assert status["returnvalue"] == {"appointment": "apt-1001", "status": "confirmed"}
    for jobs in out["completed"].values():
        for job in jobs:  # every job, scheduled ones included, has the retry policy
            assert job["opts"]["attempts"] == 3
            assert job["opts"]["backoff"] == {"type": "exponential", "delay": 30_000}
    medication = out["completed"]["medication-reminder"]
    assert {j["data"]["prescriptionId"] for j in medication} == {"rx-2002"}
    assert re.search(r"Queue Redis client connected: redis://pharmacare-app:\*\*\*@", proc.stdout)
    assert "SIGTERM: finishing the jobs in hand" in proc.stdout
    assert "worker stopped" in proc.stdout
    with server.admin() as admin:  # the app's connections really were the ACL user
        keys = list(admin.scan_iter(match="*"))
        assert keys and all(k.startswith(f"{PREFIX}:") for k in keys)
        denied = admin.execute_command("ACL", "LOG")
        assert denied == [], denied  # nothing BullMQ (node) sent was refused by the ACL


def test_concurrent_bookings_make_one_reminder(redis_server):
    """Five simultaneous calls for one appointment (retries racing): one job, one reminder."""
    out = driver("race", url=redis_server.url())
    assert {r["jobId"] for r in out["results"]} == {"reminder-apt-77"}
    assert all(r["queued"] for r in out["results"])
    assert out["delayed"] == ["reminder-apt-77"]


def test_payloads_carry_ids_only(redis_server):
    results = driver("produce", url=redis_server.url())
    assert [r["status"] for r in results] == ["queued", *["scheduled"] * 3, "queued"]
    allowed = {"appointmentId", "prescriptionId", "status"}
    payloads = []
    with redis_server.admin() as admin:
        for key in admin.scan_iter(match=f"{PREFIX}:*"):
            if admin.type(key) == "hash" and admin.hexists(key, "data"):
                payloads.append(json.loads(admin.hget(key, "data")))
    assert len(payloads) >= 5
    for payload in payloads:
        assert set(payload) <= allowed, payload
        for field, value in payload.items():
            if field == "status":
                assert value in {"confirmed", "cancelled", "completed", "no-show"}
            else:
                assert ID.match(value), payload


def test_disabled_skips_says_so_counts_and_warns_once(redis_factory):
    """DISABLE_BACKGROUND_JOBS=true: no connection at all, every call returns "skipped"."""
    closed = redis_factory.closed_port()  # Redis is down, and it does not matter
    proc = run_driver(
        "disabled",
        url=f"redis://127.0.0.1:{closed.port}/0",
        env={"DISABLE_BACKGROUND_JOBS": "true"},
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    results = out["results"]
    assert all(r["status"] == "skipped" and not r["queued"] and r["jobId"] is None for r in results)
    assert results[0]["reason"] == "DISABLE_BACKGROUND_JOBS=true"
    assert out["skipped"] == {
        "appointment-reminder": 2,
        "medication-reminder": 1,
        "adherence-check": 1,
        "follow-up-monitor": 1,
        "appointment-status": 2,
    }
    per_queue = [line for line in proc.stderr.splitlines() if "jobs are skipped" in line]
    assert len(per_queue) == 5  # once per queue, not once per call
    assert sorted(line.split(": ")[1].split()[0] for line in per_queue) == sorted(QUEUE_NAMES)
    assert "DISABLE_BACKGROUND_JOBS=true: jobs will be skipped, not enqueued" in proc.stderr
    assert "no worker started, no reminders are sent" in proc.stderr
    assert "ECONNREFUSED" not in proc.stderr


def test_disabled_writes_nothing(redis_server):
    driver("produce", url=redis_server.url(), env={"DISABLE_BACKGROUND_JOBS": "true"})
    with redis_server.admin() as admin:
        assert admin.dbsize() == 0


def test_open_refuses_an_evicting_server(redis_factory):
    server = redis_factory(maxmemory="64mb", maxmemory_policy="allkeys-lru")
    out = driver("open", url=server.url())
    assert out["opened"] is False
    assert out["name"] == "QueueStartupError" and out["id"] == "memory.policy-queue"
    assert "maxmemory-policy is allkeys-lru; set it to noeviction" in out["message"]
    with server.admin() as admin:
        assert admin.dbsize() == 0  # refused before any queue wrote a key


def test_demo_runs(redis_server):
    out = run_ts("queues/producers.ts", env={"REDIS_URL": redis_server.url()})
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("status: 'duplicate'") == 1
    assert out.stdout.count("status: 'scheduled'") == 3
    assert "skipped: {}" in out.stdout
