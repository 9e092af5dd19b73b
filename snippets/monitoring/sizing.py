"""Sizing: load PharmaCare's own data shapes, measure bytes per item, see what fits a plan.

Shown on docs/operations/memory-and-cost.md. The items are written by the app's own code
(the report cache, presence and the BullMQ producers), so the figures follow their shapes.
Run ``python -m snippets.monitoring.sizing`` against an empty scratch server (``make redis``):
it writes sample data, prints the figures, then deletes every key it wrote.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import redis

from snippets.cache.report_cache import RedisStore, ReportCache
from snippets.config.client import make_client
from snippets.config.settings import RedisSettings, load_settings
from snippets.presence.presence import Presence
from snippets.queues.definitions import PREFIX, QUEUE_NAMES
from snippets.queues.producers import Producers

# --8<-- [start:shapes]
REPORT_ROWS = 50  # a cached daily-sales report: one pharmacy's top 50 products


def daily_sales(pharmacy: int) -> dict:
    """What the report loader returns (the same sample on every run)."""
    rng = random.Random(pharmacy)
    rows = [
        {
            "sku": f"SKU-{rng.randrange(10**6):06d}",
            "name": f"Product {rng.randrange(1000)} {rng.choice(['10 mg', '20 mg', '500 mg'])}",
            "qty": rng.randrange(1, 200),
            "revenue": f"{rng.uniform(5, 2000):.2f}",
        }
        for _ in range(REPORT_ROWS)
    ]
    return {"pharmacy": pharmacy, "date": "2026-11-25", "rows": rows}


def load_reports(client: redis.Redis, first: int, n: int) -> None:
    cache = ReportCache(RedisStore(client))
    for i in range(first, first + n):
        params = {"date": "2026-11-25", "pharmacy": i}
        cache.get_or_load("daily-sales", params, lambda i=i: daily_sales(i))


def load_presence(client: redis.Redis, first: int, n: int) -> None:
    presence = Presence(client)
    for user in range(first, first + n):
        presence.connect(f"user-{user}", "At the counter")


async def load_jobs(settings: RedisSettings, first: int, n: int, kind: str) -> None:
    """Appointment reminders (delayed jobs) or medication schedules (one per prescription)."""
    producers = await Producers.open(env={}, settings=settings)
    starts_at = datetime.now(UTC) + timedelta(days=7)
    try:
        for i in range(first, first + n):
            if kind == "reminder":
                await producers.appointment_reminder(f"apt-{i}", starts_at)
            else:
                await producers.medication_reminder(f"rx-{i}")
    finally:
        await producers.close()


# --8<-- [end:shapes]


# --8<-- [start:per-item]
def used_memory(client: redis.Redis) -> int:
    return client.info("memory")["used_memory"]


def bytes_per_item(client: redis.Redis, load: Callable[[int, int], None], n: int) -> int:
    """What one more item really costs: used_memory before and after loading n of them.
    One item is loaded first, so one-off costs (Lua scripts, new keys) are not counted."""
    load(0, 1)
    before = used_memory(client)
    load(1, n)
    return round((used_memory(client) - before) / n)


# --8<-- [end:per-item]


# --8<-- [start:fits]
PLAN_BYTES = 25_000_000  # "25 MB" free plans (Render free, Heroku mini), read conservatively
HEADROOM = 0.80  # stay under the monitoring alert: memory above 80 % of maxmemory
EVENTS_CAP = 10_000  # BullMQ trims each queue's events stream to about this many entries


def how_many_fit(per_item: int, baseline: int, plan_bytes: int = PLAN_BYTES) -> int:
    """Items of one kind that fit under the alert line, after the server's own baseline."""
    return max(0, int((plan_bytes * HEADROOM - baseline) // per_item))


def bytes_needed(figures: dict[str, int], workload: dict[str, int]) -> int:
    """A whole workload: baseline, the items, and every queue's events stream at its cap."""
    streams = len(QUEUE_NAMES) * EVENTS_CAP * figures["event"]
    items = sum(count * figures[item] for item, count in workload.items())
    return figures["baseline"] + items + streams


# --8<-- [end:fits]


def measure_sample(client: redis.Redis, settings: RedisSettings, n: int = 1000) -> dict[str, int]:
    """Bytes per item of each kind, bytes per events-stream entry, and the baseline."""
    load_reports(client, 0, 1)  # one of each first: BullMQ's Lua scripts, the presence keys…
    load_presence(client, 0, 1)
    for kind in ("reminder", "prescription"):
        asyncio.run(load_jobs(settings, 0, 1, kind))
    figures = {"baseline": used_memory(client)}  # an almost empty server, ready for work
    figures["report"] = bytes_per_item(client, lambda a, b: load_reports(client, a, b), n)
    figures["presence"] = bytes_per_item(client, lambda a, b: load_presence(client, a, b), n)
    for kind in ("reminder", "prescription"):
        job = lambda a, b, kind=kind: asyncio.run(load_jobs(settings, a, b, kind))  # noqa: E731
        figures[kind] = bytes_per_item(client, job, n)
    events = f"{PREFIX}:appointment-reminder:events"  # an entry per job event (added, delayed…)
    figures["event"] = round(client.memory_usage(events, samples=0) / client.xlen(events))
    return figures


def cleanup(client: redis.Redis) -> None:
    for pattern in ("pharmacare:*", f"{PREFIX}:*"):
        for key in client.scan_iter(match=pattern, count=500):
            client.unlink(key)


if __name__ == "__main__":
    settings = load_settings()
    if settings.production:
        raise SystemExit("refusing to write sample data with APP_ENV=production")
    client = make_client("monitor")
    if client.dbsize():  # it deletes every pharmacare key afterwards: never on real data
        raise SystemExit("refusing: the database is not empty; use a scratch server (make redis)")
    figures = measure_sample(client, settings)
    for item in ("report", "presence", "reminder", "prescription"):
        fit = how_many_fit(figures[item], figures["baseline"])
        print(f"{item:12} {figures[item]:>6,} bytes each; {fit:>7,} fit in 80 % of 25 MB alone")
    full = EVENTS_CAP * figures["event"] / 1e6
    print(f"event        {figures['event']:>6,} bytes each; one full events stream: {full:.2f} MB")
    cleanup(client)
