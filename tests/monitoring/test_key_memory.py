"""snippets/monitoring/key_memory.py: MEMORY USAGE over a SCAN sample, grouped by prefix,
checked against an exact count on real servers of every kind."""

from __future__ import annotations

import os

import redis

from snippets.monitoring import key_memory, sizing
from tests.demos import run_demo
from tools import harness


def load(client: redis.Redis) -> None:
    sizing.load_reports(client, 0, 300)  # the app's report cache: 300 keys
    sizing.load_presence(client, 0, 200)  # presence: 3 keys for 200 users
    for i in range(100):
        client.hset(f"{{pharmacare}}:adherence-check:{i}", mapping={"name": "check", "data": "{}"})


def exact(client: redis.Redis) -> dict[str, tuple[int, int]]:
    """prefix -> (keys, bytes), by asking MEMORY USAGE for every key."""
    found: dict[str, tuple[int, int]] = {}
    for key in client.keys("*"):
        keys, size = found.get(key_memory.prefix_of(key), (0, 0))
        found[key_memory.prefix_of(key)] = (keys + 1, size + client.memory_usage(key, samples=0))
    return found


REPORTS = "pharmacare:cache:v1:report:daily-sales"


def test_prefix_of():
    key = f"{REPORTS}:date=2026-11-25:pharmacy=12"
    assert key_memory.prefix_of(key) == REPORTS
    assert key_memory.prefix_of(key, depth=2) == "pharmacare:cache"
    assert key_memory.prefix_of(b"{pharmacare}:appointment-reminder:42") == (
        "{pharmacare}:appointment-reminder"
    )
    assert key_memory.prefix_of("{pharmacare}:medication-reminder:repeat:rx-5:1795") == (
        "{pharmacare}:medication-reminder:repeat"
    )
    online = "pharmacare:presence:v1:online"  # no id in it: the key is its own group
    assert key_memory.prefix_of(online) == online
    assert key_memory.prefix_of("42:counter") == "42:counter"  # the first part always stays
    assert key_memory.prefix_of(b"\xffodd:key:1") == "\ufffdodd:key"


def test_a_full_scan_is_exact(redis_server):
    client = redis_server.admin(decode_responses=False)
    load(client)
    usages = key_memory.measure(client, sample=10_000)
    truth = exact(client)
    assert {u.prefix: (u.estimated_keys, u.estimated_bytes) for u in usages} == truth
    assert {u.prefix: (u.sampled_keys, u.sampled_bytes) for u in usages} == truth
    assert usages[0].prefix == REPORTS  # largest first
    assert sorted(u.estimated_keys for u in usages) == [1, 1, 1, 100, 300]  # 3 presence keys
    text = key_memory.table(usages)
    assert text.splitlines()[1].startswith(REPORTS)


def test_a_sample_extrapolates_to_the_whole_database(redis_server):
    client = redis_server.admin(decode_responses=False)
    load(client)
    truth = exact(client)
    usages = {u.prefix: u for u in key_memory.measure(client, sample=150)}
    assert sum(u.sampled_keys for u in usages.values()) == 150
    assert abs(sum(u.estimated_keys for u in usages.values()) - client.dbsize()) <= 3
    for prefix in (REPORTS, "{pharmacare}:adherence-check"):  # similar items: per key ≈ exact
        keys, size = truth[prefix]
        assert abs(usages[prefix].bytes_per_key - size / keys) <= 0.02 * size / keys
    total = sum(size for _, size in truth.values())
    estimated = sum(u.estimated_bytes for u in usages.values())
    assert 0.6 * total < estimated < 1.4 * total  # 150 of 403 keys, sampled in hash order


def test_empty_database_and_vanishing_keys(redis_server):
    client = redis_server.admin(decode_responses=False)
    assert key_memory.measure(client) == []

    class Racing(redis.Redis):
        """A real client whose keys expire between SCAN and MEMORY USAGE."""

        def memory_usage(self, key, samples=None):
            if key.startswith(b"gone:"):
                self.unlink(key)  # the real server drops it, as an expiry would
            return super().memory_usage(key, samples=samples)

    racing = Racing(host=harness.LOOPBACK, port=redis_server.port, retry=harness.NO_RETRY)
    racing.set("gone:1", "x")
    racing.set(f"{REPORTS}:pharmacy=1", "x")
    usages = key_memory.measure(racing)
    assert [u.prefix for u in usages] == [REPORTS]
    racing.close()


def test_demo_runs(redis_server):
    load(redis_server.admin())
    for args in ([], ["50"]):
        out = run_demo(
            "snippets.monitoring.key_memory",
            *args,
            env={**os.environ, "REDIS_URL": redis_server.url()},
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("prefix ")
        assert REPORTS in out.stdout and "used_memory" in out.stdout
