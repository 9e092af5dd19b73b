"""snippets/scaling/cluster.py on the harness's 3-primary cluster, on every server kind."""

from __future__ import annotations

import logging
import os
import socket
import time

import pytest
import redis
from redis.cluster import RedisCluster
from redis.exceptions import ClusterCrossSlotError, CrossSlotTransactionError, RedisClusterException

from snippets.queues import definitions
from snippets.scaling import cluster as cluster_mod
from snippets.scaling import sentinel as sentinel_mod
from tests.demos import run_demo
from tools import harness

CACHE_PREFIX = "pharmacare:cache:v1:report:"


def _ports(cluster: harness.Cluster) -> dict[int, str]:
    """Real node ports → 7000, 7001, 7002 (in slot order), for captures."""
    return {node.port: str(7000 + i) for i, node in enumerate(cluster.nodes)}


def _normalise(text: str, cluster: harness.Cluster) -> str:
    for port, shown in _ports(cluster).items():
        text = text.replace(f":{port}", f":{shown}")
    return text


def _raw(node: harness.Server, command: str) -> str:
    """The server's reply line to one inline command, verbatim, as any client receives it."""
    with socket.create_connection((harness.LOOPBACK, node.port), timeout=5) as s:
        s.sendall(f"AUTH {node.password}\r\n{command}\r\n".encode())
        replies = b""
        while replies.count(b"\r\n") < 2:
            replies += s.recv(4096)
    auth, reply = replies.decode().split("\r\n")[:2]
    assert auth == "+OK"
    return reply


def _owner_port(cluster: harness.Cluster, slot: int) -> int:
    with cluster.nodes[0].admin() as admin:
        for start, end, primary, *_ in admin.execute_command("CLUSTER", "SLOTS"):
            if start <= slot <= end:
                return int(primary[1])
    raise AssertionError(f"no node owns slot {slot}")


@pytest.fixture
def cluster(redis_factory, monkeypatch) -> harness.Cluster:
    password = harness.random_password()
    group = redis_factory.cluster(password=password)
    monkeypatch.setenv("REDIS_URL", group.url(username="default"))
    return group


def test_cluster_client_reaches_every_primary_and_logs_once(cluster, caplog):
    caplog.set_level(logging.INFO, logger="pharmacare.redis")
    client = cluster_mod.make_cluster_client()
    keys = [f"{CACHE_PREFIX}daily-sales:pharmacy={n}" for n in range(60)]
    for key in keys:
        client.set(key, "{}")
    assert [client.get(key) for key in keys] == [b"{}"] * 60
    per_node = cluster_mod.keys_per_primary(client, keys)
    assert len(per_node) == 3 and all(count > 0 for count in per_node.values())
    for node in cluster.nodes:  # each node really holds what the client says it does
        with node.admin() as admin:
            assert admin.dbsize() == per_node[f"127.0.0.1:{node.port}"]
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        f"Redis cluster connected: redis://default:***@127.0.0.1:{cluster.nodes[0].port}/0 "
        "(3 primaries)"
    ]
    assert cluster.nodes[0].password not in caplog.text
    assert client.client_getname() == "pharmacare-cache"
    client.close()


def test_app_client_follows_redis_cluster(cluster, redis_factory, monkeypatch):
    monkeypatch.setenv("REDIS_CLUSTER", "true")
    assert cluster_mod.cluster_enabled()
    client = cluster_mod.make_app_client("presence")
    assert isinstance(client, RedisCluster)
    client.close()
    single = redis_factory()
    monkeypatch.setenv("REDIS_URL", single.url())
    monkeypatch.setenv("REDIS_CLUSTER", "false")
    client = cluster_mod.make_app_client("presence")
    assert isinstance(client, redis.Redis) and client.ping()
    client.close()


