"""Sentinel recipe: find the primary through the sentinels and keep writing through a failover.

Shown on docs/operations/scaling.md. Run ``python -m snippets.scaling.sentinel`` with
``REDIS_SENTINELS`` (and ``REDIS_SENTINEL_MASTER``, ``REDIS_PASSWORD``) set.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

from snippets.config.client import CONNECT_TIMEOUT, SOCKET_TIMEOUT, make_retry
from snippets.config.settings import RedisConfigError

log = logging.getLogger("pharmacare.redis")
T = TypeVar("T")


# --8<-- [start:settings]
@dataclass(frozen=True)
class SentinelSettings:
    """Where the sentinels are and which group to ask them about. No secrets in repr()."""

    sentinels: tuple[tuple[str, int], ...]  # REDIS_SENTINELS="host1:26379,host2:26379,…"
    master: str  # REDIS_SENTINEL_MASTER, the name in the sentinels' "sentinel monitor" line
    db: int = 0  # REDIS_DB
    username: str | None = None  # REDIS_USERNAME (an ACL user on the data nodes)
    password: str | None = field(default=None, repr=False)  # REDIS_PASSWORD: data nodes
    sentinel_password: str | None = field(default=None, repr=False)  # REDIS_SENTINEL_PASSWORD


def sentinel_enabled(env: Mapping[str, str] = os.environ) -> bool:
    """REDIS_SENTINELS set: ask the sentinels for the primary; REDIS_URL is not read."""
    return bool(env.get("REDIS_SENTINELS", "").strip())


def load_sentinel_settings(env: Mapping[str, str] = os.environ) -> SentinelSettings:
    sentinels = []
    for entry in env.get("REDIS_SENTINELS", "").split(","):
        host, _, port = entry.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise RedisConfigError("url.invalid-port", f"REDIS_SENTINELS entry {entry.strip()!r}")
        sentinels.append((host.strip("[]"), int(port)))
    db = env.get("REDIS_DB", "0").strip() or "0"
    if not db.isdigit():
        raise RedisConfigError("url.invalid-db", "REDIS_DB")
    return SentinelSettings(
        sentinels=tuple(sentinels),
        master=env.get("REDIS_SENTINEL_MASTER", "").strip() or "mymaster",
        db=int(db),
        username=env.get("REDIS_USERNAME", "").strip() or None,
        password=env.get("REDIS_PASSWORD", "").strip() or None,
        sentinel_password=env.get("REDIS_SENTINEL_PASSWORD", "").strip() or None,
    )


# --8<-- [end:settings]


# --8<-- [start:connect]
class LoggingSentinel(Sentinel):
    """redis-py's Sentinel, logging the primary it is sent to: once, then on every change."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.primaries: dict[str, tuple[str, int]] = {}

    def discover_master(self, service_name: str) -> tuple[str, int]:
        address = super().discover_master(service_name)  # asked on every new connection
        previous = self.primaries.get(service_name)
        if address != previous:
            self.primaries[service_name] = address
            if previous is None:
                log.info("Redis primary for %r: %s:%s (from sentinel)", service_name, *address)
            else:
                log.warning(
                    "Redis failover: primary for %r moved from %s:%s to %s:%s",
                    service_name,
                    *previous,
                    *address,
                )
        return address


def make_sentinel_client(
    purpose: str = "cache", env: Mapping[str, str] = os.environ
) -> redis.Redis:
    """A client that always talks to the current primary; create it after any fork."""
    settings = load_sentinel_settings(env)
    sentinel = LoggingSentinel(
        settings.sentinels,
        sentinel_kwargs={  # for the sentinels: a dead one is skipped at once, not retried
            "password": settings.sentinel_password,
            "socket_connect_timeout": 1.0,
            "socket_timeout": 1.0,
            "retry": Retry(NoBackoff(), 0),
        },
        socket_connect_timeout=CONNECT_TIMEOUT,  # for the primary: the app's usual options
        socket_timeout=SOCKET_TIMEOUT,
        retry=make_retry(),
        username=settings.username,
        password=settings.password,
        db=settings.db,
    )
    return sentinel.master_for(settings.master, client_name=f"pharmacare-{purpose}")


# --8<-- [end:connect]


# --8<-- [start:acknowledged]
class NotReplicatedError(redis.RedisError):
    """The primary took the write but no replica confirmed it in time."""


def set_acknowledged(
    client: redis.Redis, key: str, value: str, replicas: int = 1, timeout_ms: int = 500
) -> None:
    """SET, then WAIT until ``replicas`` replicas have it: such a write survives a failover.

    WAIT counts the writes of its own connection, so both go in one pipeline (one
    connection); a plain client.set() then client.wait() may use two pooled connections.
    """
    with client.pipeline(transaction=False) as pipe:
        pipe.set(key, value)
        pipe.wait(replicas, timeout_ms)
        _, acknowledged = pipe.execute()
    if acknowledged < replicas:
        raise NotReplicatedError(f"{key}: {acknowledged}/{replicas} replicas in {timeout_ms} ms")


# --8<-- [end:acknowledged]


# --8<-- [start:through-failover]
FAILOVER_BUDGET = 60.0  # seconds: more than down-after-milliseconds + election + promotion
RETRY_EVERY = 0.25  # seconds between attempts while the group has no usable primary


def through_failover(operation: Callable[[], T], budget: float = FAILOVER_BUDGET) -> T:
    """Run ``operation``, repeating it while the primary is down or being replaced.

    Logs the first failure once, then once when it works again: a failover is a few
    seconds of one warning, not hundreds of lines. Use it for writes that must not be lost
    (queue producers already retry); a presence heartbeat can simply skip a beat.
    """
    deadline = time.monotonic() + budget
    first_failure: float | None = None
    while True:
        try:
            result = operation()
        except (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError) as error:
            now = time.monotonic()
            if first_failure is None:
                first_failure = now
                log.warning("Redis unavailable, retrying for up to %.0f s: %s", budget, error)
            if now >= deadline:
                log.error("Redis still unavailable after %.0f s: %s", budget, error)
                raise
            time.sleep(RETRY_EVERY)
            continue
        if first_failure is not None:
            log.info("Redis available again after %.1f s", time.monotonic() - first_failure)
        return result


# --8<-- [end:through-failover]


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not sentinel_enabled():
        sys.exit("set REDIS_SENTINELS=host:port,host:port,… (and REDIS_SENTINEL_MASTER)")
    client = make_sentinel_client()
    set_acknowledged(client, "pharmacare:sentinel-demo", "ok")
    print("acknowledged by a replica:", client.get("pharmacare:sentinel-demo"))
    print("PING through failover:", through_failover(client.ping))
    client.close()
