"""Query & response caching: a decorator that memoises database queries and API calls.

Shown on docs/usage/query-cache.md. The Python version of the seed's
``performanceOptimization.ts``. Run ``python -m snippets.cache.query_cache`` to replay 1,000
requests against a small SQLite database and count how many reach it.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from snippets.cache.report_cache import (
    KEY_VERSION,
    MAX_VALUE_BYTES,
    CacheStats,
    CacheStore,
    decode_json,
)

log = logging.getLogger("pharmacare.cache")
P = ParamSpec("P")
R = TypeVar("R")


# --8<-- [start:key]
def query_key(name: str, fn: Callable[..., Any], args: tuple, kwargs: dict) -> str:
    """pharmacare:cache:v1:query:<name>:<hash of the arguments>.

    Arguments are bound to the signature first, so stock(12), stock(pharmacy_id=12) and
    stock(12, in_stock_only=True) with that default all give one key. Arguments must be
    JSON (numbers, strings, lists, dicts, None): anything else raises TypeError rather than
    falling back to repr(), which may differ between processes.
    """
    bound = signature_of(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    blob = json.dumps(bound.arguments, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(blob.encode()).hexdigest()[:DIGEST_CHARS]
    return f"pharmacare:cache:{KEY_VERSION}:query:{name}:{digest}"


DIGEST_CHARS = 32


@functools.lru_cache(maxsize=1024)
def signature_of(fn: Callable[..., Any]) -> inspect.Signature:
    # Reading a signature costs more than a cache hit's GET: read it once per function.
    return inspect.signature(fn)


def query_prefix(name: str) -> str:
    """The key prefix of one function's results (names with glob characters are refused)."""
    if not name or any(c in "*?[]\\" or c.isspace() for c in name):
        raise ValueError(f"cache name {name!r}: use letters, digits, '-', '_', '.' or ':'")
    return f"pharmacare:cache:{KEY_VERSION}:query:{name}:"


# --8<-- [end:key]


# --8<-- [start:decorator]
class QueryCache:
    """``@query_cache.cached("name", ttl=…)`` memoises a function's JSON result."""

    def __init__(self, store: CacheStore) -> None:
        self.store = store

    def cached(self, name: str, ttl: timedelta) -> Callable[[Callable[P, R]], Callable[P, R]]:
        ttl_ms = int(ttl / timedelta(milliseconds=1))
        store, pattern = self.store, query_prefix(name) + "[0-9a-f]" * DIGEST_CHARS

        def decorate(fn: Callable[P, R]) -> Callable[P, R]:
            stats, lock = CacheStats(), threading.Lock()

            def count(field: str) -> None:
                with lock:
                    setattr(stats, field, getattr(stats, field) + 1)

            def call_and_store(key: str, *args: P.args, **kwargs: P.kwargs) -> R:
                count("loads")
                value = fn(*args, **kwargs)
                text = json.dumps(value, separators=(",", ":"), allow_nan=False)
                if json.loads(text) != value:  # {1: "a"} comes back {"1": "a"}, (1,) as [1]
                    raise TypeError(
                        f"{name}: the result does not survive JSON unchanged (int dict keys, "
                        "tuples, sets…): return str keys and lists, or do not cache it"
                    )
                data = text.encode()
                if len(data) <= MAX_VALUE_BYTES:
                    store.set(key, data, ttl_ms)
                else:
                    count("too_large")
                return value

            @functools.wraps(fn)
            def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
                key = query_key(name, fn, args, kwargs)
                data = store.get(key)
                if data is not None:
                    try:
                        value = decode_json(data)
                    except ValueError:  # unreadable (truncated, not UTF-8): a miss, reloaded
                        log.warning("%s: unreadable cache entry %s replaced", name, key)
                    else:
                        count("hits")
                        return value
                count("misses")
                return call_and_store(key, *args, **kwargs)

            def fresh(*args: P.args, **kwargs: P.kwargs) -> R:
                """Bypass: skip the cached copy, call the function, store the new result."""
                return call_and_store(query_key(name, fn, args, kwargs), *args, **kwargs)

            def invalidate(*args: P.args, **kwargs: P.kwargs) -> int:
                """Drop the cached result for these arguments."""
                return store.delete(query_key(name, fn, args, kwargs))

            def invalidate_all() -> int:
                """Drop every cached result of this function (SCAN, never KEYS)."""
                # exactly "<name>:<32 hex>": "a:*" would also match the keys of function "a:b"
                keys = list(store.scan(pattern))
                return store.delete(*keys) if keys else 0

            wrapper.fresh, wrapper.invalidate = fresh, invalidate  # type: ignore[attr-defined]
            wrapper.invalidate_all, wrapper.stats = invalidate_all, stats  # type: ignore[attr-defined]
            return wrapper

        return decorate


# --8<-- [end:decorator]


if __name__ == "__main__":
    import random
    import sqlite3

    from snippets.cache.without_redis import make_store

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE TABLE stock (pharmacy INTEGER, drug TEXT, quantity INTEGER)")
    db.executemany(
        "INSERT INTO stock VALUES (?, ?, ?)",
        [(p, d, (p * 7 + len(d)) % 50) for p in range(1, 21) for d in ("amoxicillin", "ibuprofen")],
    )
    db_calls = 0

    # --8<-- [start:usage]
    query_cache = QueryCache(make_store())

    @query_cache.cached("pharmacy-stock", ttl=timedelta(minutes=5))
    def pharmacy_stock(pharmacy_id: int, in_stock_only: bool = True) -> list[dict]:
        global db_calls
        db_calls += 1  # only for counting the queries in this demo
        rows = db.execute(
            "SELECT drug, quantity FROM stock WHERE pharmacy = ? AND quantity >= ?",
            (pharmacy_id, 1 if in_stock_only else 0),
        ).fetchall()
        return [{"drug": drug, "quantity": qty} for drug, qty in rows]

    # --8<-- [end:usage]

    pharmacy_stock.invalidate_all()  # start from an empty cache for a clean count
    rng = random.Random(7)
    requests = [rng.randint(1, 20) for _ in range(1000)]  # 1,000 requests, 20 pharmacies
    for pharmacy in requests:
        pharmacy_stock(pharmacy)
    stats = pharmacy_stock.stats
    print(
        f"requests: {len(requests)}, database queries: {db_calls}, "
        f"load removed: {1 - db_calls / len(requests):.1%}, hit ratio: {stats.hit_ratio:.1%}"
    )
    db.execute("UPDATE stock SET quantity = 0 WHERE pharmacy = 3")
    pharmacy_stock.invalidate(3)  # after a write: the next read goes to the database
    print("pharmacy 3 after invalidate:", pharmacy_stock(3), f"(database queries: {db_calls})")
