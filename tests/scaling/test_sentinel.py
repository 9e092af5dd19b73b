"""snippets/scaling/sentinel.py on a real primary + replica + three sentinels, every kind."""

from __future__ import annotations

import logging
import os
import re
import time

import pytest
import redis

from snippets.config.settings import RedisConfigError
from snippets.scaling import sentinel as sentinel_mod
from tests.demos import run_demo
from tools import harness


def _env(group: harness.Sentinel) -> dict[str, str]:
    """The variables the app would get: every sentinel, the group's name, the password."""
    env = {
        "REDIS_SENTINELS": ",".join(f"{host}:{port}" for host, port in group.addresses),
        "REDIS_SENTINEL_MASTER": group.master_name,
    }
    if group.password:
        env["REDIS_PASSWORD"] = group.password
    return env


def test_settings_from_the_environment():
    password = harness.random_password()
    settings = sentinel_mod.load_sentinel_settings(
        {
            "REDIS_SENTINELS": "10.0.0.5:26379, 10.0.0.6:26379,[fd00::7]:26380",
            "REDIS_PASSWORD": password,
            "REDIS_SENTINEL_PASSWORD": "sentinel-" + password,
            "REDIS_USERNAME": "pharmacare-app",
            "REDIS_DB": "2",
        }
    )
    assert settings.sentinels == (("10.0.0.5", 26379), ("10.0.0.6", 26379), ("fd00::7", 26380))
    assert settings.master == "mymaster"  # the sentinels' conventional default name
    assert (settings.db, settings.username) == (2, "pharmacare-app")
    assert settings.password == password
    assert password not in repr(settings)
    assert sentinel_mod.sentinel_enabled({"REDIS_SENTINELS": "h:26379"})
    assert not sentinel_mod.sentinel_enabled({"REDIS_URL": "redis://h:6379/0"})


@pytest.mark.parametrize(
    ("env", "check_id"),
    [
        ({"REDIS_SENTINELS": "10.0.0.5"}, "url.invalid-port"),
        ({"REDIS_SENTINELS": "10.0.0.5:26379,:26379"}, "url.invalid-port"),
        ({"REDIS_SENTINELS": "10.0.0.5:0"}, "url.invalid-port"),
        ({"REDIS_SENTINELS": ""}, "url.invalid-port"),
        ({"REDIS_SENTINELS": "10.0.0.5:26379", "REDIS_DB": "one"}, "url.invalid-db"),
    ],
)
def test_bad_settings_name_the_check(env, check_id):
    with pytest.raises(RedisConfigError) as error:
        sentinel_mod.load_sentinel_settings(env)
    assert error.value.check_id == check_id


@pytest.fixture
def group(redis_factory) -> harness.Sentinel:
    return redis_factory.sentinel(password=harness.random_password())


def test_client_writes_to_the_primary_and_logs_it_once(group, caplog):
    caplog.set_level(logging.INFO, logger="pharmacare.redis")
    client = sentinel_mod.make_sentinel_client("presence", env=_env(group))
    for n in range(20):
        client.set(f"pharmacare:presence:user-{n}", "online", ex=60)
    with group.primary.admin() as primary:
        assert primary.get("pharmacare:presence:user-19") == "online"
        assert "pharmacare-presence" in [c["name"] for c in primary.client_list()]
    assert [r.getMessage() for r in caplog.records] == [
        f"Redis primary for 'pharmacare': 127.0.0.1:{group.primary.port} (from sentinel)"
    ]
    assert group.password not in caplog.text
    client.close()


def test_a_dead_sentinel_is_skipped(group, redis_factory):
    closed = redis_factory.closed_port()
    env = _env(group)
    env["REDIS_SENTINELS"] = f"127.0.0.1:{closed.port}," + env["REDIS_SENTINELS"]
    client = sentinel_mod.make_sentinel_client(env=env)
    assert client.ping()
    client.close()


def test_acknowledged_write_is_on_the_replica(group):
    client = sentinel_mod.make_sentinel_client(env=_env(group))
    sentinel_mod.set_acknowledged(client, "pharmacare:rx:1001", "dispensed")
    with group.replica.admin() as replica:
        assert replica.get("pharmacare:rx:1001") == "dispensed"
    with pytest.raises(sentinel_mod.NotReplicatedError, match=r"1/2 replicas in 100 ms"):
        sentinel_mod.set_acknowledged(client, "pharmacare:rx:1002", "x", replicas=2, timeout_ms=100)
    client.close()


