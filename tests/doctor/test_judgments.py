"""snippets/doctor/judgments.py: thresholds, on INFO read from real servers."""

from __future__ import annotations

from snippets.doctor import judgments
from tests.demos import run_demo


def test_thresholds_on_real_info(redis_factory):
    server = redis_factory(maxmemory="100mb", maxmemory_policy="allkeys-lru", maxclients=50)
    info = {s: server.info(s) for s in ("memory", "stats", "clients", "persistence")}
    assert judgments.memory_pressure(info["memory"]).status == "pass"
    used = int(info["memory"]["used_memory"])
    near = {**info["memory"], "maxmemory": int(used / 0.9)}
    assert judgments.memory_pressure(near).status == "warn"
    assert judgments.memory_pressure({**info["memory"], "maxmemory": 0}).summary.endswith(
        "no maxmemory set"
    )
    assert judgments.memory_policy_queue(info["memory"], jobs_enabled=True).status == "fail"
    assert judgments.memory_policy_queue(info["memory"], jobs_enabled=False).status == "pass"
    assert judgments.memory_evictions(info["stats"], info["memory"]).status == "pass"
    with server.admin() as admin:
        admin.set("pharmacare:k", "v")
    stored = judgments.memory_evictions(info["stats"], info["memory"], server.info("keyspace"))
    assert stored.summary == "no keys evicted since start; 1 keys stored"
    limit = int(info["clients"]["maxclients"])
    assert limit == 50
    assert judgments.max_clients(info["clients"], info["stats"], limit).status == "pass"
    busy = {**info["clients"], "connected_clients": 40}
    assert judgments.max_clients(busy, info["stats"], limit).status == "warn"
    full = {**info["clients"], "connected_clients": 50}
    assert judgments.max_clients(full, info["stats"], limit).status == "fail"
    refused = {**info["stats"], "rejected_connections": 3}
    result = judgments.max_clients(info["clients"], refused, limit)
    assert result.status == "warn" and "3 refused since start" in result.summary


def test_persistence_and_latency():
    aof = {"aof_enabled": 1}
    assert judgments.persistence_off(aof, None, jobs_enabled=True).status == "pass"
    assert judgments.persistence_off({"aof_enabled": 0}, None, True).status == "skip"
    assert judgments.persistence_off({"aof_enabled": 0}, "", True).status == "warn"
    assert judgments.persistence_off({"aof_enabled": 0}, "3600 1", True).status == "pass"
    assert judgments.persistence_off({"aof_enabled": 0}, "", False).status == "pass"
    assert judgments.latency(judgments.LATENCY_HIGH_MS + 1).status == "warn"
    assert judgments.latency(0.3).status == "pass"


def test_demo_runs():
    out = run_demo("snippets.doctor.judgments", check=True)
    assert "memory.pressure" in out.stdout and "latency.high" in out.stdout


def test_demo_in_process(monkeypatch, capsys):
    """The same demo in-process, so its lines count even if a subprocess's data is lost."""
    import runpy

    monkeypatch.setenv("REDIS_URL", "redis://red-xxxxx:6379")
    from snippets.doctor import judgments as module

    runpy.run_path(module.__file__, run_name="__main__")
    assert capsys.readouterr().out
