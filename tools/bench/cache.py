"""Benchmark helpers for the cache and presence figures (imported by ``make bench``).

Not a test module (pytest collects only ``test_*.py``): these measure, they never assert.
Each function takes a Redis URL and returns plain numbers in a dict, so ``make bench`` can
print ratios measured side by side in one run on one server:

- :func:`cache_hit_ops` — ReportCache.get_or_load on a cached entry of a given size, vs.
  :func:`redis_benchmark_ops` running ``GET`` on that very key with ``-c 1``;
- :func:`query_hit_ops` — a ``@QueryCache.cached`` function's hit, the same way;
- :func:`bare_get_ops` — a bare redis-py ``GET`` loop on that key (the client's own floor);
- :func:`cache_aside_speedup` — requests through the cache vs. a simulated 20 ms query;
- :func:`presence_heartbeat_ops` — Presence.beat() heartbeats/s, vs. ``redis-benchmark``
  pipelining ZADD (:func:`redis_benchmark_ops` with ``pipeline=``).

``python -m tools.bench.cache`` runs all of them once on each available server kind.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import time
from datetime import timedelta

from snippets.cache.query_cache import QueryCache, query_key
from snippets.cache.report_cache import RedisStore, ReportCache, report_key
from snippets.config.client import make_client
from snippets.config.settings import load_settings
from snippets.presence.presence import BATCH, Presence

BENCH_PARAMS = {"bench": "hit"}


def _client(url: str, purpose: str = "cache"):
    return make_client(purpose, load_settings({"REDIS_URL": url}))


def cache_hit_ops(url: str, payload_bytes: int = 1024, n: int = 20_000) -> dict:
    """Cache-hit read path (GET + JSON decode + freshness check) on one client, one thread.

    Returns {"ops_per_s", "n", "payload_bytes" (as stored), "key"}: pass "key" and
    "payload_bytes" to :func:`redis_benchmark_ops` for the baseline.
    """
    client = _client(url)
    cache = ReportCache(RedisStore(client))
    value = {"rows": "x" * max(0, payload_bytes - 60)}  # ~60 bytes of envelope
    cache.get_or_load("analytics-dashboard", BENCH_PARAMS, lambda: value)
    key = report_key("analytics-dashboard", BENCH_PARAMS)
    stored = client.strlen(key)
    for _ in range(min(1000, n)):  # warm up: connection, caches
        cache.get_or_load("analytics-dashboard", BENCH_PARAMS, lambda: value)
    start = time.perf_counter()
    for _ in range(n):
        cache.get_or_load("analytics-dashboard", BENCH_PARAMS, lambda: value)
    elapsed = time.perf_counter() - start
    client.close()
    return {"ops_per_s": n / elapsed, "n": n, "payload_bytes": stored, "key": key}


def query_hit_ops(url: str, payload_bytes: int = 1024, n: int = 20_000) -> dict:
    """Query-cache hit path (key from the bound arguments, GET, JSON decode, counter): the
    same figures as :func:`cache_hit_ops`."""
    client = _client(url)
    value = {"rows": "x" * max(0, payload_bytes - 12)}  # ~12 bytes of JSON around it

    @QueryCache(RedisStore(client)).cached("bench-stock", ttl=timedelta(minutes=5))
    def stock(pharmacy_id: int, in_stock_only: bool = True) -> dict:
        return value

    stock(12)
    key = query_key("bench-stock", stock.__wrapped__, (12,), {})  # type: ignore[attr-defined]
    stored = client.strlen(key)
    for _ in range(min(1000, n)):  # warm up
        stock(12)
    start = time.perf_counter()
    for _ in range(n):
        stock(12)
    elapsed = time.perf_counter() - start
    stock.invalidate_all()
    client.close()
    return {"ops_per_s": n / elapsed, "n": n, "payload_bytes": stored, "key": key}


def bare_get_ops(url: str, key: str, n: int = 20_000) -> float:
    """GETs per second of a bare loop on the app's client (``make_client``): what redis-py
    costs per command on this machine, the floor under any cache built on it. The key must
    exist (it is only read)."""
    client = _client(url)
    get = client.get
    for _ in range(min(1000, n)):
        get(key)
    start = time.perf_counter()
    for _ in range(n):
        get(key)
    elapsed = time.perf_counter() - start
    client.close()
    return n / elapsed


def cache_aside_speedup(
    url: str, query_ms: float = 20.0, requests: int = 200, distinct: int = 10
) -> dict:
    """Requests over ``distinct`` parameter sets, each backed by a ``query_ms`` query.

    Returns {"uncached_ms_per_request", "cached_ms_per_request", "speedup" (whole workload,
    first loads included), "hit_ms", "hit_speedup" (one query vs. one cache hit),
    "db_calls", "requests"}.
    """
    client = _client(url)
    cache = ReportCache(RedisStore(client))
    cache.invalidate_family("appointment-stats")
    calls = [0]

    def query() -> dict:
        calls[0] += 1
        time.sleep(query_ms / 1000)
        return {"booked": 42, "kept": 39, "rate": "0.93"}

    start = time.perf_counter()
    for _ in range(requests):
        query()
    uncached = (time.perf_counter() - start) / requests
    calls[0] = 0
    start = time.perf_counter()
    for i in range(requests):
        cache.get_or_load("appointment-stats", {"pharmacy": i % distinct}, query)
    cached = (time.perf_counter() - start) / requests
    hits = 2_000
    start = time.perf_counter()
    for i in range(hits):
        cache.get_or_load("appointment-stats", {"pharmacy": i % distinct}, query)
    hit = (time.perf_counter() - start) / hits
    cache.invalidate_family("appointment-stats")
    client.close()
    return {
        "uncached_ms_per_request": uncached * 1000,
        "cached_ms_per_request": cached * 1000,
        "speedup": uncached / cached,
        "hit_ms": hit * 1000,
        "hit_speedup": uncached / hit,
        "db_calls": calls[0],
        "requests": requests,
    }


def presence_heartbeat_ops(url: str, users: int = 10_000, rounds: int = 5) -> dict:
    """Heartbeats per second of one instance holding ``users`` local users (pipelined
    in batches of BATCH). Returns {"heartbeats_per_s", "zadd_members_per_s", "users",
    "rounds", "batch"}; each heartbeat is one member in each of two ZADDs."""
    client = _client(url, "presence")
    presence = Presence(client, instance="bench")
    presence.local.update({f"bench-user-{n}": None for n in range(users)})
    presence.beat()  # warm up and create the keys
    start = time.perf_counter()
    for _ in range(rounds):
        presence.beat()
    elapsed = time.perf_counter() - start
    with client.pipeline(transaction=False) as pipe:
        for key in ("pharmacare:presence:v1:online", "pharmacare:presence:v1:last-seen"):
            pipe.zremrangebyscore(key, "-inf", "+inf")
        pipe.execute()
    client.close()
    beats = users * rounds / elapsed
    return {
        "heartbeats_per_s": beats,
        "zadd_members_per_s": 2 * beats,
        "users": users,
        "rounds": rounds,
        "batch": BATCH,
    }


def redis_benchmark_ops(
    url: str, *command: str, n: int = 20_000, clients: int = 1, pipeline: int = 1
) -> float | None:
    """requests/s of ``redis-benchmark -u URL -c clients -P pipeline -n n COMMAND…``, or None
    if redis-benchmark (or valkey-benchmark) is not installed. Keys in the command must be
    ones the URL's user may touch (the app user: ``pharmacare:*``).

    Baselines: ``redis_benchmark_ops(url, "GET", hit["key"])`` for :func:`cache_hit_ops`;
    ``redis_benchmark_ops(url, "ZADD", "pharmacare:bench:z", "__rand_int__",
    "m:__rand_int__", pipeline=500, n=100_000)`` (with ``-r``) for presence.
    """
    binary = shutil.which("redis-benchmark") or shutil.which("valkey-benchmark")
    if binary is None:
        return None
    args = [binary, "-u", url, "-c", str(clients), "-n", str(n), "-P", str(pipeline)]
    args += ["-r", "10000", "--csv", *command]
    out = subprocess.run(args, capture_output=True, text=True, timeout=300, check=True)
    rows = list(csv.reader(io.StringIO(out.stdout)))
    return float(rows[-1][1])


def run_all(url: str, payload_bytes: int = 1024) -> dict:
    """Every figure and its redis-benchmark baseline on one server, side by side."""
    hit = cache_hit_ops(url, payload_bytes)
    get_baseline = redis_benchmark_ops(url, "GET", hit["key"])
    aside = cache_aside_speedup(url)
    beats = presence_heartbeat_ops(url)
    zadd_baseline = redis_benchmark_ops(
        url,
        "ZADD",
        "pharmacare:bench:z",
        "__rand_int__",
        "m:__rand_int__",
        pipeline=BATCH,
        n=100_000,
    )
    _client(url).unlink("pharmacare:bench:z", hit["key"])
    return {
        "cache_hit": hit,
        "redis_benchmark_get_c1": get_baseline,
        "cache_hit_vs_get": hit["ops_per_s"] / get_baseline if get_baseline else None,
        "cache_aside": aside,
        "presence": beats,
        "redis_benchmark_zadd_pipelined": zadd_baseline,
        "presence_vs_zadd": (
            beats["zadd_members_per_s"] / zadd_baseline if zadd_baseline else None
        ),
    }


if __name__ == "__main__":
    import json
    import platform

    from snippets.security.acl import APP_USERNAME, acl_rules
    from tools import harness

    for kind in harness.discover_kinds().values():
        app_password = harness.random_password()
        user = " ".join([APP_USERNAME, *acl_rules(app_password)])
        with harness.started(kind, acl_users=(user,)) as server:
            url = server.url(username=APP_USERNAME, password=app_password)
            figures = run_all(url)
        print(f"# {kind} on {platform.machine()} ({platform.node()}), as {APP_USERNAME}")
        print(json.dumps(figures, indent=2, default=str))
