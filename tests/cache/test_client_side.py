"""snippets/cache/client_side.py: local copies kept correct by CLIENT TRACKING (RESP3).

Every test runs on both kinds, as the app's ACL user. Writes that must invalidate come from
another process (a ``python -c`` writer), and reads wait for the new value with a bounded
poll — no timing is asserted. ``verify_every`` is set to an hour where a test must prove
that the invalidation (not the periodic re-read) made the new value visible.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
import redis

from snippets.cache import client_side as cs
from snippets.cache import report_cache as rc
from snippets.config.client import make_client
from tests.cache import app_user
from tests.demos import run_demo
from tools.harness import wait_for

PARAMS = {"pharmacy": 12, "date": "2026-11-25"}
KEY = rc.report_key("daily-sales", PARAMS)
HOUR = 3600.0

WRITER = """
import json, os, sys, time
import redis
client = redis.Redis.from_url(os.environ["REDIS_URL"])
key, action = sys.argv[1], sys.argv[2]
if action == "unlink":
    client.unlink(key)
else:
    envelope = {"fresh_until": time.time() + 600, "value": json.loads(action)}
    client.set(key, json.dumps(envelope), px=600_000)
"""


def write_elsewhere(url: str, key: str, value) -> None:
    """Change ``key`` from another process (another app instance); returns once acknowledged."""
    action = "unlink" if value is None else json.dumps(value)
    subprocess.run(
        [sys.executable, "-c", WRITER, key, action],
        env={**os.environ, "REDIS_URL": url},
        check=True,
        timeout=60,
    )


def local_cache(**limits) -> rc.ReportCache:
    return cs.local_report_cache(**limits)


def wait_for_value(cache: rc.ReportCache, expected, what: str) -> None:
    """Read through the cache until it returns ``expected`` (bounded), never loading."""

    def loader():  # pragma: no cover - a load would mean the entry vanished
        raise AssertionError("the loader ran: the entry was expected in Redis")

    wait_for(lambda: cache.get_or_load("daily-sales", PARAMS, loader) == expected, what)


def tracking_client_entry(server) -> dict:
    clients = [c for c in server.admin().client_list() if c["name"] == "pharmacare-cache-local"]
    assert len(clients) == 1, clients
    return clients[0]


# -- redis-py's own cache: not on these servers


def test_builtin_cache_needs_redis_7_4(app):
    client = cs.builtin_cached_client(max_size=10)
    info = app.server.info()
    version = tuple(int(p) for p in info["redis_version"].split(".")[:2])
    if "valkey_version" not in info and version >= (7, 4):  # pragma: no cover - newer Redis
        client.set("pharmacare:x", "1")
        assert client.get("pharmacare:x") == b"1"
        return
    with pytest.raises(redis.ConnectionError, match=r"supported by Redis 7\.4 or later"):
        client.get("pharmacare:x")
    client.close()


# -- local hits, invalidated from another process


def test_hits_are_served_locally_with_tracking_on(app):
    cache = local_cache()
    local = cache.store
    value = {"total": "1843.20"}
    assert cache.get_or_load("daily-sales", PARAMS, lambda: value) == value
    before = local.stats.remote_reads
    for _ in range(50):
        assert cache.get_or_load("daily-sales", PARAMS, lambda: value) == value
    assert local.stats.remote_reads == before + 1  # the first read after our own write
    assert local.stats.local_hits == 49
    entry = tracking_client_entry(app.server)
    assert "t" in entry["flags"]  # CLIENT TRACKING is on for the reading connection
    assert entry["user"] == "pharmacare-app"
    local.close()


def test_write_from_another_process_is_seen(app):
    cache = local_cache(verify_every=HOUR)
    local = cache.store
    cache.get_or_load("daily-sales", PARAMS, lambda: {"orders": 57})
    assert cache.get_or_load("daily-sales", PARAMS, lambda: {"orders": 0}) == {"orders": 57}
    write_elsewhere(app.url, KEY, {"orders": 58})
    wait_for_value(cache, {"orders": 58}, "the other process's write, through the cache")
    assert local.stats.invalidated >= 1  # the server's push dropped our copy
    hits = local.stats.local_hits
    assert cache.get_or_load("daily-sales", PARAMS, lambda: {}) == {"orders": 58}
    assert local.stats.local_hits == hits + 1  # and the new value is local again
    write_elsewhere(app.url, KEY, None)  # a delete invalidates, too
    loaded = cache.get_or_load("daily-sales", PARAMS, lambda: {"orders": 59})
    deadline = time.monotonic() + 20
    while loaded != {"orders": 59} and time.monotonic() < deadline:
        loaded = cache.get_or_load("daily-sales", PARAMS, lambda: {"orders": 59})
    assert loaded == {"orders": 59}
    local.close()


def test_flushdb_drops_every_local_copy(app):
    cache = local_cache(verify_every=HOUR)
    local = cache.store
    for pharmacy in range(3):
        cache.get_or_load("daily-sales", {"pharmacy": pharmacy}, lambda: {"n": 1})
        cache.get_or_load("daily-sales", {"pharmacy": pharmacy}, lambda: {"n": 1})
    assert len(local) == 3
    flushes = local.stats.flushes
    app.server.admin().flushdb()  # the operator's FLUSHDB: one push with no key list
    wait_for(lambda: (local.get("pharmacare:none"), local.stats.flushes > flushes)[1], "flush")
    assert len(local) == 0


def test_reconnect_after_client_kill_forgets_what_it_tracked(app):
    cache = local_cache(verify_every=HOUR)
    local = cache.store
    cache.get_or_load("daily-sales", PARAMS, lambda: {"orders": 57})
    cache.get_or_load("daily-sales", PARAMS, lambda: {"orders": 57})
    admin = app.server.admin()
    killed = tracking_client_entry(app.server)["id"]
    assert admin.client_kill_filter(_id=killed) == 1
    # While the reader is cut off, no invalidation can reach it: the write below is missed.
    write_elsewhere(app.url, KEY, {"orders": 60})
    flushes = local.stats.flushes
    wait_for_value(cache, {"orders": 60}, "the write made while disconnected")
    assert local.stats.flushes > flushes  # the broken link dropped every local copy
    entry = tracking_client_entry(app.server)
    assert entry["id"] != killed and "t" in entry["flags"]  # tracking on the new connection
    write_elsewhere(app.url, KEY, {"orders": 61})  # and invalidations flow again
    wait_for_value(cache, {"orders": 61}, "a write after the reconnect")
    local.close()


@pytest.fixture
def persistent_app(redis_factory, monkeypatch) -> app_user.AppServer:
    started = app_user.start(redis_factory, appendonly=True)
    monkeypatch.setenv("REDIS_URL", started.url)
    return started


def test_redis_restart_drops_local_copies(persistent_app):
    app = persistent_app
    cache = local_cache(verify_every=HOUR)
    local = cache.store
    cache.get_or_load("daily-sales", PARAMS, lambda: {"orders": 57})
    cache.get_or_load("daily-sales", PARAMS, lambda: {"orders": 57})
    app.server.restart()  # the data survives (appendonly), the connections do not
    wait_for(lambda: app.server.admin().ping(), "the restarted server", ignore=(redis.RedisError,))
    write_elsewhere(app.url, KEY, {"orders": 62})
    flushes = local.stats.flushes
    wait_for(
        lambda: cache.get_or_load("daily-sales", PARAMS, dict) == {"orders": 62},
        "the write after the restart",
        ignore=(redis.ConnectionError,),
    )
    assert local.stats.flushes > flushes
    write_elsewhere(app.url, KEY, {"orders": 63})
    wait_for_value(cache, {"orders": 63}, "an invalidation after the restart")
    local.close()


# -- the memory bound


def test_max_entries_and_max_bytes_are_honoured(app):
    cache = local_cache(max_entries=5, verify_every=HOUR)
    local = cache.store
    for pharmacy in range(20):
        for _ in range(2):
            cache.get_or_load("daily-sales", {"pharmacy": pharmacy}, lambda: {"n": 1})
        assert len(local) <= 5
    assert len(local) == 5 and local.stats.evicted >= 15
    local.close()

    cache = local_cache(max_bytes=2_000, verify_every=HOUR)
    local = cache.store
    for pharmacy in range(10):
        for _ in range(2):
            cache.get_or_load("monthly-revenue", {"pharmacy": pharmacy}, lambda: {"r": "x" * 500})
        assert 0 < local.local_bytes <= 2_000
    assert len(local) == 3  # three ~560-byte entries fit in 2,000 bytes
    big = {"rows": "x" * 3_000}  # larger than the whole budget: read, never kept
    for _ in range(2):
        assert cache.get_or_load("analytics-dashboard", {}, lambda: big) == big
    assert rc.report_key("analytics-dashboard", {}) not in local._local
    local.close()


def test_lru_keeps_the_recently_used(app):
    cache = local_cache(max_entries=2, verify_every=HOUR)
    local = cache.store
    keys = [rc.report_key("daily-sales", {"pharmacy": p}) for p in range(3)]
    for p in range(2):
        cache.get_or_load("daily-sales", {"pharmacy": p}, lambda: {"n": 1})
        cache.get_or_load("daily-sales", {"pharmacy": p}, lambda: {"n": 1})
    cache.get_or_load("daily-sales", {"pharmacy": 0}, lambda: {"n": 1})  # 0 is now recent
    cache.get_or_load("daily-sales", {"pharmacy": 2}, lambda: {"n": 1})
    cache.get_or_load("daily-sales", {"pharmacy": 2}, lambda: {"n": 1})
    assert list(local._local) == [keys[0], keys[2]]
    local.close()


# -- composed with the report cache


def test_verify_every_re_reads_old_copies(app):
    cache = local_cache(verify_every=0)  # every hit proves the link: never served locally
    local = cache.store
    for _ in range(3):
        cache.get_or_load("daily-sales", PARAMS, lambda: {"n": 1})
    assert local.stats.local_hits == 0 and local.stats.remote_reads == 3
    local.close()


def test_stampede_and_invalidation_through_the_local_store(app):
    cache = local_cache()
    gate, calls, results = threading.Event(), [], []

    def loader():
        calls.append(1)
        assert gate.wait(30)
        return {"booked": 42}

    threads = [
        threading.Thread(
            target=lambda: results.append(cache.get_or_load("appointment-stats", PARAMS, loader))
        )
        for _ in range(10)
    ]
    for t in threads:
        t.start()
    wait_for(lambda: cache.stats.misses == 10, "10 requests on one loader")
    gate.set()
    for t in threads:
        t.join(timeout=30)
    assert results == [{"booked": 42}] * 10 and len(calls) == 1
    assert cache.invalidate("appointment-stats", PARAMS) == 1
    assert len(cache.store) == 0  # our own delete dropped the copy at once
    cache.get_or_load("daily-sales", {"pharmacy": 1}, lambda: {"n": 1})
    assert cache.invalidate_family("daily-sales") == 1
    cache.store.close()


def test_demo_runs(app):
    make_client("cache").unlink(KEY)
    out = run_demo("snippets.cache.client_side", env={**os.environ, "REDIS_URL": app.url})
    assert out.returncode == 0, out.stderr
    assert "local hits=1 remote reads=2" in out.stdout
    # The push normally lands during the demo's 50 ms pause; proven without a pause above.
    assert "'orders': 58" in out.stdout or "invalidated=0" in out.stdout
    assert "local copies=0" in out.stdout
    assert app.app_password not in out.stdout + out.stderr
