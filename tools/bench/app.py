"""The app's figures: report and query cache hits and presence vs redis-benchmark, BullMQ
vs a plain list."""

from __future__ import annotations

from tools import harness
from tools.bench import cache, queues
from tools.bench.report import Figure, Row, median, rate, ratio_of

ZADD_KEY = "pharmacare:bench:z"


def app_server(kind: harness.Kind):
    """A server with the app's ACL user (as production runs) and its URL for that user."""
    from snippets.security.acl import APP_USERNAME, acl_rules

    password = harness.random_password()
    user = " ".join([APP_USERNAME, *acl_rules(password)])
    server = harness.Server(kind, acl_users=(user,)).start()
    return server, server.url(username=APP_USERNAME, password=password)


def hit_row(
    area: str, kind: str, label: str, ours: list, gets: list, bare: list, size: int, repeats: int
) -> Row:
    """A cache-hit row: ours vs redis-benchmark GET (-c 1), with the bare client GET loop
    of the same language as a third column (the floor the client itself sets)."""
    o, g, b = median(ours), median(gets), median(bare)
    ratio, floor = ratio_of(o, g), ratio_of(b, g)
    return Row(
        f"{area} vs redis-benchmark -t get -c 1, median of {repeats} ({size:,} B value)",
        kind,
        f"{label} {rate(o)} (bare GET {rate(b)})",
        f"GET {rate(g)}" if g else "redis-benchmark missing",
        f"{ratio:.2f} (bare GET {floor:.2f})" if ratio and floor else "—",
        figures={
            "ours": Figure(label, o, "ops/s"),
            "baseline": Figure("redis-benchmark GET -c 1", g, "ops/s"),
            "bare": Figure("bare client GET loop", b, "ops/s"),
        },
        ratio_value=ratio,
        extra={
            "payload_bytes": size,
            "bare_ratio": floor,
            "runs": {"ours": ours, "baseline": gets, "bare": bare},
        },
    )


def cache_rows(kind: harness.Kind, repeats: int = 3, payload_bytes: int = 1024) -> list[Row]:
    aside_area = "report requests through the cache vs a 20 ms query"
    server, url = app_server(kind)
    report = {"ours": [], "gets": [], "bare": []}
    query = {"ours": [], "gets": [], "bare": []}
    try:
        for _ in range(repeats):  # one side right after the other; medians below
            for figures, measure in ((report, cache.cache_hit_ops), (query, cache.query_hit_ops)):
                hit = measure(url, payload_bytes)
                figures["ours"].append(hit["ops_per_s"])
                figures["bare"].append(cache.bare_get_ops(url, hit["key"]))
                figures["gets"].append(cache.redis_benchmark_ops(url, "GET", hit["key"]))
                figures["size"] = hit["payload_bytes"]
        aside = cache.cache_aside_speedup(url)
    finally:
        server.stop()
    k = str(kind)
    return [
        hit_row("report-cache hit (Python)", k, "get_or_load", report["ours"], report["gets"],
                report["bare"], report["size"], repeats),
        hit_row("query-cache hit (Python)", k, "@cached", query["ours"], query["gets"],
                query["bare"], query["size"], repeats),
        Row(
            f"{aside_area} ({aside['requests']} requests, {aside['db_calls']} queries run)",
            k,
            f"cached {aside['cached_ms_per_request']:.2f} ms/request",
            f"uncached {aside['uncached_ms_per_request']:.2f} ms/request",
            f"{aside['speedup']:.1f}× faster",
            figures={
                "ours": Figure("cached", aside["cached_ms_per_request"], "ms/request"),
                "baseline": Figure("uncached", aside["uncached_ms_per_request"], "ms/request"),
            },
            ratio_value=aside["speedup"],
            extra={"db_calls": aside["db_calls"], "requests": aside["requests"]},
        ),
    ]  # fmt: skip


def presence_rows(kind: harness.Kind, repeats: int = 3) -> list[Row]:
    area = f"presence heartbeat batch vs redis-benchmark ZADD, median of {repeats}, -P"
    server, url = app_server(kind)
    beats_runs, zadds = [], []
    try:
        for _ in range(repeats):  # pairs, one side right after the other; medians below
            beats = cache.presence_heartbeat_ops(url)
            beats_runs.append(beats["zadd_members_per_s"])
            zadds.append(
                cache.redis_benchmark_ops(
                    url, "ZADD", ZADD_KEY, "__rand_int__", "m:__rand_int__",
                    pipeline=beats["batch"], n=100_000,
                )
            )  # fmt: skip
    finally:
        server.stop()
    ours, zadd = median(beats_runs), median(zadds)
    ratio = ratio_of(ours, zadd)
    return [
        Row(
            f"{area} {beats['batch']} ({beats['users']:,} users)",
            str(kind),
            f"beat() {rate(ours, 'members/s')}",
            f"ZADD {rate(zadd, 'members/s')}" if zadd else "redis-benchmark missing",
            f"{ratio:.2f}" if ratio else "—",
            figures={
                "ours": Figure("Presence.beat()", ours, "members/s"),
                "baseline": Figure(f"redis-benchmark ZADD -P {beats['batch']}", zadd, "members/s"),
            },
            ratio_value=ratio,
            extra={"users": beats["users"], "batch": beats["batch"]},
        )
    ]


def queue_rows(kind: harness.Kind, jobs: int = 2000) -> list[Row]:
    area = f"BullMQ worker vs LPUSH/BRPOP loop ({jobs:,} jobs)"
    with harness.started(kind, maxmemory_policy="noeviction") as server:
        result = queues.measure_queue_throughput(server.url(), jobs)
    return [
        Row(
            area,
            str(kind),
            f"BullMQ {rate(result['bullmq_jobs_per_s'], 'jobs/s')}",
            f"list {rate(result['list_jobs_per_s'], 'jobs/s')}",
            f"{result['ratio']:.2f}",
            figures={
                "ours": Figure("bullmq Worker (Python)", result["bullmq_jobs_per_s"], "jobs/s"),
                "baseline": Figure("LPUSH/BRPOP loop", result["list_jobs_per_s"], "jobs/s"),
            },
            ratio_value=result["ratio"],
            extra={"jobs": jobs},
        )
    ]
