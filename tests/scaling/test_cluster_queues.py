"""snippets/scaling/cluster_queues.py: real BullMQ jobs on the 3-primary cluster, every kind."""

from __future__ import annotations

import asyncio
import os

import pytest
from bullmq import Queue
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ClusterCrossSlotError

from snippets.queues.definitions import PREFIX
from snippets.queues.worker import close_workers
from snippets.scaling import cluster_queues
from tests.demos import run_demo
from tools import harness


@pytest.fixture
def cluster(redis_factory, monkeypatch) -> harness.Cluster:
    group = redis_factory.cluster(password=harness.random_password())
    monkeypatch.setenv("REDIS_URL", group.url(username="default"))
    return group


def test_a_job_goes_through_the_cluster(cluster):
    async def scenario() -> tuple[list[str], dict]:
        queue = cluster_queues.make_cluster_queue("appointment-reminder")
        seen: list[str] = []
        done = asyncio.Event()

        async def process(job, token):
            seen.append(job.data["appointmentId"])
            if len(seen) == 3:
                done.set()
            return "sent"

        worker = cluster_queues.make_cluster_worker("appointment-reminder", process)
        for n in range(3):
            await queue.add("remind", {"appointmentId": f"apt-{n}"})
        await asyncio.wait_for(done.wait(), timeout=30)
        for _ in range(100):  # the worker marks the last job completed just after process()
            counts = await queue.getJobCounts()
            if counts["completed"] == 3:
                break
            await asyncio.sleep(0.05)
        await close_workers([worker])
        await queue.close()
        return seen, counts

    seen, counts = asyncio.run(scenario())
    assert sorted(seen) == ["apt-0", "apt-1", "apt-2"]
    assert counts["completed"] == 3 and counts["failed"] == 0
    # Every key of the queue sits on the one primary that owns the slot of "pharmacare".
    holders = []
    for node in cluster.nodes:
        with node.admin() as admin:
            keys = admin.keys(f"{PREFIX}:appointment-reminder:*")
        if keys:
            holders.append(node.port)
    assert len(holders) == 1


def test_the_default_prefix_fails_with_crossslot(cluster, capture):
    async def scenario() -> BaseException:
        connection = RedisCluster.from_url(cluster.url(username="default"), decode_responses=True)
        queue = Queue("appointment-reminder", {"connection": connection})  # prefix "bull"
        try:
            await queue.add("remind", {"appointmentId": "apt-1"})
        except ClusterCrossSlotError as error:
            return error
        finally:
            await queue.close()
        raise AssertionError("BullMQ with prefix 'bull' worked on a cluster")

    error = asyncio.run(scenario())
    capture(
        "cluster-bullmq-default-prefix",
        f"Queue('appointment-reminder') without a prefix, queue.add(…):\n"
        f"{type(error).__module__}.{type(error).__name__}: {error}",
    )


def test_unknown_queue_is_refused(cluster):
    with pytest.raises(ValueError, match="unknown queue"):
        cluster_queues.make_cluster_queue("reminders")


def test_demo_runs(cluster):
    out = run_demo("snippets.scaling.cluster_queues", env={**os.environ})
    assert out.returncode == 0, out.stderr
    assert "job 1 processed on the cluster; prefix {pharmacare}" in out.stdout