def _normalise(text: str, group: harness.Sentinel, old: int, new: int) -> str:
    text = text.replace(f":{old}", ":6379").replace(f":{new}", ":6380")
    return re.sub(r"after \d+\.\d s", "after N.N s", text)


def test_failover_writes_resume_and_acknowledged_writes_survive(redis_factory, caplog, capture):
    # down-after 2 s: the sentinels call the primary down after the app's first failed
    # request has finished its retries, so the log below is the same on every run.
    group = redis_factory.sentinel(password=harness.random_password(), down_after_ms=2000)
    old, new = group.primary.port, group.replica.port
    caplog.set_level(logging.INFO, logger="pharmacare.redis")
    client = sentinel_mod.make_sentinel_client("queue", env=_env(group))
    acknowledged = {f"pharmacare:rx:{n}": f"dispensed-{n}" for n in range(50)}
    for key, value in acknowledged.items():
        sentinel_mod.set_acknowledged(client, key, value)

    group.primary.kill9()
    killed = time.monotonic()
    sentinel_mod.through_failover(lambda: client.set("pharmacare:after-failover", "1"))
    resumed = time.monotonic() - killed

    assert resumed < sentinel_mod.FAILOVER_BUDGET  # bounded: it resumed, it did not give up
    # The client found the promoted replica through a sentinel that already knew it; sentinel
    # 0 may learn it from the others' hello messages a moment later.
    harness.wait_for(lambda: group.current_primary_port() == new, "sentinel 0 to report it")
    with group.replica.admin() as promoted:
        assert promoted.info("replication")["role"] == "master"
        assert promoted.get("pharmacare:after-failover") == "1"
        for key, value in acknowledged.items():  # WAIT 1 acknowledged: none was lost
            assert promoted.get(key) == value
    assert client.get("pharmacare:rx:49") == b"dispensed-49"

    records = [r for r in caplog.records if r.name == "pharmacare.redis"]
    lines = [f"{r.levelname} {r.name}: {r.getMessage()}" for r in records]
    assert len(lines) == 4, lines
    assert group.password not in caplog.text
    capture(
        "sentinel-failover-log",
        _normalise("\n".join(lines), group, old, new),
        normalised="ports (old primary 6379, promoted replica 6380) and the outage length",
    )
    client.close()


def test_through_failover_gives_up_after_its_budget(redis_factory, caplog):
    closed = redis_factory.closed_port()
    dead = redis.Redis(port=closed.port, retry=harness.NO_RETRY)
    caplog.set_level(logging.INFO, logger="pharmacare.redis")
    with pytest.raises(redis.ConnectionError, match="Connection refused"):
        sentinel_mod.through_failover(dead.ping, budget=0.6)
    levels = [r.levelname for r in caplog.records]
    assert levels == ["WARNING", "ERROR"]
    assert "still unavailable after 1 s" in caplog.records[-1].getMessage()


def test_demo_runs(group):
    env = {**os.environ, **_env(group)}
    out = run_demo("snippets.scaling.sentinel", env=env)
    assert out.returncode == 0, out.stderr
    assert "acknowledged by a replica: b'ok'" in out.stdout
    assert "PING through failover: True" in out.stdout
    assert "Redis primary for 'pharmacare'" in out.stderr
    assert group.password not in out.stdout + out.stderr


def test_demo_without_sentinels_says_what_to_set():
    env = {k: v for k, v in os.environ.items() if k != "REDIS_SENTINELS"}
    out = run_demo("snippets.scaling.sentinel", env=env)
    assert out.returncode == 1
    assert "set REDIS_SENTINELS=" in out.stderr


def test_no_reachable_sentinel_is_a_connection_error_without_secrets(redis_factory):
    closed = [redis_factory.closed_port() for _ in range(3)]
    password = harness.random_password()
    env = {
        "REDIS_SENTINELS": ",".join(f"127.0.0.1:{c.port}" for c in closed),
        "REDIS_SENTINEL_MASTER": "pharmacare",
        "REDIS_PASSWORD": password,
        "REDIS_SENTINEL_PASSWORD": password + "-sentinel",
    }
    client = sentinel_mod.make_sentinel_client(env=env)
    with pytest.raises(redis.ConnectionError, match="No master found for 'pharmacare'") as error:
        client.ping()
    assert password not in str(error.value) + repr(error.value)
    client.close()