def test_hash_tag_keeps_a_pharmacy_in_one_slot(cluster, capture):
    client = cluster_mod.make_cluster_client()
    available = cluster_mod.pharmacy_key(12, "stock:available")
    reserved = cluster_mod.pharmacy_key(12, "stock:reserved")
    assert available == "pharmacare:{pharmacy-12}:stock:available"
    assert client.cluster_keyslot(available) == client.cluster_keyslot(reserved)
    client.hset(available, "amoxicillin-500", 40)
    assert cluster_mod.reserve_stock(client, 12, "amoxicillin-500", 3) == 37
    assert client.hget(reserved, "amoxicillin-500") == b"3"

    # Without the tag the same two keys land in different slots: every way of asking for a
    # multi-key operation on them is refused, by the server or by redis-py before sending.
    a, b = "pharmacare:pharmacy-12:stock:available", "pharmacare:pharmacy-12:stock:reserved"
    assert client.cluster_keyslot(a) != client.cluster_keyslot(b)
    crossslot = _raw(cluster.nodes[0], f"MSET {a} 1 {b} 1")
    assert crossslot.startswith("-CROSSSLOT")
    plain = cluster.nodes[0].admin()
    with pytest.raises(ClusterCrossSlotError) as plain_error:
        plain.mset({a: 1, b: 1})
    with pytest.raises(RedisClusterException) as mset_error:
        client.mset({a: 1, b: 1})
    with (
        pytest.raises(CrossSlotTransactionError) as tx_error,
        client.pipeline(transaction=True) as pipe,
    ):
        pipe.hincrby(a, "amoxicillin-500", -3).hincrby(b, "amoxicillin-500", 3).execute()
    lines = [
        f"server reply to MSET {a} 1 {b} 1:",
        f"  {crossslot}",
        f"plain redis.Redis: {type(plain_error.value).__name__}: {plain_error.value}",
        f"RedisCluster.mset: {type(mset_error.value).__name__}: {mset_error.value}",
        f"RedisCluster transaction: {type(tx_error.value).__name__}: {tx_error.value}",
    ]
    capture("cluster-crossslot", "\n".join(lines))
    assert cluster.nodes[0].password not in "\n".join(lines)
    plain.close()
    client.close()


def test_queue_prefix_keeps_a_queue_in_one_slot(cluster, capture):
    client = cluster_mod.make_cluster_client()
    tagged = cluster_mod.queue_key_slots(client, "appointment-reminder")
    untagged = cluster_mod.queue_key_slots(client, "appointment-reminder", prefix="bull")
    assert len(set(tagged.values())) == 1
    assert len(set(untagged.values())) > 1
    # The slot the server computes is the one the client computes (CLUSTER KEYSLOT is real).
    with cluster.nodes[0].admin() as admin:
        for key, slot in tagged.items():
            assert admin.execute_command("CLUSTER", "KEYSLOT", key) == slot
    # A BullMQ-style Lua script touching several keys of the queue runs on the cluster …
    script = "redis.call('INCR', KEYS[1]); redis.call('LPUSH', KEYS[2], ARGV[1]); return 1"
    keys = list(tagged)
    assert client.eval(script, 2, keys[5], keys[0], "job-1") == 1  # :id, :wait
    assert client.lrange(keys[0], 0, -1) == [b"job-1"]
    # … and is refused with the default prefix, whose keys live in different slots.
    untagged_keys = list(untagged)
    with pytest.raises(RedisClusterException, match="same key slot"):
        client.eval(script, 2, untagged_keys[5], untagged_keys[0], "job-1")
    body = ["CLUSTER KEYSLOT with prefix {pharmacare} (the app's):"]
    body += [f"  {key:45} {slot}" for key, slot in tagged.items()]
    body += ["CLUSTER KEYSLOT with BullMQ's default prefix bull:"]
    body += [f"  {key:45} {slot}" for key, slot in untagged.items()]
    capture("cluster-queue-keyslot", "\n".join(body))
    client.close()


def test_queue_prefix_is_the_queues_prefix():
    assert definitions.PREFIX == cluster_mod.QUEUE_PREFIX


