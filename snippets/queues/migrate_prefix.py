"""Moving the queues from the old `bull:` keys to the `{pharmacare}` prefix without stranding jobs.

Shown on docs/usage/bull-and-bullmq.md. A worker only sees the keys under its own prefix:
switch workers to `{pharmacare}` while jobs and job schedulers still live under `bull:` and
those jobs never run. The safe order, as in BullMQ's migration guide: producers and
schedulers move first, a worker keeps draining the old queue, and the old keys are deleted
only once nothing is left there.
Run ``python -m snippets.queues.migrate_prefix`` to see which prefixes hold the app's queues
and what is still pending under each (read-only).
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
from bullmq import Queue

from snippets.config.settings import RedisSettings, load_settings
from snippets.queues.definitions import PREFIX, QUEUE_NAMES, producer_client

OLD_PREFIX = "bull"  # BullMQ's default prefix (and Bull's): where queues lived before


# --8<-- [start:find]
async def queues_by_prefix(
    client: aioredis.Redis, names: tuple[str, ...] = QUEUE_NAMES
) -> dict[str, list[str]]:
    """Which prefixes hold which of the app's queues: every queue has a `<prefix>:<name>:id`
    counter, so one SCAN per queue name finds them all, whatever the prefix."""
    found: dict[str, list[str]] = {}
    for name in names:
        async for key in client.scan_iter(match=f"*:{name}:id", count=1000):
            prefix = key[: -len(f":{name}:id")]
            found.setdefault(prefix, []).append(name)
    return found


# --8<-- [end:find]


# --8<-- [start:pending]
# What still has to run under a prefix: jobs in these states, and job schedulers.
PENDING = ("waiting", "delayed", "active", "prioritized", "waiting-children", "paused")


async def pending(queue: Queue) -> int:
    counts = await queue.getJobCounts(*PENDING)
    return sum(counts.values()) + await queue.getJobSchedulersCount()


# --8<-- [end:pending]


def queue_at(name: str, prefix: str, settings: RedisSettings) -> Queue:
    """A producer-side Queue for `name` under `prefix` (the old one or the new one)."""
    return Queue(name, {"prefix": prefix, "connection": producer_client(settings)})


# --8<-- [start:move-schedulers]
async def move_schedulers(old: Queue, new: Queue) -> list[str]:
    """Recreate every job scheduler of the old queue on the new one, then remove it from the
    old one: from now on repeated jobs are created under the new prefix only."""
    moved = []
    for scheduler in await old.getJobSchedulers():
        repeat: dict[str, Any] = {
            k: scheduler[k] for k in ("every", "pattern", "tz") if scheduler.get(k)
        }
        template = scheduler.get("template") or {}
        await new.upsertJobScheduler(
            scheduler["key"], repeat, scheduler["name"], template.get("data"), template.get("opts")
        )
        await old.removeJobScheduler(scheduler["key"])
        moved.append(scheduler["key"])
    return moved


# --8<-- [end:move-schedulers]


# --8<-- [start:retire]
class StillPending(RuntimeError):
    """The old queue still has jobs or schedulers: deleting it now would lose them."""


async def retire(old: Queue) -> None:
    """Delete the old queue's keys, and only once nothing is left to run there."""
    left = await pending(old)
    if left:
        raise StillPending(
            f"{old.name} has {left} job(s) or scheduler(s) left under its old prefix: "
            "keep a worker on that prefix running until they are done"
        )
    await old.obliterate()


# --8<-- [end:retire]


async def describe(settings: RedisSettings) -> list[str]:
    """One line per prefix and queue: what is pending there."""
    client = producer_client(settings)
    lines = []
    try:
        for prefix, names in sorted((await queues_by_prefix(client)).items()):
            for name in names:
                queue = queue_at(name, prefix, settings)
                lines.append(f"{prefix}:{name}: {await pending(queue)} pending")
                await queue.close()
    finally:
        await client.aclose()
    return lines or [f"no queues found (new prefix {PREFIX}, old prefix {OLD_PREFIX})"]


if __name__ == "__main__":
    for line in asyncio.run(describe(load_settings())):
        print(line)
