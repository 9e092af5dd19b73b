"""snippets/queues/migrate_prefix.py: a prefix switch strands jobs; draining first does not.

Real BullMQ (the Python package, same Lua scripts as Node's) on every server kind: jobs and a
job scheduler are created under the old `bull:` prefix, then the workers move to
`{pharmacare}`. Switching first strands them; the safe order (schedulers and producers
first, a worker draining the old prefix, then retire) runs every job exactly once.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from bullmq import Worker

from snippets.config.settings import load_settings
from snippets.queues.definitions import PREFIX, connection_options, producer_client
from snippets.queues.migrate_prefix import (
    OLD_PREFIX,
    StillPending,
    move_schedulers,
    pending,
    queue_at,
    queues_by_prefix,
    retire,
)
from snippets.queues.worker import close_workers
from tests.demos import run_demo
from tests.helpers import wait_until

DAY_MS = 24 * 3600 * 1000


def _worker(name: str, prefix: str, settings, seen: list):
    async def process(job, token):
        seen.append((prefix, job.name, job.data.get("n")))
        return "done"

    return Worker(name, process, {"prefix": prefix, "connection": connection_options(settings)})


def test_switching_the_workers_first_strands_the_old_jobs(redis_server):
    settings = load_settings({"REDIS_URL": redis_server.url()})
    seen: list = []

    async def flow():
        old = queue_at("appointment-reminder", OLD_PREFIX, settings)
        await old.add("send-reminder", {"n": 1}, {"delay": 1})  # already due
        await old.upsertJobScheduler("nightly", {"every": DAY_MS}, "nightly", {"n": 0})
        # The deploy switches the workers (and producers) to the new prefix only.
        new = queue_at("appointment-reminder", PREFIX, settings)
        worker = _worker("appointment-reminder", PREFIX, settings, seen)
        await new.add("send-reminder", {"n": 2})
        await wait_until(_has(seen, 2), what="the new worker to run the new job")
        client = producer_client(settings)
        found = await queues_by_prefix(client)
        left_old, left_new = await pending(old), await pending(new)
        schedulers_new = await new.getJobSchedulersCount()
        await close_workers([worker])
        for closing in (old, new):
            await closing.close()
        await client.aclose()
        return found, left_old, left_new, schedulers_new

    found, left_old, left_new, schedulers_new = asyncio.run(flow())
    assert seen == [(PREFIX, "send-reminder", 2)], "only the new job ran"
    assert found == {OLD_PREFIX: ["appointment-reminder"], PREFIX: ["appointment-reminder"]}
    # Stranded: the due reminder, the scheduler and its first job wait under bull: forever.
    assert left_old == 3 and left_new == 0 and schedulers_new == 0


def test_safe_order_drains_the_old_prefix_then_retires_it(redis_server):
    settings = load_settings({"REDIS_URL": redis_server.url()})
    seen: list = []

    async def flow():
        old = queue_at("adherence-check", OLD_PREFIX, settings)
        await old.add("check", {"n": 1})
        await old.add("check", {"n": 2}, {"delay": 300})
        await old.upsertJobScheduler("daily", {"every": DAY_MS}, "check", {"n": 0})
        new = queue_at("adherence-check", PREFIX, settings)
        # 1. schedulers (and producers) move: nothing new is created under bull:.
        moved = await move_schedulers(old, new)
        await new.add("check", {"n": 3})
        # 2. retiring now would delete the pending jobs: refused.
        with pytest.raises(StillPending, match="keep a worker on that prefix"):
            await retire(old)
        # 3. a worker on each prefix until the old one is empty.
        workers = [
            _worker("adherence-check", OLD_PREFIX, settings, seen),
            _worker("adherence-check", PREFIX, settings, seen),
        ]

        async def old_drained() -> bool:
            return await pending(old) == 0

        await wait_until(old_drained, what="the old prefix to drain")
        await wait_until(_has(seen, 3), what="the new job")
        await close_workers(workers)
        # 4. retire: the old keys go, the scheduler lives on under the new prefix.
        await retire(old)
        client = producer_client(settings)
        left_keys = [k async for k in client.scan_iter(match=f"{OLD_PREFIX}:*")]
        schedulers = [s["key"] for s in await new.getJobSchedulers()]
        await client.aclose()
        for closing in (old, new):
            await closing.close()
        return moved, left_keys, schedulers

    moved, left_keys, schedulers = asyncio.run(flow())
    ran = sorted(n for _, _, n in seen if n)
    assert ran == [1, 2, 3], "every job ran exactly once"
    assert (OLD_PREFIX, "check", 1) in seen and (OLD_PREFIX, "check", 2) in seen
    assert moved == ["daily"] and schedulers == ["daily"]
    assert left_keys == []


def _has(seen: list, n: int):
    async def check() -> bool:
        return any(item[2] == n for item in seen)

    return check


def test_demo_lists_prefixes_and_pending(redis_server):
    settings = load_settings({"REDIS_URL": redis_server.url()})

    async def setup():
        old = queue_at("appointment-status", OLD_PREFIX, settings)
        await old.add("update-status", {"n": 1})
        await old.close()

    env = {**os.environ, "REDIS_URL": redis_server.url()}
    empty = run_demo("snippets.queues.migrate_prefix", env=env, check=True)
    assert "no queues found" in empty.stdout
    asyncio.run(setup())
    listed = run_demo("snippets.queues.migrate_prefix", env=env, check=True)
    assert listed.stdout.strip() == "bull:appointment-status: 1 pending"
