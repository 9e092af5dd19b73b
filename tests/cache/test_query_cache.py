"""snippets/cache/query_cache.py: the memoising decorator, on both kinds, as the ACL user."""

from __future__ import annotations

import os
import sqlite3
from datetime import timedelta

import pytest

from snippets.cache import query_cache as qc
from snippets.cache.report_cache import RedisStore
from snippets.cache.without_redis import MemoryStore, make_store
from snippets.config.client import make_client
from tests.demos import run_demo


def stock(pharmacy_id: int, in_stock_only: bool = True) -> list:
    return []


def test_key_is_stable_across_call_styles_and_versioned():
    key = qc.query_key("stock", stock, (12,), {})
    assert key.startswith("pharmacare:cache:v1:query:stock:")
    assert key == qc.query_key("stock", stock, (), {"pharmacy_id": 12})
    assert key == qc.query_key("stock", stock, (12, True), {})
    assert key == qc.query_key("stock", stock, (), {"in_stock_only": True, "pharmacy_id": 12})
    assert key != qc.query_key("stock", stock, (12, False), {})
    assert key != qc.query_key("stock", stock, ("12",), {})  # 12 and "12" are different
    assert key != qc.query_key("other", stock, (12,), {})


def test_unserialisable_arguments_are_refused():
    with pytest.raises(TypeError):
        qc.query_key("stock", stock, ({1, 2},), {})  # a set has no stable JSON form
    with pytest.raises(TypeError):
        qc.query_key("stock", stock, (1, 2, 3), {})  # not a valid call of stock()


@pytest.fixture
def database():
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE TABLE stock (pharmacy INTEGER, drug TEXT, quantity INTEGER)")
    db.executemany(
        "INSERT INTO stock VALUES (?, ?, ?)",
        [(p, d, p % 5) for p in range(1, 11) for d in ("amoxicillin", "ibuprofen")],
    )
    return db


def cached_stock(query_cache: qc.QueryCache, db: sqlite3.Connection, calls: list):
    @query_cache.cached("pharmacy-stock", ttl=timedelta(minutes=5))
    def pharmacy_stock(pharmacy_id: int, in_stock_only: bool = True) -> list[dict]:
        """Docstring kept by functools.wraps."""
        calls.append(pharmacy_id)
        rows = db.execute(
            "SELECT drug, quantity FROM stock WHERE pharmacy = ? AND quantity >= ?",
            (pharmacy_id, 1 if in_stock_only else 0),
        ).fetchall()
        return [{"drug": d, "quantity": q} for d, q in rows]

    return pharmacy_stock


def test_load_removed_is_counted_in_database_calls(app, database):
    calls: list[int] = []
    pharmacy_stock = cached_stock(qc.QueryCache(make_store()), database, calls)
    requests = [1 + (i * 7) % 10 for i in range(500)]  # 500 requests over 10 pharmacies
    results = [pharmacy_stock(p) for p in requests]
    assert len(calls) == 10  # one database query per distinct argument set
    assert results[0] == [
        {"drug": "amoxicillin", "quantity": 1},
        {"drug": "ibuprofen", "quantity": 1},
    ]
    assert pharmacy_stock.stats.hits == 490 and pharmacy_stock.stats.misses == 10
    assert pharmacy_stock.__doc__ == "Docstring kept by functools.wraps."
    key = qc.query_key("pharmacy-stock", pharmacy_stock.__wrapped__, (1,), {})
    ttl = app.server.admin().pttl(key)
    assert 0 < ttl <= 5 * 60 * 1000


def test_bypass_and_invalidation(app, database):
    calls: list[int] = []
    pharmacy_stock = cached_stock(qc.QueryCache(make_store()), database, calls)
    assert len(pharmacy_stock(2)) == 2
    database.execute("UPDATE stock SET quantity = 0 WHERE pharmacy = 2")
    assert len(pharmacy_stock(2)) == 2  # cached: the write is not seen yet
    assert pharmacy_stock.fresh(2) == []  # bypass reads the database and refreshes the cache
    assert pharmacy_stock(2) == [] and calls == [2, 2]
    database.execute("UPDATE stock SET quantity = 9 WHERE pharmacy = 2")
    assert pharmacy_stock.invalidate(pharmacy_id=2) == 1  # any call style names the entry
    assert len(pharmacy_stock(2)) == 2 and calls == [2, 2, 2]
    for p in range(1, 11):
        pharmacy_stock(p, in_stock_only=False)
    assert pharmacy_stock.invalidate_all() == 11
    assert pharmacy_stock.invalidate_all() == 0
    assert "keys" not in {n.removeprefix("cmdstat_") for n in app.server.info("commandstats")}


