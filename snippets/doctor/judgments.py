"""Doctor step 7: judgments on what INFO (and CONFIG, where allowed) report.

Pure functions of the INFO sections, so the thresholds are easy to read and to change.
Shown on docs/troubleshooting/latency.md and docs/troubleshooting/memory.md.
"""

from __future__ import annotations

from snippets.doctor.report import Result, found

# --8<-- [start:thresholds]
MEMORY_PRESSURE = 0.80  # warn above 80 % of maxmemory
CLIENTS_NEAR = 0.80  # warn when connected clients reach 80 % of maxclients
LATENCY_HIGH_MS = 50.0  # warn when the median PING round trip is slower than this
PINGS = 5  # PINGs per run; the median is judged, so one slow packet does not count
# --8<-- [end:thresholds]


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def memory_pressure(memory: dict) -> Result:
    used, limit = int(memory["used_memory"]), int(memory.get("maxmemory", 0))
    if not limit:
        return Result("memory.pressure", "pass", f"{_mb(used)} used, no maxmemory set")
    share = used / limit
    summary = f"{_mb(used)} of {_mb(limit)} ({share:.0%})"
    if share > MEMORY_PRESSURE:
        return found("memory.pressure", summary)
    return Result("memory.pressure", "pass", summary)


def memory_policy_queue(memory: dict, jobs_enabled: bool) -> Result:
    """Evicting policies suit a cache; a queue must not lose jobs: noeviction, or fail."""
    policy = memory.get("maxmemory_policy", "noeviction")
    if policy == "noeviction":
        return Result("memory.policy-queue", "pass", "maxmemory-policy noeviction")
    if jobs_enabled:
        return Result(
            "memory.policy-queue",
            "fail",
            f"maxmemory-policy {policy} with background jobs enabled: queued jobs can be "
            "evicted; use noeviction (or DISABLE_BACKGROUND_JOBS=true for a cache-only Redis)",
        )
    return Result("memory.policy-queue", "pass", f"{policy}: fine for a cache-only Redis")


def memory_evictions(stats: dict, memory: dict, keyspace: dict | None = None) -> Result:
    evicted = int(stats.get("evicted_keys", 0))
    policy = memory.get("maxmemory_policy", "?")
    if evicted:
        return found("memory.evictions", f"{evicted} keys since start, policy {policy}")
    stored = ""
    if keyspace is not None:  # INFO keyspace: {"db0": {"keys": 12, ...}, ...}
        stored = f"; {sum(int(db.get('keys', 0)) for db in keyspace.values())} keys stored"
    return Result("memory.evictions", "pass", f"no keys evicted since start{stored}")




def max_clients(clients: dict, stats: dict, limit: int) -> Result:
    """Near or at maxclients, or connections already refused for it since start."""
    connected = int(clients["connected_clients"])
    rejected = int(stats.get("rejected_connections", 0))
    summary = f"{connected} of {limit} connections in use"
    if rejected:
        summary += f"; {rejected} refused since start (max number of clients reached)"
    if connected >= limit:
        return found("server.maxclients", summary)
    if connected >= CLIENTS_NEAR * limit or rejected:
        return Result("server.maxclients", "warn", summary)
    return Result("server.maxclients", "pass", summary)




def persistence_off(persistence: dict, save: str | None, jobs_enabled: bool) -> Result:
    """``save`` is CONFIG GET save ("" = RDB off); None when CONFIG is blocked here."""
    if not jobs_enabled:
        return Result("persistence.off", "pass", "cache only (background jobs disabled)")
    if int(persistence.get("aof_enabled", 0)):
        return Result("persistence.off", "pass", "AOF is on")
    if save is None:
        return Result(
            "persistence.off",
            "skip",
            "AOF is off and CONFIG is blocked here, so RDB cannot be read: "
            "check persistence in the provider's dashboard",
        )
    if save.strip():
        return Result("persistence.off", "pass", f"RDB snapshots on (save {save})")
    return found("persistence.off", "AOF off and no RDB save points; queued jobs are lost")




# --8<-- [start:latency]
def latency(median_ms: float) -> Result:
    summary = f"median PING {median_ms:.1f} ms over {PINGS} round trips"
    if median_ms > LATENCY_HIGH_MS:
        return found("latency.high", f"{summary}; threshold {LATENCY_HIGH_MS:g} ms")
    return Result("latency.high", "pass", summary)


# --8<-- [end:latency]


if __name__ == "__main__":
    print(memory_pressure({"used_memory": 22_000_000, "maxmemory": 25_000_000}))
    print(memory_policy_queue({"maxmemory_policy": "allkeys-lru"}, jobs_enabled=True))
    print(latency(120.0))
