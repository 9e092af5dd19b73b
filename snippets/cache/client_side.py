"""Client-side caching (opt-in): recently read report-cache entries kept in this process.

Shown on docs/usage/caching.md. Redis tells us when to forget a copy: the reading connection
turns on ``CLIENT TRACKING`` (RESP3), and the server pushes an ``invalidate`` message for
every key this connection read once any client changes or deletes it. Works on Redis >= 6
and Valkey; redis-py's built-in ``cache_config`` needs Redis >= 7.4 (builtin_cached_client).
Run ``python -m snippets.cache.client_side`` to see a hit served locally, then invalidated.
"""

from __future__ import annotations

import select
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import redis
from redis.cache import CacheConfig

from snippets.cache.report_cache import RedisStore, ReportCache, report_key
from snippets.config.client import CONNECT_TIMEOUT, SOCKET_TIMEOUT, make_client, make_retry
from snippets.config.settings import RedisSettings, load_settings


def builtin_cached_client(settings: RedisSettings | None = None, max_size: int = 1000):
    """redis-py's own client-side cache. redis-py 8.1 enables it only on Redis 7.4 or later
    (server name "redis"): on Redis 7.0 or Valkey the first command raises ConnectionError."""
    settings = settings or load_settings()
    return redis.Redis.from_url(
        settings.url, protocol=3, cache_config=CacheConfig(max_size=max_size)
    )


# --8<-- [start:limits]
MAX_ENTRIES = 1_000  # local copies at most (least recently used go first) …
MAX_BYTES = 32 * 1024 * 1024  # … and at most this many bytes of values, per process
VERIFY_EVERY = 1.0  # seconds: a hit older than this re-reads from Redis (proves the link)
# --8<-- [end:limits]


@dataclass
class LocalStats:
    """Counters for the local copies of this process."""

    local_hits: int = 0  # served from this process's memory, no round trip
    remote_reads: int = 0  # GETs sent to Redis (misses, and re-reads after VERIFY_EVERY)
    invalidated: int = 0  # copies dropped because Redis said the key changed
    evicted: int = 0  # copies dropped to stay within MAX_ENTRIES / MAX_BYTES
    flushes: int = 0  # whole local cache dropped: (re)connect, lost link, FLUSHDB


# --8<-- [start:tracking-client]
def tracking_client(settings: RedisSettings | None = None) -> redis.Redis:
    """One RESP3 connection, used only for cache reads: tracking is per connection."""
    settings = settings or load_settings()
    return redis.Redis.from_url(
        settings.url,
        protocol=3,  # invalidations arrive as RESP3 pushes on this same connection
        single_connection_client=True,
        client_name="pharmacare-cache-local",
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=CONNECT_TIMEOUT,
        retry=make_retry(),
    )


# --8<-- [end:tracking-client]


