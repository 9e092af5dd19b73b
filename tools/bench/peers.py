"""The report cache side by side with dogpile.cache (its Redis backend), same workload.

Three things, measured in one run on one server (a plain one: both sides connect alike):

- hits/s on one cached ~1 KB report (ours: ``ReportCache.get_or_load``; dogpile:
  ``region.get_or_create``), and the hit ratio of one request sequence over 100 reports;
- a stampede: 50 concurrent misses on one key, spread over 5 "app instances" (separate
  cache objects and connection pools, as separate processes would have), with a 200 ms
  loader — how many times the loader runs. dogpile twice: its default (a thread mutex)
  and ``distributed_lock=True`` (a Redis lock);
- invalidation seen by another instance: ours ``invalidate()`` (UNLINK); dogpile's
  ``region.invalidate()`` (a timestamp kept in the region object) and ``region.delete()``.

The same for the TypeScript cache vs cache-manager 7 on @keyv/redis (the usual Node
choice), through ``tools/bench/peers_node.mjs``, when node is installed.

``python -m tools.bench.peers`` prints the rows for each available server kind.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

from dogpile.cache import make_region

from snippets.cache.report_cache import RedisStore, ReportCache
from snippets.config.client import make_client
from snippets.config.settings import load_settings
from tools import harness
from tools.bench.report import Figure, Row, median, rate
from tools.paths import ROOT

REPORT = "analytics-dashboard"
PEER_PREFIX = "pharmacare:peer:"  # dogpile's keys, beside ours
INSTANCES, THREADS_EACH = 5, 10  # 50 concurrent misses
LOAD_SECONDS = 0.2


def ours(url: str) -> ReportCache:
    return ReportCache(RedisStore(make_client("cache", load_settings({"REDIS_URL": url}))))


def dogpile_region(url: str, distributed: bool = False):
    """A region as dogpile's docs configure it for Redis: pickled values, Redis TTL."""
    return make_region(key_mangler=lambda key: PEER_PREFIX + key).configure(
        "dogpile.cache.redis",
        expiration_time=300,
        arguments={
            "url": url,
            "redis_expiration_time": 420,
            "distributed_lock": distributed,
            "thread_local_lock": False,
            "lock_timeout": 10,
            "lock_sleep": 0.025,  # our waiters poll every 25 ms too
        },
    )


def _ops(call: Callable[[], Any], n: int) -> float:
    for _ in range(min(1000, n)):
        call()
    start = time.perf_counter()
    for _ in range(n):
        call()
    return n / (time.perf_counter() - start)


def hit_ops(url: str, n: int = 20_000) -> dict:
    value = {"rows": "x" * 960}
    cache, region = ours(url), dogpile_region(url)
    return {
        "ours": _ops(lambda: cache.get_or_load(REPORT, {"peer": "hit"}, lambda: value), n),
        "dogpile": _ops(lambda: region.get_or_create(f"{REPORT}:peer=hit", lambda: value), n),
    }


def hit_ratios(url: str, requests: int = 2_000, reports: int = 100) -> dict:
    """The same random request sequence through both: loads and hit ratio of each."""
    rng = random.Random(17)  # the same sequence every run
    sequence = [rng.randrange(reports) for _ in range(requests)]
    loads = {"ours": 0, "dogpile": 0}

    def loader(side: str) -> Callable[[], dict]:
        def load() -> dict:
            loads[side] += 1
            return {"n": 1}

        return load

    cache, region = ours(url), dogpile_region(url)
    cache.invalidate_family("monthly-revenue")
    for r in sequence:
        cache.get_or_load("monthly-revenue", {"peer": r}, loader("ours"))
        region.get_or_create(f"monthly-revenue:peer={r}", loader("dogpile"))
    return {side: 1 - count / requests for side, count in loads.items()} | {"loads": loads}


