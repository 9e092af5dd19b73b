"""snippets/cache/client-side.ts: node-redis 5's client-side cache under the report cache.

Every test runs on both kinds, as the app's ACL user. A long-lived node reader
(tests/cache/client_side_driver.mjs) reads through the cache; writes come from another
process (the Python writer of test_client_side.py), and the reader polls for the new value
with a bound. The local TTL is an hour where a test must prove that the invalidation (not
the TTL) made the new value visible.
"""

from __future__ import annotations

import pytest
import redis

from tests.cache import app_user
from tests.cache.test_client_side import KEY, tracking_client_entry, write_elsewhere
from tests.nodejs import SNIPPETS, NodeLines, run_ts
from tools.harness import wait_for

DRIVER = SNIPPETS.parent / "tests" / "cache" / "client_side_driver.mjs"
HOUR_MS = 3_600_000


class Reader:
    """The node reader: ``read(value)`` is one getOrLoad of the daily-sales report."""

    def __init__(self, url: str, max_entries: int = 1000, ttl_ms: int = HOUR_MS) -> None:
        self.node = NodeLines(DRIVER, str(max_entries), str(ttl_ms), env={"REDIS_URL": url})

    def read(self, value=None, idle_ms: int = 0) -> dict:
        return self.node({"op": "read", "value": value, "idleMs": idle_ms})

    def wait_for_value(self, expected, what: str) -> dict:
        seen: list[dict] = []

        def check() -> bool:
            seen.append(self.read({"loaded": True}, idle_ms=20))
            return seen[-1].get("value") == expected

        wait_for(check, what)
        return seen[-1]

    def many(self, n: int) -> dict:
        return self.node({"op": "many", "n": n})

    def close(self) -> None:
        assert self.node({"op": "close"})["closed"]
        self.node.close()


@pytest.fixture
def reader(app):
    readers: list[Reader] = []

    def make(**options) -> Reader:
        readers.append(Reader(app.url, **options))
        return readers[-1]

    yield make
    for r in readers:
        r.close()


def test_hits_are_local_and_a_write_elsewhere_is_seen(app, reader):
    r = reader()
    first = r.read({"orders": 57})
    assert first["value"] == {"orders": 57}
    for _ in range(5):
        assert r.read({"orders": 0})["value"] == {"orders": 57}
    assert r.read()["hits"] >= 4  # served from node's memory
    entry = tracking_client_entry(app.server)
    assert "t" in entry["flags"] and entry["user"] == "pharmacare-app"
    write_elsewhere(app.url, KEY, {"orders": 58})
    r.wait_for_value({"orders": 58}, "the other process's write, through the node cache")
    write_elsewhere(app.url, KEY, None)  # a delete invalidates, too
    r.wait_for_value({"loaded": True}, "a reload after the other process's delete")


def test_reconnect_after_client_kill(app, reader):
    r = reader()
    r.read({"orders": 57})
    r.read({"orders": 57})
    killed = tracking_client_entry(app.server)["id"]
    assert app.server.admin().client_kill_filter(_id=killed) == 1
    write_elsewhere(app.url, KEY, {"orders": 60})  # made while the reader is cut off
    r.wait_for_value({"orders": 60}, "the write made while disconnected")
    wait_for(lambda: "t" in tracking_client_entry(app.server)["flags"], "tracking again")
    assert tracking_client_entry(app.server)["id"] != killed
    write_elsewhere(app.url, KEY, {"orders": 61})
    r.wait_for_value({"orders": 61}, "a write after the reconnect")


@pytest.fixture
def persistent_app(redis_factory, monkeypatch) -> app_user.AppServer:
    started = app_user.start(redis_factory, appendonly=True)
    monkeypatch.setenv("REDIS_URL", started.url)
    return started


def test_redis_restart(persistent_app):
    app = persistent_app
    r = Reader(app.url)
    try:
        r.read({"orders": 57})
        r.read({"orders": 57})
        app.server.restart()
        wait_for(
            lambda: app.server.admin().ping(), "the restarted server", ignore=(redis.RedisError,)
        )
        write_elsewhere(app.url, KEY, {"orders": 62})
        r.wait_for_value({"orders": 62}, "the write after the restart")
        write_elsewhere(app.url, KEY, {"orders": 63})
        r.wait_for_value({"orders": 63}, "an invalidation after the restart")
    finally:
        r.close()


def test_max_entries_is_honoured(app, reader):
    r = reader(max_entries=5)
    state = r.many(20)
    assert state["size"] <= 5
    assert state["evictions"] >= 1  # LRU made room (others left on invalidation pushes)
    assert state["dropped"] == 20  # invalidateFamily: SCAN and UNLINK through the store


def test_demo_runs(app):
    redis.Redis.from_url(app.url).unlink(KEY)
    out = run_ts("cache/client-side.ts", env={"REDIS_URL": app.url})
    assert out.returncode == 0, out.stderr
    assert "local hits=1 misses=2" in out.stdout
    assert "orders: 58" in out.stdout or "orders: 57" in out.stdout
    assert "local copies=" in out.stdout
    assert app.app_password not in out.stdout + out.stderr
