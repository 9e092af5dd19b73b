"""BullMQ queues on a cluster: the app's queues with a cluster connection, same prefix.

Shown on docs/operations/scaling.md. Run ``python -m snippets.scaling.cluster_queues`` with
``REDIS_URL`` pointing at any node of a cluster: it adds one job and processes it.
"""

from __future__ import annotations

import asyncio

from bullmq import Queue, Worker
from redis.asyncio.cluster import RedisCluster

from snippets.config.client import CONNECT_TIMEOUT
from snippets.config.settings import load_settings
from snippets.queues.definitions import BLOCKING_WAIT, DEFAULT_JOB_OPTIONS, PREFIX, QUEUE_NAMES


# --8<-- [start:queue-on-cluster]
def cluster_connection(purpose: str = "queue") -> RedisCluster:
    """An asyncio cluster client for BullMQ, from the same REDIS_URL (any node)."""
    return RedisCluster.from_url(
        load_settings().url,
        decode_responses=True,  # BullMQ reads replies as str
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=BLOCKING_WAIT + 5,  # a worker's blocking wait must not time out
        client_name=f"pharmacare-{purpose}",
    )


def make_cluster_queue(name: str) -> Queue:
    """A producer-side queue on the cluster. PREFIX is "{pharmacare}": one slot per queue."""
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    options = {"prefix": PREFIX, "defaultJobOptions": DEFAULT_JOB_OPTIONS}
    return Queue(name, {**options, "connection": cluster_connection()})


def make_cluster_worker(name: str, process) -> Worker:
    """A worker on the cluster: the same prefix, or it waits on keys nobody writes."""
    return Worker(name, process, {"prefix": PREFIX, "connection": cluster_connection("worker")})


# --8<-- [end:queue-on-cluster]


async def _demo() -> None:
    queue = make_cluster_queue("appointment-status")
    done = asyncio.Event()

    async def process(job, token):
        done.set()
        return f"status of {job.data['appointmentId']} updated"

    worker = make_cluster_worker("appointment-status", process)
    try:
        job = await queue.add("update-status", {"appointmentId": "apt-1", "status": "confirmed"})
        await asyncio.wait_for(done.wait(), timeout=30)
        print(f"job {job.id} processed on the cluster; prefix {PREFIX}")
    finally:
        await worker.close()
        await queue.obliterate(force=True)
        await queue.close()


if __name__ == "__main__":
    asyncio.run(_demo())
