"""snippets/monitoring/metrics.py: metrics from INFO and alert rules, on real servers driven
into each alert condition (bounded loops, no timed assertions)."""

from __future__ import annotations

import os
import re

import pytest
import redis

from snippets.monitoring import metrics as mon
from tests.demos import run_demo
from tools import harness

VALUE = "x" * 4096  # one 4 KB value per write: 1,000 writes are 4 MB


def _normalise(text: str) -> str:
    return re.sub(r"PING median [0-9.]+ ms", "PING median 0.1 ms", text)


def _rules(alerts: list[mon.Alert]) -> set[str]:
    return {alert.rule for alert in alerts}


def test_reads_metrics_and_hit_ratio(redis_server):
    client = redis_server.admin()
    for i in range(10):
        client.set(f"report:daily-sales:{i}", "{}")
    for i in range(40):  # 10 hits, 30 misses
        client.get(f"report:daily-sales:{i}")
    sample = mon.read_metrics(client)
    assert sample.keyspace_hits == 10
    assert sample.keyspace_misses == 30
    assert sample.hit_ratio == 0.25
    assert sample.connected_clients == 1
    assert sample.maxclients == 10000
    assert sample.clients_ratio == 1 / 10000
    assert sample.maxmemory == 0 and sample.memory_ratio is None  # no limit set
    assert sample.used_memory > 0
    assert sample.maxmemory_policy == "noeviction" and sample.can_evict is False
    assert sample.evicted_keys == 0 and sample.rejected_connections == 0
    assert sample.slowlog_len == 0
    assert sample.unavailable == ()
    assert sample.ping_ms > 0
    assert not [a for a in mon.evaluate(sample, "queue") if a.rule != "latency-high"]
    assert "hit ratio 25% (10 hits, 30 misses)" in mon.report(sample, [])


def test_hit_ratio_needs_lookups(redis_server):
    sample = mon.read_metrics(redis_server.admin())
    assert sample.hit_ratio is None
    assert "hit ratio n/a" in mon.report(sample, [])


def test_memory_above_80_percent_fires(redis_factory, capture):
    server = redis_factory(maxmemory="4mb", maxmemory_policy="noeviction")
    client = server.admin()
    for i in range(1000):  # bounded: 4 MB of values cannot fit under a 4 MB limit
        client.set(f"report:inventory:{i}", VALUE)
        if mon.read_metrics(client, pings=1).memory_ratio > 0.852:
            break
    else:  # pragma: no cover - the server never filled up
        pytest.fail("memory never went above 85 %")
    sample = mon.read_metrics(client)
    alerts = mon.evaluate(sample, "cache")
    assert "memory-above-80%" in _rules(alerts)
    pressure = next(a for a in alerts if a.rule == "memory-above-80%")
    assert pressure.check == "memory.pressure" and 0.85 < pressure.value < 0.9
    text = mon.report(sample, [a for a in alerts if a.rule == "memory-above-80%"])
    assert "ALERT         memory-above-80%: memory_ratio = 85% > 80%" in text
    capture("monitoring-memory-alert", _normalise(text), normalised="PING time (0.1 ms)")


def test_any_eviction_on_a_queue_instance_fires(redis_factory):
    # A queue instance misconfigured with allkeys-lru: jobs are silently evicted.
    server = redis_factory(maxmemory="2mb", maxmemory_policy="allkeys-lru")
    client = server.admin()
    before = mon.read_metrics(client, pings=1)
    for i in range(1000):  # bounded: 4 MB written into 2 MB
        client.hset(f"bull:medication-reminder:{i}", mapping={"data": VALUE})
        if client.info("stats")["evicted_keys"]:
            break
    after = mon.read_metrics(client, pings=1)
    assert after.evicted_keys > 0
    queue = {a.rule: a for a in mon.evaluate(after, "queue", previous=before)}
    assert {"queue-evictions", "queue-evicting-policy"} <= queue.keys()
    assert queue["queue-evictions"].value == after.evicted_keys - before.evicted_keys
    assert queue["queue-evictions"].check == "memory.evictions"
    # The same evictions on a cache are how allkeys-lru works: no alert below the rate.
    assert "cache-evictions" not in _rules(mon.evaluate(after, "cache", previous=before))
    # No new evictions since the last sample: the counter rule is quiet again.
    assert "queue-evictions" not in _rules(mon.evaluate(after, "queue", previous=after))