def test_none_is_cached_and_large_results_are_not(app):
    query_cache = qc.QueryCache(RedisStore(make_client("cache")))
    calls = []

    @query_cache.cached("maybe", ttl=timedelta(seconds=30))
    def maybe(n: int):
        calls.append(n)
        return None if n == 0 else "x" * 600_000

    assert maybe(0) is None and maybe(0) is None and calls == [0]
    assert len(maybe(1)) == 600_000 and len(maybe(1)) == 600_000 and calls == [0, 1, 1]
    assert maybe.stats.too_large == 2


def test_same_decorator_on_the_memory_store(database):
    calls: list[int] = []
    pharmacy_stock = cached_stock(qc.QueryCache(MemoryStore()), database, calls)
    for _ in range(3):
        pharmacy_stock(4)
    assert calls == [4]
    assert pharmacy_stock.invalidate_all() == 1


def test_demo_measures_the_load_removed(app, capture):
    out = run_demo("snippets.cache.query_cache", env={**os.environ, "REDIS_URL": app.url})
    assert out.returncode == 0, out.stderr
    assert "requests: 1000, database queries: 20, load removed: 98.0%" in out.stdout
    assert "pharmacy 3 after invalidate: [] (database queries: 21)" in out.stdout
    capture("query-cache-demo", out.stdout)


# -- issue 14: unreadable entries, prefix collisions, values that change in JSON --------------


@pytest.mark.parametrize("store_kind", ["redis", "memory"])
def test_unreadable_entry_is_a_miss(app, store_kind, caplog):
    store = RedisStore(make_client()) if store_kind == "redis" else MemoryStore()
    calls: list[int] = []

    @qc.QueryCache(store).cached("unreadable", ttl=timedelta(minutes=1))
    def load(n: int) -> dict:
        calls.append(n)
        return {"n": n}

    load.invalidate_all()
    for garbage in (b"{trunc", b"\xff\xfe not utf-8"):
        store.set(qc.query_key("unreadable", load, (1,), {}), garbage, 60_000)
        assert load(1) == {"n": 1}  # reloaded, not JSONDecodeError
        assert load(1) == {"n": 1}  # and now cached again
    assert calls == [1, 1] and "unreadable cache entry" in caplog.text


@pytest.mark.parametrize("store_kind", ["redis", "memory"])
def test_invalidate_all_touches_only_its_own_function(app, store_kind):
    store = RedisStore(make_client()) if store_kind == "redis" else MemoryStore()
    cache = qc.QueryCache(store)

    @cache.cached("a", ttl=timedelta(minutes=1))
    def a(n: int) -> int:
        return n

    @cache.cached("a:b", ttl=timedelta(minutes=1))
    def a_b(n: int) -> int:
        return n

    a_b.invalidate_all()
    a(1), a(2), a_b(1)
    assert a.invalidate_all() == 2
    a_b(1)
    assert a_b.stats.hits == 1  # still cached after invalidate_all of "a"
    with pytest.raises(ValueError, match="cache name"):
        cache.cached("stock*", ttl=timedelta(minutes=1))


def test_values_round_trip_or_are_refused():
    cache = qc.QueryCache(MemoryStore())

    def cached(value):
        @cache.cached(f"value-{id(value)}", ttl=timedelta(minutes=1))
        def load() -> object:
            return value

        return load

    ok = {"ids": [1, 2], "nested": {"x": None, "y": 1.5}, "s": "é\u2028"}
    load = cached(ok)
    assert load() == ok and load() == ok and load.stats.hits == 1
    for changed in ({1: "a"}, (1, 2), {"t": (1,)}):
        with pytest.raises(TypeError, match="does not survive JSON"):
            cached(changed)()
