"""Running without Redis: an in-memory cache, a circuit breaker, and what must fail loudly.

Shown on docs/usage/without-redis.md. ``CACHE_PROVIDER=memory`` selects :class:`MemoryStore`;
otherwise :func:`make_store` wraps Redis in :class:`ResilientStore`, which serves from memory
while Redis is unreachable and goes back to Redis when it answers again. Queues and locks
get no such wrapper.
Run ``python -m snippets.cache.without_redis`` to see which store your environment selects.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

import redis
from redis.backoff import AbstractBackoff, EqualJitterBackoff

from snippets.cache.report_cache import CacheStore, RedisStore
from snippets.config.client import make_client
from snippets.config.settings import load_settings
from snippets.config.switches import switch

log = logging.getLogger("pharmacare.cache")
T = TypeVar("T")


# --8<-- [start:memory-store]
class MemoryStore:
    """A bounded, per-process TTL cache with the CacheStore interface.

    Least recently used entries go first once ``max_bytes`` is reached. Each process has its
    own copy: invalidating in one worker does not reach the others — fine for a few minutes
    of TTL, wrong for anything that must be shared.
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes, self.size = max_bytes, 0
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def _live(self, key: str) -> bytes | None:  # call with the lock held
        item = self._data.get(key)
        if item is None:
            return None
        if item[0] <= time.monotonic():
            self._drop(key)
            return None
        self._data.move_to_end(key)
        return item[1]

    def _drop(self, key: str) -> bool:
        item = self._data.pop(key, None)
        if item is not None:
            self.size -= len(key) + len(item[1])
        return item is not None

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._live(key)

    def set(self, key: str, value: bytes, ttl_ms: int) -> None:
        with self._lock:
            self._drop(key)
            self._data[key] = (time.monotonic() + ttl_ms / 1000, value)
            self.size += len(key) + len(value)
            while self.size > self.max_bytes:
                self._drop(next(iter(self._data)))  # the least recently used entry

    def add(self, key: str, value: bytes, ttl_ms: int) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
        self.set(key, value, ttl_ms)
        return True

    def delete(self, *keys: str) -> int:
        with self._lock:
            return sum(self._drop(key) for key in keys)

    def scan(self, pattern: str) -> Iterator[str]:
        with self._lock:
            keys = [k for k in self._data if fnmatch.fnmatchcase(k, pattern)]
        yield from (k for k in keys if self.get(k) is not None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.size = 0


# --8<-- [end:memory-store]


# --8<-- [start:breaker]
class CircuitBreaker:
    """closed: use Redis. open: don't even try, until a backoff delay has passed.
    half-open: let exactly one call through as a probe; its outcome closes or reopens."""

    def __init__(self, backoff: AbstractBackoff | None = None, probe_timeout: float = 30.0):
        # redis-py's own backoff between probes: 0.25–0.5 s, 0.5–1 s, 1–2 s … at most 30 s
        self.backoff = backoff or EqualJitterBackoff(cap=30.0, base=0.25)
        self.probe_timeout = probe_timeout  # a probe that never reports back is given up
        self.state, self.failures, self.retry_at = "closed", 0, 0.0
        self._lock = threading.Lock()

    def allow(self) -> str:
        """Route one call: "redis" (closed), "probe" (this caller probes) or "fallback"."""
        with self._lock:
            if self.state == "closed":
                return "redis"
            if time.monotonic() >= self.retry_at:  # open and waited, or a probe got lost
                self.state, self.retry_at = "half-open", time.monotonic() + self.probe_timeout
                return "probe"
            return "fallback"

    def failure(self, error: Exception) -> None:
        with self._lock:
            self.failures += 1
            if self.state == "closed":  # the one log line of an outage
                log.warning("Redis unavailable, serving from memory (%s)", type(error).__name__)
            else:
                log.debug("Redis probe failed: %s", error)
            self.state = "open"
            self.retry_at = time.monotonic() + self.backoff.compute(self.failures)

    def success(self) -> bool:
        """Close the circuit; True if this ended an outage."""
        with self._lock:
            recovered = self.state != "closed"
            self.state, self.failures = "closed", 0
        if recovered:
            log.info("Redis available again, cache back on Redis")
        return recovered


# --8<-- [end:breaker]


# --8<-- [start:resilient-store]
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)  # incl. auth and "loading" errors


