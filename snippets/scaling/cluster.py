"""Cluster recipes: the cluster client, hash tags, queue keys in one slot, prefix invalidation.

Shown on docs/operations/scaling.md. Run ``python -m snippets.scaling.cluster`` with
``REDIS_URL`` pointing at any node of a cluster (the configuration endpoint on ElastiCache).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping

import redis
from redis.cluster import RedisCluster
from redis.exceptions import MovedError

from snippets.config.client import CONNECT_TIMEOUT, SOCKET_TIMEOUT, make_client, make_retry
from snippets.config.settings import load_settings

log = logging.getLogger("pharmacare.redis")


# --8<-- [start:connect]
def cluster_enabled(env: Mapping[str, str] = os.environ) -> bool:
    """REDIS_CLUSTER=true: REDIS_URL names one node (or the configuration endpoint)."""
    return env.get("REDIS_CLUSTER", "").strip().lower() in ("true", "1", "yes")


def make_cluster_client(purpose: str = "cache") -> RedisCluster:
    """A cluster-aware client: it learns the slot map from the node in REDIS_URL, sends
    each command to the primary that owns its key and follows MOVED/ASK by itself."""
    settings = load_settings()  # same variables as a single server; db must be 0
    client = RedisCluster.from_url(
        settings.url,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=SOCKET_TIMEOUT,
        retry=make_retry(),  # same backoff and retry count as the single-server client
        client_name=f"pharmacare-{purpose}",
    )
    primaries = len(client.get_primaries())
    log.info("Redis cluster connected: %s (%d primaries)", settings.target, primaries)
    return client


def make_app_client(purpose: str = "cache") -> redis.Redis | RedisCluster:
    """What the app calls: a cluster client when REDIS_CLUSTER=true, else the usual one."""
    return make_cluster_client(purpose) if cluster_enabled() else make_client(purpose)


# --8<-- [end:connect]


# --8<-- [start:moved]
def explain_moved(error: MovedError) -> str:
    """A log line for a MOVED reply: a single-server client is talking to a cluster."""
    slot, node = str(error).split()  # redis-py keeps "SLOT HOST:PORT" from "MOVED SLOT HOST:PORT"
    return (
        f"key slot {slot} is served by {node}: REDIS_URL points at a cluster node; "
        "set REDIS_CLUSTER=true so the app uses the cluster client"
    )


# --8<-- [end:moved]


# --8<-- [start:hash-tags]
def pharmacy_key(pharmacy_id: int, name: str) -> str:
    """Only the part in {braces} is hashed: all keys of one pharmacy share a slot."""
    return f"pharmacare:{{pharmacy-{pharmacy_id}}}:{name}"


def reserve_stock(client: RedisCluster, pharmacy_id: int, sku: str, quantity: int) -> int:
    """Move stock from 'available' to 'reserved' atomically (MULTI/EXEC in one slot)."""
    available = pharmacy_key(pharmacy_id, "stock:available")
    reserved = pharmacy_key(pharmacy_id, "stock:reserved")
    with client.pipeline(transaction=True) as pipe:  # allowed: both keys in one slot
        pipe.hincrby(available, sku, -quantity)
        pipe.hincrby(reserved, sku, quantity)
        left, _ = pipe.execute()
    return left


# --8<-- [end:hash-tags]


# --8<-- [start:queue-keys]
QUEUE_PREFIX = "{pharmacare}"  # BullMQ's "prefix" option in snippets/queues/definitions.py
# Keys BullMQ keeps per queue (a few of them): its Lua scripts touch several at once.
BULLMQ_KEY_TYPES = ("wait", "active", "delayed", "prioritized", "meta", "id", "events", "1")


def queue_key_slots(client: RedisCluster, queue: str, prefix: str = QUEUE_PREFIX) -> dict:
    """CLUSTER KEYSLOT of each key of one queue: one slot with a hash-tag prefix."""
    keys = [f"{prefix}:{queue}:{kind}" for kind in BULLMQ_KEY_TYPES]
    return {key: client.cluster_keyslot(key) for key in keys}


# --8<-- [end:queue-keys]


# --8<-- [start:invalidate]
def invalidate_prefix(client: RedisCluster, prefix: str, batch: int = 500) -> int:
    """Delete every key starting with ``prefix`` on every primary. Returns the count.

    SCAN walks one node's keyspace, so each primary is scanned in turn; UNLINK frees memory
    in the background, and the client splits each batch by slot for us.
    """
    deleted = 0
    for node in client.get_primaries():
        keys: list[str] = []
        for key in client.scan_iter(match=f"{prefix}*", count=batch, target_nodes=node):
            keys.append(key)
            if len(keys) >= batch:
                deleted += client.unlink(*keys)
                keys.clear()
        if keys:
            deleted += client.unlink(*keys)
    return deleted


# --8<-- [end:invalidate]


def keys_per_primary(client: RedisCluster, keys: Iterable[str]) -> dict[str, int]:
    """How many of ``keys`` each primary holds (name "host:port" → count), for the demo."""
    counts: dict[str, int] = {node.name: 0 for node in client.get_primaries()}
    for key in keys:
        counts[client.get_node_from_key(key).name] += 1
    return counts


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cluster = make_cluster_client()
    cache_keys = [f"pharmacare:cache:v1:report:daily-sales:pharmacy={n}" for n in range(30)]
    for key in cache_keys:
        cluster.set(key, "{}", ex=300)
    print("cache keys per primary:", sorted(keys_per_primary(cluster, cache_keys).values()))
    print("invalidated:", invalidate_prefix(cluster, "pharmacare:cache:v1:report:daily-sales:"))
    cluster.hset(pharmacy_key(12, "stock:available"), "amoxicillin-500", 40)
    print("left after reserving 3:", reserve_stock(cluster, 12, "amoxicillin-500", 3))
    print("queue slots:", sorted(set(queue_key_slots(cluster, "appointment-reminder").values())))
    cluster.close()