def stampede(get: Callable[[int], Callable[[Callable[[], dict]], dict]]) -> int:
    """50 concurrent misses over INSTANCES instances; returns the loader's calls.
    ``get(instance)`` returns that instance's ``read(loader)``."""
    calls, lock = [0], threading.Lock()
    barrier = threading.Barrier(INSTANCES * THREADS_EACH)
    errors: list[BaseException] = []

    def loader() -> dict:
        with lock:
            calls[0] += 1
        time.sleep(LOAD_SECONDS)  # the database query
        return {"booked": 42}

    def worker(read) -> None:
        try:
            barrier.wait(timeout=60)
            read(loader)
        except BaseException as error:  # reported below
            errors.append(error)

    readers = [get(i) for i in range(INSTANCES)]
    threads = [
        threading.Thread(target=worker, args=(read,))
        for read in readers
        for _ in range(THREADS_EACH)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if errors:
        raise errors[0]
    return calls[0]


def stampede_loads(url: str, run: int = 0) -> dict:
    params = {"peer": f"stampede-{run}-{random.random()}"}
    key = f"appointment-stats:stampede-{run}-{random.random()}"

    def ours_reader(_):
        cache = ours(url)
        return lambda loader: cache.get_or_load("appointment-stats", params, loader)

    def dogpile_reader(distributed: bool, suffix: str):
        def make(_):
            region = dogpile_region(url, distributed)
            return lambda loader: region.get_or_create(key + suffix, loader)

        return make

    return {
        "ours": stampede(ours_reader),
        "dogpile": stampede(dogpile_reader(False, ":default")),
        "dogpile_distributed": stampede(dogpile_reader(True, ":distributed")),
    }


def invalidation(url: str) -> dict:
    """Instance A caches a report; instance B invalidates it; does A reload?"""
    loads = {"ours": 0, "region.invalidate": 0, "region.delete": 0}

    def loader(side: str):
        def load() -> dict:
            loads[side] += 1
            return {"v": loads[side]}

        return load

    a, b = ours(url), ours(url)
    a.invalidate("daily-sales", {"peer": "inv"})
    a.get_or_load("daily-sales", {"peer": "inv"}, loader("ours"))
    b.invalidate("daily-sales", {"peer": "inv"})
    a.get_or_load("daily-sales", {"peer": "inv"}, loader("ours"))
    for side, act in (
        ("region.invalidate", lambda region, key: region.invalidate()),
        ("region.delete", lambda region, key: region.delete(key)),
    ):
        key = f"daily-sales:peer=inv-{side}-{random.random()}"
        region_a, region_b = dogpile_region(url), dogpile_region(url)
        region_a.get_or_create(key, loader(side))
        act(region_b, key)
        region_a.get_or_create(key, loader(side))
    return {side: count == 2 for side, count in loads.items()}


NODE_DRIVER = ROOT / "tools" / "bench" / "peers_node.mjs"


def node_peer(url: str, n: int = 20_000) -> dict | None:
    """The TypeScript cache vs cache-manager + @keyv/redis (tools/bench/peers_node.mjs), or
    None without node. {"ours_hits", "peer_hits", "ours_stampede", "peer_stampede",
    "ours_reloads", "peer_reloads"}."""
    node = shutil.which("node")
    if node is None or not (ROOT / "snippets" / "node_modules").is_dir():
        return None
    out = subprocess.run(
        [node, str(NODE_DRIVER), str(n)],
        env={**os.environ, "REDIS_URL": url},
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def npm_version(package: str) -> str:
    meta = ROOT / "snippets" / "node_modules" / package / "package.json"
    return json.loads(meta.read_text())["version"]


def node_rows(kind: harness.Kind, runs: list[dict]) -> list[Row]:
    peer = (
        f"cache-manager {npm_version('cache-manager')} + @keyv/redis {npm_version('@keyv/redis')}"
    )
    ours_rate = median([r["ours_hits"] for r in runs])
    peer_rate = median([r["peer_hits"] for r in runs])
    ours_loads = "/".join(str(r["ours_stampede"]) for r in runs)
    peer_loads = "/".join(str(r["peer_stampede"]) for r in runs)
    yes = {True: "reloads", False: "serves the old value"}
    return [
        Row(
            f"TypeScript report hit (~1 KB) vs {peer} wrap(), median of {len(runs)}",
            str(kind),
            f"getOrLoad {rate(ours_rate)}",
            f"wrap {rate(peer_rate)}",
            f"{ours_rate / peer_rate:.2f}",
            figures={
                "ours": Figure("RedisCacheService getOrLoad", ours_rate, "ops/s"),
                "baseline": Figure(f"{peer} wrap()", peer_rate, "ops/s"),
            },
            ratio_value=ours_rate / peer_rate,
        ),
        Row(
            f"TypeScript loader calls, 50 concurrent misses on one key from {INSTANCES} "
            f"instances (each run) vs {peer} wrap()",
            str(kind),
            ours_loads,
            peer_loads,
            f"{median([r['ours_stampede'] for r in runs]):.0f} : "
            f"{median([r['peer_stampede'] for r in runs]):.0f}",
            figures={
                "ours": Figure("getOrLoad", median([r["ours_stampede"] for r in runs]), "loads"),
                "baseline": Figure(
                    f"{peer} wrap()", median([r["peer_stampede"] for r in runs]), "loads"
                ),
            },
        ),
        Row(
            f"TypeScript: another instance invalidates: invalidate() vs {peer} del(key)",
            str(kind),
            yes[runs[-1]["ours_reloads"]],
            yes[runs[-1]["peer_reloads"]],
            "—",
        ),
    ]


def peer_rows(kind: harness.Kind, repeats: int = 3, n: int = 20_000) -> list[Row]:
    from importlib.metadata import version

    peer = f"dogpile.cache {version('dogpile.cache')}"
    server = harness.Server(kind).start()
    url = server.url()
    ours_hits, peer_hits, stampedes, node_runs = [], [], [], []
    try:
        for run in range(repeats):
            hits = hit_ops(url, n)
            ours_hits.append(hits["ours"])
            peer_hits.append(hits["dogpile"])
            stampedes.append(stampede_loads(url, run))
            node_runs.append(node_peer(url, n))
        ratios = hit_ratios(url)
        seen = invalidation(url)
    finally:
        server.stop()
    ours_rate, peer_rate = median(ours_hits), median(peer_hits)

    def loads(side: str) -> str:
        return "/".join(str(s[side]) for s in stampedes)

    def stampede_row(area: str, side: str) -> Row:
        ours, theirs = (median([s[k] for s in stampedes]) for k in ("ours", side))
        return Row(
            area,
            str(kind),
            loads("ours"),
            loads(side),
            f"{ours:.0f} : {theirs:.0f}",
            figures={
                "ours": Figure("get_or_load", ours, "loads"),
                "baseline": Figure(side, theirs, "loads"),
            },
        )

    yes = {True: "reloads", False: "serves the old value"}
    rows = [
        Row(
            f"report hit (~1 KB) vs {peer} redis backend, median of {repeats}",
            str(kind),
            f"get_or_load {rate(ours_rate)}",
            f"get_or_create {rate(peer_rate)}",
            f"{ours_rate / peer_rate:.2f}",
            figures={
                "ours": Figure("ReportCache get_or_load", ours_rate, "ops/s"),
                "baseline": Figure(f"{peer} get_or_create", peer_rate, "ops/s"),
            },
            ratio_value=ours_rate / peer_rate,
        ),
        Row(
            f"hit ratio, 2,000 requests over 100 reports vs {peer}",
            str(kind),
            f"{ratios['ours']:.3f} ({ratios['loads']['ours']} loads)",
            f"{ratios['dogpile']:.3f} ({ratios['loads']['dogpile']} loads)",
            f"{ratios['ours'] / ratios['dogpile']:.2f}",
            figures={
                "ours": Figure("ReportCache hit ratio", ratios["ours"], "hits/requests"),
                "baseline": Figure(f"{peer} hit ratio", ratios["dogpile"], "hits/requests"),
            },
            ratio_value=ratios["ours"] / ratios["dogpile"],
        ),
        stampede_row(
            f"loader calls, 50 concurrent misses on one key from {INSTANCES} instances "
            f"(each run) vs {peer} default (thread mutex)",
            "dogpile",
        ),
        stampede_row(
            f"loader calls, same stampede vs {peer} distributed_lock=True", "dogpile_distributed"
        ),
        Row(
            f"another instance invalidates: ours invalidate() vs {peer} region.invalidate()",
            str(kind),
            yes[seen["ours"]],
            yes[seen["region.invalidate"]],
            "—",
        ),
        Row(
            f"another instance invalidates: ours invalidate() vs {peer} region.delete(key)",
            str(kind),
            yes[seen["ours"]],
            yes[seen["region.delete"]],
            "—",
        ),
    ]
    if None not in node_runs:
        rows += node_rows(kind, node_runs)
    return rows


if __name__ == "__main__":
    from tools.bench.report import table

    try:
        rows = [r for k in harness.discover_kinds().values() for r in peer_rows(k)]
    finally:
        harness.cleanup_all()
    print(table(rows))
