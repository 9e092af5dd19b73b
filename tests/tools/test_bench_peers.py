"""tools/bench/client_cache.py and tools/bench/peers.py: small real runs on each kind.

Structure and "both sides measured" only: the figures come from ``make bench``, and nothing
here asserts a timing or which side is faster.
"""

from __future__ import annotations

import re
import shutil

import pytest

from tools.bench import client_cache, peers
from tools.bench.report import Row

RATE = re.compile(r"([\d,]+) ops/s")


def rate_of(cell: str) -> float:
    match = RATE.search(cell)
    assert match, cell
    return float(match.group(1).replace(",", ""))


def test_client_cache_rows_measure_both_sides(server_kind):
    rows = client_cache.client_cache_rows(server_kind, repeats=1, n=500)
    assert len(rows) == 2 and all(isinstance(r, Row) for r in rows)
    hit, store = rows
    assert hit.kind == str(server_kind)
    assert "local hits" in hit.area and "goal >= 5x" in hit.area
    assert rate_of(hit.ours) > 0 and rate_of(store.ours) > 0
    if hit.baseline != "redis-benchmark missing":
        assert rate_of(hit.baseline) > 0
        assert float(hit.ratio) > 0
    # every timed read was a local hit: none went to Redis
    local = re.search(r"([\d,]+) local hits, (\d+) re-reads", hit.area)
    assert local and int(local.group(1).replace(",", "")) > 0


def test_client_cache_hit_ops_are_local(redis_server):
    figures = client_cache.client_cache_hit_ops(redis_server.url(), n=300)
    assert figures["ops_per_s"] > 0 and figures["store_ops_per_s"] > 0
    assert figures["payload_bytes"] > 1000
    assert figures["local_hits"] > 0
    assert figures["local_hits"] + figures["remote_reads"] >= 300


@pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")
def test_peer_rows_measure_both_sides(server_kind):
    rows = peers.peer_rows(server_kind, repeats=1, n=300)
    node_rows = rows[6:]
    rows = rows[:6]
    assert [r.area.split(",")[0].split(" vs ")[0] for r in rows] == [
        "report hit (~1 KB)",
        "hit ratio",
        "loader calls",
        "loader calls",
        "another instance invalidates: ours invalidate()",
        "another instance invalidates: ours invalidate()",
    ]
    hits, ratio, default, distributed, invalidate, delete = rows
    assert rate_of(hits.ours) > 0 and rate_of(hits.baseline) > 0
    assert "dogpile.cache 1.5" in hits.area
    # the same request sequence: both load each distinct report once
    assert ratio.ours == ratio.baseline and "(100 loads)" in ratio.ours
    # Loads per stampede (one figure per run). Ours loads once unless a waiter's bounded wait
    # ends first (a loaded machine); the one-load property itself is tested in tests/cache.
    for row in (default, distributed):
        for loads in (*row.ours.split("/"), *row.baseline.split("/")):
            assert 1 <= int(loads) <= peers.INSTANCES, row
    assert invalidate.ours == delete.ours == "reloads"
    assert delete.baseline == "reloads"
    # dogpile's region.invalidate() is a timestamp in that region object: other instances
    # (other processes) keep serving what Redis holds
    assert invalidate.baseline == "serves the old value"
    # the TypeScript cache vs cache-manager + @keyv/redis, when node is here
    if shutil.which("node") is None:  # pragma: no cover - REQUIRE=node makes it an error
        assert not node_rows
        return
    assert len(node_rows) == 3
    ts_hits, ts_stampede, ts_invalidate = node_rows
    assert "cache-manager 7." in ts_hits.area and "@keyv/redis 5." in ts_hits.area
    assert rate_of(ts_hits.ours) > 0 and rate_of(ts_hits.baseline) > 0
    assert ts_stampede.ours == "1" and int(ts_stampede.baseline) >= 1
    assert ts_invalidate.ours == ts_invalidate.baseline == "reloads"  # both delete in Redis
