"""Sizing: load PharmaCare-shaped sample data, measure bytes per item, see what fits a plan.

Shown on docs/operations/memory-and-cost.md.
Run ``python -m snippets.monitoring.sizing`` against a scratch server only (``make redis``):
it writes sample keys, prints the figures, then deletes every key it wrote.
"""

from __future__ import annotations

import asyncio
import json
import random

import redis
from bullmq import Queue

from snippets.config.client import make_client
from snippets.config.settings import load_settings

# --8<-- [start:shapes]
REPORT_ROWS = 50  # one cached report: a pharmacy's daily sales, top 50 products
PRESENCE_TTL = 120  # seconds; a presence entry is refreshed by the user's socket heartbeat
REPORT_TTL = 300  # seconds (the seed's TTLs are 5-30 minutes)


def report_json(pharmacy: int) -> str:
    rng = random.Random(pharmacy)  # the same sample on every run
    rows = [
        {
            "sku": f"SKU-{rng.randrange(10**6):06d}",
            "name": f"Product {rng.randrange(1000)} {rng.choice(['10 mg', '20 mg', '500 mg'])}",
            "qty": rng.randrange(1, 200),
            "revenue": round(rng.uniform(5, 2000), 2),
        }
        for _ in range(REPORT_ROWS)
    ]
    return json.dumps({"pharmacyId": pharmacy, "date": "2026-11-25", "rows": rows})


def load_reports(client: redis.Redis, first: int, n: int) -> None:
    with client.pipeline(transaction=False) as pipe:
        for i in range(first, first + n):
            key = f"report:daily-sales:pharmacy-{i}:2026-11-25"
            pipe.set(key, report_json(i), ex=REPORT_TTL)
        pipe.execute()


def load_presence(client: redis.Redis, first: int, n: int) -> None:
    with client.pipeline(transaction=False) as pipe:
        for user in range(first, first + n):
            status = {
                "status": "online",
                "lastSeen": "1795629000000",
                "customStatus": "At the counter",
            }
            pipe.hset(f"presence:user:{user}", mapping={**status, "socketId": f"s-{user:08x}"})
            pipe.expire(f"presence:user:{user}", PRESENCE_TTL)
            pipe.sadd("presence:online", user)
        pipe.execute()


async def load_jobs(url: str, first: int, n: int, name: str = "medication-reminder") -> None:
    """Delayed BullMQ jobs, added by the real bullmq client (hash + delayed entry + event)."""
    queue = Queue(name, {"connection": url})
    for i in range(first, first + n):
        data = {"patientId": f"pat-{i}", "medicationId": f"med-{i % 40}", "dose": "1 tablet"}
        options = {"delay": 3_600_000, "attempts": 3, "removeOnComplete": True}
        await queue.add("send-reminder", {**data, "channel": "sms"}, options)
    await queue.close()


# --8<-- [end:shapes]


# --8<-- [start:per-item]
def used_memory(client: redis.Redis) -> int:
    return client.info("memory")["used_memory"]


def bytes_per_item(client: redis.Redis, load, first: int, n: int) -> int:
    """What one more item really costs: used_memory before and after loading n of them."""
    before = used_memory(client)
    load(first, n)
    return round((used_memory(client) - before) / n)


# --8<-- [end:per-item]


# --8<-- [start:fits]
PLAN_BYTES = 25_000_000  # "25 MB" free plans (Render free, Heroku mini), read conservatively
HEADROOM = 0.80  # stay under the monitoring alert: memory above 80 % of maxmemory


QUEUES = 5  # appointment-reminder, follow-up-monitor, medication-reminder, adherence-check,
# appointment-status
EVENTS_CAP = 10_000  # BullMQ trims each queue's events stream to about this many entries


def how_many_fit(per_item: int, baseline: int, plan_bytes: int = PLAN_BYTES) -> int:
    """Items of one kind that fit under the alert line, after the server's own baseline."""
    return max(0, int((plan_bytes * HEADROOM - baseline) // per_item))


def bytes_needed(figures: dict[str, int], reports: int, online_users: int, jobs: int) -> int:
    """A whole workload: baseline + items + every queue's events stream at its cap."""
    streams = QUEUES * EVENTS_CAP * figures["event"]
    items = reports * figures["report"] + online_users * figures["presence"]
    return figures["baseline"] + items + jobs * figures["job"] + streams


# --8<-- [end:fits]


def measure_sample(client: redis.Redis, url: str, n: int = 500) -> dict[str, int]:
    """Bytes per cached report, presence entry and queued job, plus the baseline."""
    asyncio.run(load_jobs(url, 0, 1))  # first job: loads bullmq's Lua scripts into the server
    figures = {"baseline": used_memory(client)}
    figures["report"] = bytes_per_item(client, lambda a, b: load_reports(client, a, b), 0, n)
    figures["presence"] = bytes_per_item(client, lambda a, b: load_presence(client, a, b), 0, n)
    figures["job"] = bytes_per_item(client, lambda a, b: asyncio.run(load_jobs(url, a, b)), 1, n)
    events = "bull:medication-reminder:events"  # one entry per job event (added, delayed, …)
    figures["event"] = round(client.memory_usage(events, samples=0) / client.xlen(events))
    return figures


if __name__ == "__main__":
    settings = load_settings()
    if settings.production:
        raise SystemExit("refusing to write sample data with APP_ENV=production")
    client = make_client("monitor")
    figures = measure_sample(client, settings.url)
    for item in ("report", "presence", "job"):
        fit = how_many_fit(figures[item], figures["baseline"])
        print(f"{item:9} {figures[item]:>6,} bytes each; {fit:>7,} fit in 80 % of 25 MB alone")
    print(
        f"event     {figures['event']:>6,} bytes each; one full events stream: "
        f"{EVENTS_CAP * figures['event'] / 1e6:.2f} MB"
    )
    for pattern in ("report:daily-sales:*", "presence:*", "bull:medication-reminder:*"):
        for key in client.scan_iter(match=pattern, count=500):
            client.unlink(key)