def test_frequent_evictions_on_a_cache_fire(redis_factory):
    server = redis_factory(maxmemory="2mb", maxmemory_policy="allkeys-lru")
    client = server.admin()
    before = mon.read_metrics(client, pings=1)
    for i in range(2000):  # bounded: 8 MB written into 2 MB
        client.set(f"report:daily-sales:{i}", VALUE)
        if client.info("stats")["evicted_keys"] > mon.CACHE_EVICTIONS_PER_SAMPLE:
            break
    after = mon.read_metrics(client, pings=1)
    alerts = mon.evaluate(after, "cache", previous=before)
    assert "cache-evictions" in _rules(alerts)
    # After a restart the counter starts again from 0; the rule judges the new value.
    restarted = mon.read_metrics(client, pings=1)  # same values stand in for "later"
    later = mon.Metrics(**{**restarted.__dict__, "evicted_keys": 5})
    assert "cache-evictions" not in _rules(mon.evaluate(later, "cache", previous=after))


def test_latency_above_threshold_fires(redis_factory):
    server = redis_factory()
    front = redis_factory.front(server, delay=mon.LATENCY_MS / 1000)  # adds it both ways
    client = redis.Redis(host=harness.LOOPBACK, port=front.port, retry=harness.NO_RETRY)
    sample = mon.read_metrics(client)
    assert sample.ping_ms > 2 * mon.LATENCY_MS * 0.9
    latency = [a for a in mon.evaluate(sample, "queue") if a.rule == "latency-high"]
    assert latency and latency[0].check == "latency.high"
    client.close()


def test_rejected_connections_fire(redis_factory):
    server = redis_factory(maxclients=3)
    client = server.admin()
    client.ping()  # connection 1
    others = [server.admin() for _ in range(3)]
    with pytest.raises(redis.ConnectionError, match="max number of clients reached"):
        for other in others:  # connections 2 and 3 fit, the 4th is refused
            other.ping()
    sample = mon.read_metrics(client)
    assert sample.rejected_connections == 1
    assert sample.clients_ratio == 1.0
    alerts = {a.rule: a for a in mon.evaluate(sample, "cache")}
    assert {"rejected-connections", "clients-above-80%"} <= alerts.keys()
    assert alerts["rejected-connections"].check == "server.maxclients"
    text = mon.report(sample, list(alerts.values()))
    assert "connections   3 of 3 (100%), rejected since start: 1" in text
    assert "clients_ratio = 100% > 80%" in text
    for other in others:
        other.close()


def test_blocked_commands_are_reported_not_fatal(redis_factory, capture):
    # A managed service: SLOWLOG renamed away, and a monitoring user that may not run INFO.
    password = harness.random_password()
    server = redis_factory(
        config=('rename-command SLOWLOG ""',),
        acl_users=(f"monitor on >{password} ~* +@all -info",),
    )
    client = server.admin(username="monitor", password=password)
    sample = mon.read_metrics(client)
    assert sample.used_memory is None and sample.connected_clients is None
    assert sample.memory_ratio is None and sample.hit_ratio is None and sample.can_evict is None
    assert sample.slowlog_len is None
    assert len(sample.unavailable) == 4  # three INFO sections and SLOWLOG
    assert all("INFO" in u or "SLOWLOG" in u for u in sample.unavailable)
    alerts = mon.evaluate(sample, "queue")
    assert {a.rule for a in alerts} <= {"latency-high"}  # nothing judged on missing data
    text = mon.report(sample, [])
    assert password not in text
    assert "memory        n/a of n/a (n/a)" in text
    capture("monitoring-blocked", _normalise(text), normalised="PING time (0.1 ms)")


def test_demo_runs(redis_server):
    for args in ([], ["cache"]):
        out = run_demo(
            "snippets.monitoring.metrics",
            *args,
            env={**os.environ, "REDIS_URL": redis_server.url()},
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("connections   ")
        assert "memory        " in out.stdout


def test_the_page_table_matches_the_rules():
    """docs/operations/monitoring.md lists every rule, its roles and its check's docs link."""
    from pathlib import Path

    from snippets.checks import CHECKS, docs_path

    page = (Path(__file__).resolve().parents[2] / "docs/operations/monitoring.md").read_text()
    rows = {
        line.split("|")[1].strip(" `"): line for line in page.splitlines() if line.startswith("| `")
    }
    assert set(rows) == {rule.name for rule in mon.ALERT_RULES}
    for rule in mon.ALERT_RULES:
        row = rows[rule.name]
        roles = "both" if set(rule.roles) == {"queue", "cache"} else rule.roles[0]
        assert f"| {roles} |" in row, rule.name
        assert rule.check in CHECKS
        group_page, anchor = docs_path(rule.check).removeprefix("troubleshooting/").split("/#")
        assert f"(../troubleshooting/{group_page}.md#{anchor})" in row, rule.name