@pytest.mark.parametrize("batch", [7, 500])
def test_invalidate_prefix_scans_every_primary(cluster, batch):
    client = cluster_mod.make_cluster_client()
    stale = [f"{CACHE_PREFIX}daily-sales:pharmacy={n}" for n in range(50)]
    other = [f"{CACHE_PREFIX}monthly-revenue:pharmacy={n}" for n in range(20)]
    for key in stale + other:
        client.set(key, "{}", ex=300)
    assert all(count > 0 for count in cluster_mod.keys_per_primary(client, stale).values())
    assert cluster_mod.invalidate_prefix(client, f"{CACHE_PREFIX}daily-sales:", batch) == 50
    assert not any(client.exists(key) for key in stale)
    assert all(client.exists(key) for key in other)
    assert cluster_mod.invalidate_prefix(client, f"{CACHE_PREFIX}daily-sales:", batch) == 0
    client.close()


def test_plain_client_gets_moved(cluster, capture):
    first = cluster.nodes[0]
    plain = redis.Redis.from_url(cluster.url(username="default"), retry=harness.NO_RETRY)
    # the first report key (pharmacy=1, 2, …) whose slot lives on another node
    key, slot, owner = next(
        (k, s, p)
        for n in range(1, 100)
        for k in [f"{CACHE_PREFIX}daily-sales:pharmacy={n}"]
        for s in [plain.execute_command("CLUSTER", "KEYSLOT", k)]
        for p in [_owner_port(cluster, s)]
        if p != first.port
    )
    with pytest.raises(redis.exceptions.MovedError) as moved:
        plain.get(key)
    assert str(moved.value) == f"{slot} 127.0.0.1:{owner}"
    reply = _raw(first, f"GET {key}")
    assert reply == f"-MOVED {slot} 127.0.0.1:{owner}"
    text = "\n".join(
        [
            f"server reply to GET {key}:",
            f"  {reply}",
            f"redis.Redis: {type(moved.value).__name__}: {moved.value}",
            f"app log: {cluster_mod.explain_moved(moved.value)}",
        ]
    )
    assert first.password not in text
    capture(
        "cluster-moved",
        _normalise(text, cluster),
        normalised="node ports (shown as 7000, 7001, 7002 in slot order)",
    )
    plain.close()


def test_demo_runs(cluster):
    out = run_demo("snippets.scaling.cluster", env={**os.environ})
    assert out.returncode == 0, out.stderr
    assert "invalidated: 30" in out.stdout
    assert "left after reserving 3: 37" in out.stdout
    assert "queue slots: [" in out.stdout and "," not in out.stdout.split("queue slots:")[1]
    assert "Redis cluster connected" in out.stderr
    assert cluster.nodes[0].password not in out.stdout + out.stderr


def _caught_up(primary: harness.Server, replica: harness.Server) -> bool:
    offset = primary.info("replication")["master_repl_offset"]
    return replica.info("replication")["slave_repl_offset"] >= offset


def test_cluster_client_rides_through_a_primary_failover(redis_factory, monkeypatch):
    group = redis_factory.replicated_cluster(password=harness.random_password())
    monkeypatch.setenv("REDIS_URL", group.url(username="default"))
    client = cluster_mod.make_cluster_client()
    keys = [f"{CACHE_PREFIX}daily-sales:pharmacy={n}" for n in range(60)]
    for key in keys:
        client.set(key, "{}")
    victim, heir = group.nodes[1], group.replicas[1]
    for _ in range(200):  # replication is asynchronous: let the replica catch up first
        if _caught_up(victim, heir):
            break
        time.sleep(0.05)
    on_victim = next(k for k in keys if client.get_node_from_key(k).port == victim.port)

    victim.kill9()
    sentinel_mod.through_failover(lambda: client.set(on_victim, "after"), budget=30)

    with heir.admin() as promoted:
        assert promoted.info("replication")["role"] == "master"
    assert client.get_node_from_key(on_victim).port == heir.port
    assert client.get(on_victim) == b"after"
    assert all(client.get(key) is not None for key in keys)  # nothing was lost
    client.close()