# --8<-- [start:store]
class ClientSideStore:
    """A CacheStore (see report_cache.py) whose reads are served from this process's memory
    while Redis has not invalidated them. Writes, locks and SCAN go to Redis as before."""

    def __init__(
        self,
        store: RedisStore,
        tracked: redis.Redis,
        *,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        verify_every: float = VERIFY_EVERY,
    ) -> None:
        self.store, self.tracked = store, tracked
        self.max_entries, self.max_bytes, self.verify_every = max_entries, max_bytes, verify_every
        self.stats = LocalStats()
        self._local: OrderedDict[str, tuple[bytes, float]] = OrderedDict()  # key -> value, read at
        self._bytes = 0
        self._lock = threading.RLock()
        conn = tracked.connection
        # The hook redis-py's own cache uses: push messages of type "invalidate" on this
        # connection call us, whenever a reply is read or we drain the socket.
        conn._parser.set_invalidation_push_handler(self._on_invalidate)
        conn.register_connect_callback(self._on_connect)  # every reconnect, too
        self._on_connect(conn)

    def _on_connect(self, conn: redis.Connection) -> None:
        """A new connection knows nothing of what the old one tracked: start afresh."""
        conn.send_command("CLIENT", "TRACKING", "ON")
        conn.read_response()
        self.flush()

    def _on_invalidate(self, push: list) -> None:
        """Redis says: these keys changed (or, with None, the whole database was flushed)."""
        if push[1] is None:
            self.flush()
            return
        with self._lock:
            for key in push[1]:
                if self._drop(key.decode() if isinstance(key, bytes) else key):
                    self.stats.invalidated += 1

    def _drain(self, quick: bool = False) -> None:
        """Apply invalidations already waiting on the socket, before trusting a local copy."""
        conn = self.tracked.connection
        sock = conn._sock  # None after a disconnect: can_read() below reconnects
        if quick and sock is not None and not select.select([sock], [], [], 0)[0]:
            return  # nothing arrived since the last full drain: one poll, no parsing
        try:
            while conn.can_read(timeout=0):
                conn.read_response(push_request=True, timeout=0)
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            conn.disconnect()  # the link broke: whatever it tracked is unknown now
            self.flush()

    def get(self, key: str) -> bytes | None:
        with self._lock:  # one reader at a time on the tracking connection
            self._drain(quick=True)
            entry = self._local.get(key)
            if entry is not None and time.monotonic() - entry[1] < self.verify_every:
                self._local.move_to_end(key)
                self.stats.local_hits += 1
                return entry[0]
            self.stats.remote_reads += 1
            value = self.tracked.get(key)  # tracked from now on; reconnects flush (above)
            self._drop(key)
            if value is not None:
                self._keep(key, value)
            self._drain()  # a push read along with the reply may wait in the parser's buffer
            return value

    def _keep(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes:
            return
        self._local[key] = (value, time.monotonic())
        self._bytes += len(value)
        while len(self._local) > self.max_entries or self._bytes > self.max_bytes:
            _, (old, _) = self._local.popitem(last=False)  # least recently used
            self._bytes -= len(old)
            self.stats.evicted += 1

    def _drop(self, key: str) -> bool:
        entry = self._local.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[0])
        return entry is not None

    def flush(self) -> None:
        with self._lock:
            self._local.clear()
            self._bytes = 0
            self.stats.flushes += 1

    def __len__(self) -> int:
        return len(self._local)

    @property
    def local_bytes(self) -> int:
        return self._bytes

    # Writes go to Redis through the app's usual client; our own copy goes at once (the
    # server's invalidation for it follows on the tracking connection).
    def set(self, key: str, value: bytes, ttl_ms: int) -> None:
        with self._lock:
            self._drop(key)
        self.store.set(key, value, ttl_ms)

    def add(self, key: str, value: bytes, ttl_ms: int) -> bool:
        return self.store.add(key, value, ttl_ms)  # loader locks: never read through us

    def delete(self, *keys: str) -> int:
        with self._lock:
            for key in keys:
                self._drop(key)
        return self.store.delete(*keys)

    def scan(self, pattern: str) -> Iterator[str]:
        return self.store.scan(pattern)

    def close(self) -> None:
        self.tracked.close()


# --8<-- [end:store]


# --8<-- [start:use]
def local_report_cache(settings: RedisSettings | None = None, **limits) -> ReportCache:
    """A ReportCache whose hits are served from this process when Redis allows it."""
    settings = settings or load_settings()
    store = RedisStore(make_client("cache", settings))
    return ReportCache(ClientSideStore(store, tracking_client(settings), **limits))


# --8<-- [end:use]


if __name__ == "__main__":
    cache = local_report_cache()
    local = cache.store
    params = {"pharmacy": 12, "date": "2026-11-25"}

    def daily_sales() -> dict:
        return {"pharmacy": 12, "date": "2026-11-25", "total": "1843.20", "orders": 57}

    cache.invalidate("daily-sales", params)
    for _ in range(3):
        print(cache.get_or_load("daily-sales", params, daily_sales))
    print(f"local hits={local.stats.local_hits} remote reads={local.stats.remote_reads}")
    # Another client (another process, in the app) changes the key: Redis tells us.
    make_client("writer").unlink(report_key("daily-sales", params))
    time.sleep(0.05)  # the server's push travels like any reply (here: well under 1 ms)
    print(cache.get_or_load("daily-sales", params, lambda: {**daily_sales(), "orders": 58}))
    print(f"invalidated={local.stats.invalidated} local copies={len(local)}")
    local.close()
