"""Client-side-cached report hits (snippets/cache/client_side.py) vs ``redis-benchmark``.

The issue's goal: a hit served from the process's own copy at >= 5x of
``redis-benchmark -t get -c 1`` on the same key and value. Both sides run one after the
other on the same server, as the app's ACL user; medians of ``repeats`` pairs.
``python -m tools.bench.client_cache`` prints the rows for each available server kind.
"""

from __future__ import annotations

import time

from snippets.cache.client_side import local_report_cache
from snippets.cache.report_cache import report_key
from snippets.config.settings import load_settings
from tools import harness
from tools.bench import cache
from tools.bench.app import app_server
from tools.bench.report import Figure, Row, median, rate

PARAMS = {"bench": "local-hit"}
GOAL = 5.0


def client_cache_hit_ops(url: str, payload_bytes: int = 1024, n: int = 20_000) -> dict:
    """get_or_load on an entry held locally: {"ops_per_s", "n", "payload_bytes", "key",
    "local_hits", "remote_reads"} (the last two prove the hits were local)."""
    report_cache = local_report_cache(load_settings({"REDIS_URL": url}))
    local = report_cache.store
    value = {"rows": "x" * max(0, payload_bytes - 60)}  # ~60 bytes of envelope
    for _ in range(min(1000, n)):  # the load, the first (remote) read, then warm-up hits
        report_cache.get_or_load("analytics-dashboard", PARAMS, lambda: value)
    key = report_key("analytics-dashboard", PARAMS)
    before = (local.stats.local_hits, local.stats.remote_reads)
    start = time.perf_counter()
    for _ in range(n):
        report_cache.get_or_load("analytics-dashboard", PARAMS, lambda: value)
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(n):  # the store alone: the local copy's bytes, no key building or JSON
        local.get(key)
    store_elapsed = time.perf_counter() - start
    stored = local.store.client.strlen(key)
    local.close()
    local.store.client.close()
    return {
        "ops_per_s": n / elapsed,
        "store_ops_per_s": n / store_elapsed,
        "n": n,
        "payload_bytes": stored,
        "key": key,
        "local_hits": local.stats.local_hits - before[0] - n,
        "remote_reads": local.stats.remote_reads - before[1],
    }


def client_cache_rows(
    kind: harness.Kind, repeats: int = 3, payload_bytes: int = 1024, n: int = 20_000
) -> list[Row]:
    server, url = app_server(kind)
    hits, stores, gets, local_hits, remote = [], [], [], 0, 0
    try:
        for _ in range(repeats):  # pairs, one side right after the other
            hit = client_cache_hit_ops(url, payload_bytes, n)
            hits.append(hit["ops_per_s"])
            stores.append(hit["store_ops_per_s"])
            local_hits += hit["local_hits"]
            remote += hit["remote_reads"]
            gets.append(cache.redis_benchmark_ops(url, "GET", hit["key"], n=n))
    finally:
        server.stop()
    ours, store, get = median(hits), median(stores), median(gets)
    area = (
        f"client-side-cached report hit vs redis-benchmark -t get -c 1, median of {repeats} "
        f"({hit['payload_bytes']:,} B value; {local_hits:,} local hits, {remote} re-reads; "
        f"goal >= {GOAL:.0f}x)"
    )
    return [
        Row(
            area,
            str(kind),
            f"local get_or_load {rate(ours)}",
            f"GET {rate(get)}" if get else "redis-benchmark missing",
            f"{ours / get:.2f}" if get else "—",
            figures={
                "ours": Figure("client-side-cached get_or_load", ours, "ops/s"),
                "baseline": Figure("redis-benchmark GET -c 1", get or None, "ops/s"),
            },
            ratio_value=ours / get if get else None,
        ),
        Row(
            f"client-side store read alone (bytes, no key building or JSON) vs the same GET, "
            f"median of {repeats}",
            str(kind),
            f"ClientSideStore.get {rate(store)}",
            f"GET {rate(get)}" if get else "redis-benchmark missing",
            f"{store / get:.2f}" if get else "—",
            figures={
                "ours": Figure("ClientSideStore.get", store, "ops/s"),
                "baseline": Figure("redis-benchmark GET -c 1", get or None, "ops/s"),
            },
            ratio_value=store / get if get else None,
        ),
    ]


if __name__ == "__main__":
    from tools.bench.report import table

    try:
        rows = [r for k in harness.discover_kinds().values() for r in client_cache_rows(k)]
    finally:
        harness.cleanup_all()
    print(table(rows))
