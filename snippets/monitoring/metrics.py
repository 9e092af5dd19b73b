"""Monitoring: read the key metrics from INFO, compute ratios and evaluate alert rules.

Shown on docs/operations/monitoring.md.
Run ``python -m snippets.monitoring.metrics [queue|cache]`` to print the metrics of the
Redis in your environment (REDIS_URL or Method 2) and the alerts that fire for that role.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass

import redis

from snippets.config.client import make_client


# --8<-- [start:metrics]
@dataclass(frozen=True)
class Metrics:
    """One sample. None means the server did not say (command blocked, or no limit set).

    Counters (rejected_connections, evicted_keys, keyspace_hits/misses) count since the
    server started or since CONFIG RESETSTAT; compare two samples to see what is new.
    """

    connected_clients: int | None
    maxclients: int | None
    rejected_connections: int | None  # refused with "max number of clients reached"
    used_memory: int | None  # bytes
    maxmemory: int | None  # bytes; 0 means "no limit"
    maxmemory_policy: str | None
    evicted_keys: int | None
    keyspace_hits: int | None
    keyspace_misses: int | None
    ping_ms: float  # median PING round trip from this machine
    slowlog_len: int | None  # commands slower than slowlog-log-slower-than (10 ms default)
    unavailable: tuple[str, ...] = ()  # what the server refused to tell us, and why

    @property
    def memory_ratio(self) -> float | None:
        if not self.maxmemory or self.used_memory is None:
            return None  # no maxmemory: the platform's RAM is the limit, watch it there
        return self.used_memory / self.maxmemory

    @property
    def clients_ratio(self) -> float | None:
        if not self.maxclients or self.connected_clients is None:
            return None
        return self.connected_clients / self.maxclients

    @property
    def hit_ratio(self) -> float | None:
        if self.keyspace_hits is None or self.keyspace_misses is None:
            return None
        lookups = self.keyspace_hits + self.keyspace_misses
        return self.keyspace_hits / lookups if lookups else None

    @property
    def can_evict(self) -> bool | None:
        if self.maxmemory_policy is None:
            return None
        return self.maxmemory_policy != "noeviction"


# --8<-- [end:metrics]


# --8<-- [start:read-metrics]
PINGS = 5  # round trips per sample; the median ignores one slow outlier


def _info(client: redis.Redis, section: str, unavailable: list[str]) -> dict:
    try:
        return client.info(section)
    except redis.ResponseError as error:  # managed services block some commands or sections
        unavailable.append(f"INFO {section}: {error}")
        return {}


def read_metrics(client: redis.Redis, pings: int = PINGS) -> Metrics:
    """Sample the key metrics. Blocked commands are reported, never fatal."""
    unavailable: list[str] = []
    info: dict = {}
    for section in ("clients", "memory", "stats"):
        info.update(_info(client, section, unavailable))

    round_trips = []
    for _ in range(pings):
        start = time.perf_counter()
        client.ping()
        round_trips.append((time.perf_counter() - start) * 1000)

    try:
        slowlog_len = client.slowlog_len()
    except redis.ResponseError as error:
        unavailable.append(f"SLOWLOG: {error}")
        slowlog_len = None

    return Metrics(
        connected_clients=info.get("connected_clients"),
        maxclients=info.get("maxclients"),  # in INFO since Redis 7 / Valkey
        rejected_connections=info.get("rejected_connections"),
        used_memory=info.get("used_memory"),
        maxmemory=info.get("maxmemory"),
        maxmemory_policy=info.get("maxmemory_policy"),
        evicted_keys=info.get("evicted_keys"),
        keyspace_hits=info.get("keyspace_hits"),
        keyspace_misses=info.get("keyspace_misses"),
        ping_ms=statistics.median(round_trips),
        slowlog_len=slowlog_len,
        unavailable=tuple(unavailable),
    )


# --8<-- [end:read-metrics]


# --8<-- [start:alert-rules]
@dataclass(frozen=True)
class AlertRule:
    name: str
    metric: str  # a Metrics field or property
    above: float  # the rule fires when the value is greater than this
    roles: tuple[str, ...]  # instance roles it applies to: "queue" (BullMQ), "cache"
    counter: bool = False  # a since-start counter: judge its increase since the last sample
    check: str | None = None  # the doctor's check id for the same problem


LATENCY_MS = 10.0  # median PING from the app's host; same-region private networks stay ~1 ms
CACHE_EVICTIONS_PER_SAMPLE = 100  # sampled every minute: a cache that keeps evicting is full

ALERT_RULES = (
    AlertRule(
        "memory-above-80%", "memory_ratio", 0.80, ("queue", "cache"), check="memory.pressure"
    ),
    AlertRule("queue-evicting-policy", "can_evict", 0, ("queue",), check="memory.policy-queue"),
    AlertRule("queue-evictions", "evicted_keys", 0, ("queue",), True, "memory.evictions"),
    AlertRule(
        "cache-evictions",
        "evicted_keys",
        CACHE_EVICTIONS_PER_SAMPLE,
        ("cache",),
        True,
        "memory.evictions",
    ),
    AlertRule("latency-high", "ping_ms", LATENCY_MS, ("queue", "cache"), check="latency.high"),
    AlertRule(
        "clients-above-80%", "clients_ratio", 0.80, ("queue", "cache"), check="server.maxclients"
    ),
    AlertRule(
        "rejected-connections",
        "rejected_connections",
        0,
        ("queue", "cache"),
        True,
        "server.maxclients",
    ),
)
# --8<-- [end:alert-rules]


# --8<-- [start:evaluate]
@dataclass(frozen=True)
class Alert:
    rule: str
    metric: str
    value: float
    above: float
    check: str | None


def evaluate(
    now: Metrics, role: str, previous: Metrics | None = None, rules=ALERT_RULES
) -> list[Alert]:
    """The rules that fire for an instance of this role ("queue" or "cache")."""
    alerts = []
    for rule in rules:
        value = getattr(now, rule.metric)
        if role not in rule.roles or value is None:
            continue  # not this role's rule, or the server did not report the metric
        before = getattr(previous, rule.metric, None) if rule.counter else None
        if before is not None and value >= before:
            value -= before  # what happened since the last sample (a restart resets counters)
        if value > rule.above:
            alerts.append(Alert(rule.name, rule.metric, float(value), rule.above, rule.check))
    return alerts


# --8<-- [end:evaluate]


def report(metrics: Metrics, alerts: list[Alert]) -> str:
    """A short human report: metrics, ratios, what was unavailable, and the alerts."""

    def pct(ratio: float | None) -> str:
        return "n/a" if ratio is None else f"{ratio:.0%}"

    def num(value: object) -> str:
        return "n/a" if value is None else str(value)

    def mb(size: int | None) -> str:
        return "n/a" if size is None else f"{size / 1024 / 1024:.1f} MB"

    m = metrics
    limit = "no limit" if m.maxmemory == 0 else mb(m.maxmemory)
    lines = [
        f"connections   {num(m.connected_clients)} of {num(m.maxclients)} "
        f"({pct(m.clients_ratio)}), rejected since start: {num(m.rejected_connections)}",
        f"memory        {mb(m.used_memory)} of {limit} ({pct(m.memory_ratio)}), "
        f"policy {num(m.maxmemory_policy)}, evicted since start: {num(m.evicted_keys)}",
        f"latency       PING median {m.ping_ms:.1f} ms, slow log entries: {num(m.slowlog_len)}",
        f"cache         hit ratio {pct(m.hit_ratio)} "
        f"({num(m.keyspace_hits)} hits, {num(m.keyspace_misses)} misses)",
    ]
    lines += [f"unavailable   {reason.strip()}" for reason in m.unavailable]
    for alert in alerts:
        ratio = alert.metric.endswith("ratio")
        shown = pct(alert.value) if ratio else f"{alert.value:g}"
        limit_shown = pct(alert.above) if ratio else f"{alert.above:g}"
        lines.append(
            f"ALERT         {alert.rule}: {alert.metric} = {shown} > {limit_shown}"
            + (f" (doctor check {alert.check})" if alert.check else "")
        )
    if not alerts:
        lines.append("alerts        none")
    return "\n".join(lines)


if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else "queue"
    client = make_client("monitor")
    sample = read_metrics(client)
    print(report(sample, evaluate(sample, role)))