class ResilientStore:
    """A CacheStore that never raises because Redis is unreachable.

    Each call goes to Redis (whose client already retries 3 times with backoff); when that
    fails the circuit opens, and calls use ``fallback`` (memory, or None for "always miss")
    without touching the network until a probe succeeds. Deletions made meanwhile are
    replayed on Redis at recovery, so an invalidation is not lost in the outage.
    """

    def __init__(
        self,
        primary: RedisStore,
        fallback: MemoryStore | None = None,
        breaker: CircuitBreaker | None = None,
        max_pending: int = 10_000,
    ) -> None:
        self.primary, self.fallback = primary, fallback
        self.breaker = breaker or CircuitBreaker()
        self.max_pending = max_pending
        self._pending: set[tuple[str, str]] = set()  # ("key" | "pattern", value)
        self._pending_lock = threading.Lock()

    def _call(self, on_redis: Callable[[], T], on_fallback: Callable[[], T]) -> T:
        route = self.breaker.allow()
        if route == "fallback":
            return on_fallback()
        try:
            result = on_redis()
        except REDIS_DOWN as error:
            self.breaker.failure(error)
            return on_fallback()
        except redis.RedisError:  # Redis answered (NOPERM, OOM …): it is up; raise the bug
            if route == "probe" and self.breaker.success():
                self._recovered()
            raise
        if route == "probe" and self.breaker.success():
            self._recovered()
        return result

    def _remember(self, kind: str, value: str) -> None:
        with self._pending_lock:
            if len(self._pending) < self.max_pending:
                self._pending.add((kind, value))
            else:  # too many to replay: TTLs bound how stale Redis can be
                log.warning("too many invalidations during the outage; relying on TTLs")

    def _recovered(self) -> None:
        with self._pending_lock:
            pending, self._pending = self._pending, set()
        try:
            for kind, value in pending:
                keys = [value] if kind == "key" else list(self.primary.scan(value))
                self.primary.delete(*keys)
        except REDIS_DOWN as error:  # gone again: keep the rest for the next recovery
            with self._pending_lock:
                self._pending |= pending
            self.breaker.failure(error)
        if self.fallback:  # memory entries may predate invalidations made on Redis
            self.fallback.clear()

    def get(self, key: str) -> bytes | None:
        fallback = self.fallback.get if self.fallback else lambda _key: None
        return self._call(lambda: self.primary.get(key), lambda: fallback(key))

    def set(self, key: str, value: bytes, ttl_ms: int) -> None:
        def on_fallback() -> None:
            if self.fallback:
                self.fallback.set(key, value, ttl_ms)

        self._call(lambda: self.primary.set(key, value, ttl_ms), on_fallback)

    def add(self, key: str, value: bytes, ttl_ms: int) -> bool:
        def on_fallback() -> bool:  # no shared lock: each process loads for itself
            return self.fallback.add(key, value, ttl_ms) if self.fallback else True

        return self._call(lambda: self.primary.add(key, value, ttl_ms), on_fallback)

    def delete(self, *keys: str) -> int:
        def on_fallback() -> int:
            for key in keys:
                self._remember("key", key)
            return self.fallback.delete(*keys) if self.fallback else 0

        return self._call(lambda: self.primary.delete(*keys), on_fallback)

    def scan(self, pattern: str) -> Iterator[str]:
        def on_fallback() -> list[str]:
            self._remember("pattern", pattern)  # a scan is always for an invalidation
            return list(self.fallback.scan(pattern)) if self.fallback else []

        return iter(self._call(lambda: list(self.primary.scan(pattern)), on_fallback))


# --8<-- [end:resilient-store]


# --8<-- [start:make-store]
def make_store(env: Mapping[str, str] = os.environ) -> CacheStore:
    """The cache backend the app uses, chosen by CACHE_PROVIDER (redis by default)."""
    if switch("CACHE_PROVIDER", env) == "memory":  # anything but redis/memory: SwitchError
        log.info("Cache provider: memory (CACHE_PROVIDER=memory); Redis is not used for caching")
        return MemoryStore()
    client = make_client("cache", load_settings(env))
    return ResilientStore(RedisStore(client), fallback=MemoryStore())


# --8<-- [end:make-store]


# --8<-- [start:fail-loudly]
def background_jobs_enabled(env: Mapping[str, str] = os.environ) -> bool:
    """Jobs run only on Redis. Off by choice (DISABLE_BACKGROUND_JOBS=true), or Redis must
    answer at startup — a redis.ConnectionError here stops the process, by design."""
    if switch("DISABLE_BACKGROUND_JOBS", env):  # the queues' own parser: true, 1, yes, on
        log.warning("Background jobs disabled (DISABLE_BACKGROUND_JOBS=true): no reminders")
        return False
    make_client("queue", load_settings(env)).ping()
    return True


class LockHeld(RuntimeError):
    """Another instance holds the lock."""


RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


@contextmanager
def exclusive(client: redis.Redis, name: str, ttl_ms: int = 30_000) -> Iterator[None]:
    """Run a block on one instance at a time. No fallback: if Redis is unreachable this
    raises redis.ConnectionError — a process-local lock would let every instance run it."""
    key, token = f"pharmacare:lock:{name}", secrets.token_hex(16)
    if not client.set(key, token, nx=True, px=ttl_ms):
        raise LockHeld(name)
    try:
        yield
    finally:
        client.eval(RELEASE, 1, key, token)  # only our own lock, even if it expired meanwhile


# --8<-- [end:fail-loudly]


if __name__ == "__main__":
    import signal
    import sys

    from snippets.cache.report_cache import ReportCache

    # --watch SECONDS: keep reading, so you can stop and restart Redis; Ctrl-C ends it. The
    # handler only sets a flag (the read in progress finishes), and it replaces whatever
    # SIGINT did before (ignored under nohup or as a background job).
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda signum, frame: stopped.set())
    watch = float(sys.argv[sys.argv.index("--watch") + 1]) if "--watch" in sys.argv else 0.0
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    store = make_store()
    print("cache store:", type(store).__name__)
    cache = ReportCache(store)
    params = {"pharmacy": 12}
    for _ in range(2):
        print(cache.get_or_load("inventory-levels", params, lambda: {"in_stock": 412}))
    print(f"hits={cache.stats.hits} loads={cache.stats.loads}")
    deadline = time.monotonic() + watch
    while time.monotonic() < deadline and not stopped.is_set():
        value = cache.get_or_load("inventory-levels", params, lambda: {"in_stock": 412})
        circuit = store.breaker.state if isinstance(store, ResilientStore) else "none"
        print(f"{time.strftime('%H:%M:%S')} {value} circuit={circuit}", flush=True)
        stopped.wait(0.5)
    print("background jobs:", "on" if background_jobs_enabled() else "off")
