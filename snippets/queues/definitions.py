"""The five PharmaCare job queues in one place: names, prefix, connection, default job options.

Shown on docs/usage/queues.md. Producers (``snippets/queues/producers.py``), the worker
(``snippets/queues/worker.py``) and the admin helpers (``snippets/queues/admin.py``) build
their queues here, so the prefix, the connection and the retry policy cannot drift apart.
Run ``python -m snippets.queues.definitions`` to check the server the app would use.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis
from bullmq import Queue
from redis.asyncio.connection import parse_url
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from snippets.checks import CHECKS, docs_url
from snippets.config import switches
from snippets.config.async_client import redact_errors
from snippets.config.client import CONNECT_TIMEOUT, RETRIES, SOCKET_TIMEOUT
from snippets.config.settings import RedisSettings, load_settings

log = logging.getLogger("pharmacare.queues")

# --8<-- [start:queues]
QUEUE_NAMES = (
    "appointment-reminder",  # one reminder per appointment, sent before it starts
    "follow-up-monitor",  # hourly sweep for overdue follow-ups
    "medication-reminder",  # one job scheduler (cron) per prescription
    "adherence-check",  # one job scheduler, every 24 hours
    "appointment-status",  # an appointment changed state: update it and notify
)

# The hash tag {…} makes a cluster hash only "pharmacare", so every key of every queue
# lands in one slot: BullMQ's Lua scripts touch many keys of a queue at once.
PREFIX = "{pharmacare}"

DEFAULT_JOB_OPTIONS: dict[str, Any] = {
    "attempts": 3,  # three tries in total: the first one and two retries
    "backoff": {"type": "exponential", "delay": 30_000},  # wait 30 s, then 60 s
    "removeOnComplete": {"age": 24 * 3600, "count": 1000},  # keep a day (at most 1,000)
    "removeOnFail": {"age": 7 * 24 * 3600},  # keep failed jobs a week for inspection
}
# --8<-- [end:queues]

# --8<-- [start:connection]
BLOCKING_WAIT = 10.0  # seconds: the longest BZPOPMIN a BullMQ worker sends while idle


def connection_options(settings: RedisSettings) -> dict[str, Any]:
    """Keyword arguments for BullMQ's own redis.asyncio clients, from the app's settings.

    BullMQ adds decode_responses=True and its own reconnect policy (20 retries, backoff up
    to 20 s) to these, so they must not be in here: a duplicate keyword is a TypeError.
    """
    options: dict[str, Any] = dict(parse_url(settings.url))  # host, port, db, user, password
    options.pop("connection_class", None)
    if settings.scheme == "rediss":
        options["ssl"] = True  # plus any ssl_* options from the URL's query
    if settings.scheme == "unix":
        options["unix_socket_path"] = options.pop("path")
    for owned_by_bullmq in ("decode_responses", "retry", "single_connection_client"):
        options.pop(owned_by_bullmq, None)
    options.setdefault("socket_connect_timeout", CONNECT_TIMEOUT)
    # A reply may take as long as the blocking wait: a shorter socket timeout turns every
    # idle wait into a TimeoutError and a reconnect.
    options["socket_timeout"] = max(options.get("socket_timeout") or 0, BLOCKING_WAIT + 5)
    options["socket_keepalive"] = True
    return options


def producer_client(settings: RedisSettings) -> aioredis.Redis:
    """The client a Queue (producer) uses: decoded replies, and the app's short retry policy
    instead of BullMQ's long one, so a web request fails in seconds when Redis is down."""
    options = connection_options(settings)
    options["socket_timeout"] = SOCKET_TIMEOUT  # producers never block
    backoff = ExponentialWithJitterBackoff(base=0.1, cap=2.0)
    client = aioredis.Redis(
        decode_responses=True,  # BullMQ reads replies as str
        retry=Retry(backoff, retries=RETRIES),
        client_name="pharmacare-queue",
        **options,
    )
    redact_errors(client)  # its errors never echo the password (config/async_client.py)
    return client


def make_queue(name: str, settings: RedisSettings | None = None) -> Queue:
    """A producer-side Queue for one of QUEUE_NAMES. Close it with ``await queue.close()``."""
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}; the queues are {', '.join(QUEUE_NAMES)}")
    return Queue(
        name,
        {
            "prefix": PREFIX,
            "connection": producer_client(settings or load_settings()),
            "defaultJobOptions": DEFAULT_JOB_OPTIONS,
        },
    )


# --8<-- [end:connection]


# --8<-- [start:disabled]
def background_jobs_enabled(env: Mapping[str, str] = os.environ) -> bool:
    """False when DISABLE_BACKGROUND_JOBS is true (true, 1, yes, on): no worker, and
    producers skip (and say so). One parser for every module: snippets/config/switches.py."""
    return switches.background_jobs_enabled(env)


# --8<-- [end:disabled]


# --8<-- [start:startup-check]
class QueueStartupError(RuntimeError):
    """The server would lose jobs: refuse to start the queues. Carries the doctor's check id."""

    def __init__(self, check_id: str, detail: str) -> None:
        self.check_id = check_id
        super().__init__(
            f"{check_id}: {CHECKS[check_id].summary} ({detail}); see {docs_url(check_id)}"
        )


async def check_queue_server(client: aioredis.Redis, settings: RedisSettings) -> None:
    """Run at startup by producers and workers. Refuses an evicting maxmemory-policy:
    under memory pressure it deletes job hashes, queue lists and locks (jobs lost)."""
    info = await client.info("memory")  # INFO works where CONFIG GET is blocked (managed)
    policy = info.get("maxmemory_policy", "unknown")
    if policy != "noeviction":
        raise QueueStartupError(
            "memory.policy-queue", f"maxmemory-policy is {policy}; set it to noeviction"
        )
    log.info("Queue Redis client connected: %s", settings.target)


# --8<-- [end:startup-check]


async def _demo() -> None:
    settings = load_settings()
    queue = make_queue("appointment-status", settings)
    try:
        await check_queue_server(queue.client, settings)
        print(f"{queue.qualifiedName}: {await queue.getJobCounts()}")
    finally:
        await queue.close()


if __name__ == "__main__":
    import asyncio
    import sys

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(_demo())
    except QueueStartupError as error:
        sys.exit(f"refusing to use the queues: {error}")
