"""Report cache: cache-aside with a TTL per data type, stampede protection and hit counters.

Shown on docs/usage/caching.md. The Python version of the seed's ``RedisCacheService``.
Run ``python -m snippets.cache.report_cache`` to load a report twice and print the counters.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Protocol
from urllib.parse import quote

import msgspec
import redis

log = logging.getLogger("pharmacare.cache")

# --8<-- [start:ttl-table]
# How long each kind of report stays fresh. One table: change a TTL here, nowhere else.
REPORT_TTL: dict[str, timedelta] = {
    "inventory-levels": timedelta(minutes=5),  # changes with every sale
    "daily-sales": timedelta(minutes=5),
    "appointment-stats": timedelta(minutes=10),
    "adherence-summary": timedelta(minutes=15),
    "monthly-revenue": timedelta(minutes=30),  # closed periods barely change
    "analytics-dashboard": timedelta(minutes=30),
}
STALE_FOR = timedelta(minutes=2)  # after its TTL an entry may still be served while one reloads
JITTER = 0.10  # ±10 % on every TTL, so entries written together do not expire together
MAX_VALUE_BYTES = 512 * 1024  # larger results are returned but not cached
# --8<-- [end:ttl-table]

# --8<-- [start:keys]
# pharmacare:cache:v1:report:daily-sales:date=2026-11-25:pharmacy=12
#   prefix  | version | family | report type | parameters, sorted, values percent-encoded
# (a report without parameters ends in ":all"). Bump KEY_VERSION when the cached JSON
# changes shape: old entries are never read again and expire on their TTL — no flush.
KEY_VERSION = "v1"
PREFIX = f"pharmacare:cache:{KEY_VERSION}:report"
LOCKS = f"pharmacare:cache:{KEY_VERSION}:loading"  # "one loader" locks, outside the families
NO_PARAMS: Mapping[str, object] = MappingProxyType({})


def _encode(value: object) -> str:
    # percent-encoding keeps ":" and the glob characters * ? [ ] out of key segments; ids
    # made of ASCII letters and digits alone (most of them) are left as they are, as quote
    # would leave them, without its cost on every cache hit
    text = str(value)
    return text if text.isascii() and text.isalnum() else quote(text, safe="")


def _segments(params: Mapping[str, object]) -> list[str]:
    return [f"{name}={_encode(value)}" for name, value in sorted(params.items())]


def report_key(report: str, params: Mapping[str, object]) -> str:
    if report not in REPORT_TTL:
        raise KeyError(f"unknown report type {report!r}: add it to REPORT_TTL")
    return ":".join([PREFIX, report, *(_segments(params) or ["all"])])


def family_pattern(report: str, params: Mapping[str, object] = NO_PARAMS) -> str:
    """SCAN pattern for all keys of a report type that have these parameters."""
    return f"{PREFIX}:{report}:*" + "".join(f"{seg}*" for seg in _segments(params))


def in_family(key: str, report: str, params: Mapping[str, object] = NO_PARAMS) -> bool:
    """Exact check after SCAN's glob (pharmacy=12* also matches pharmacy=123)."""
    head, segments = f"{PREFIX}:{report}:", key.split(":")
    return key.startswith(head) and all(seg in segments for seg in _segments(params))


# --8<-- [end:keys]


# --8<-- [start:decode]
_DECODE = msgspec.json.Decoder().decode


def decode_json(data: bytes) -> Any:
    """json.loads, faster (`make bench` measures a hit): msgspec reads what json.dumps writes,
    into the same values; json.loads gets the rest (an escaped lone surrogate, or garbage,
    which raises ValueError as before)."""
    try:
        return _DECODE(data)
    except msgspec.DecodeError:
        return json.loads(data)


# --8<-- [end:decode]


# --8<-- [start:store]
class CacheStore(Protocol):
    """What the caches need from a backend: Redis, memory (running without Redis), or both."""

    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, ttl_ms: int) -> None: ...
    def add(self, key: str, value: bytes, ttl_ms: int) -> bool: ...  # set only if absent
    def delete(self, *keys: str) -> int: ...
    def scan(self, pattern: str) -> Iterator[str]: ...


class RedisStore:
    """The CacheStore on Redis: GET, SET PX, SET NX PX, UNLINK and SCAN — never KEYS."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def get(self, key: str) -> bytes | None:
        return self.client.get(key)

    def set(self, key: str, value: bytes, ttl_ms: int) -> None:
        self.client.set(key, value, px=ttl_ms)

    def add(self, key: str, value: bytes, ttl_ms: int) -> bool:
        return bool(self.client.set(key, value, px=ttl_ms, nx=True))

    def delete(self, *keys: str) -> int:
        return self.client.unlink(*keys) if keys else 0  # UNLINK frees memory off-thread

    def scan(self, pattern: str) -> Iterator[str]:
        # SCAN walks the keyspace in small steps; KEYS would block the server while it
        # reads every key (and is denied to the app's ACL user anyway).
        for key in self.client.scan_iter(match=pattern, count=500):
            yield key.decode() if isinstance(key, bytes) else key


# --8<-- [end:store]


# --8<-- [start:stats]
@dataclass
class CacheStats:
    """Counters for this process. Export them to your metrics system; don't INCR per read."""

    hits: int = 0
    stale: int = 0  # served after the TTL while another request reloaded it
    misses: int = 0
    loads: int = 0  # calls to the loader (the database), including after a wait timed out
    too_large: int = 0

    @property
    def hit_ratio(self) -> float:
        served = self.hits + self.stale
        total = served + self.misses
        return served / total if total else 0.0


# --8<-- [end:stats]


class ReportCache:
    """Cache-aside for reports and analytics, on any CacheStore."""

    def __init__(
        self,
        store: CacheStore,
        *,
        lock_ms: int = 10_000,  # longest a loader may hold the "I am loading" lock
        wait_ms: int = 2_000,  # longest a request waits for another one's load
        poll_ms: int = 25,
    ) -> None:
        self.store, self.lock_ms, self.wait_ms, self.poll_ms = store, lock_ms, wait_ms, poll_ms
        self.stats = CacheStats()
        self._stats_lock = threading.Lock()

    def _count(self, name: str) -> None:
        with self._stats_lock:
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    # --8<-- [start:encode]
    def _write(self, key: str, report: str, value: Any) -> None:
        ttl_ms = REPORT_TTL[report] / timedelta(milliseconds=1)
        fresh_ms = int(ttl_ms * random.uniform(1 - JITTER, 1 + JITTER))
        # Strict JSON: dates, Decimals and the like must be converted by the loader, so a
        # cached report reads back exactly as a fresh one would serialise.
        envelope = {"fresh_until": time.time() + fresh_ms / 1000, "value": value}
        data = json.dumps(envelope, separators=(",", ":"), allow_nan=False).encode()
        if len(data) > MAX_VALUE_BYTES:
            self._count("too_large")
            log.warning("not caching %s: %d bytes > %d", key, len(data), MAX_VALUE_BYTES)
            return
        self.store.set(key, data, fresh_ms + int(STALE_FOR / timedelta(milliseconds=1)))

    def _read(self, key: str) -> tuple[Any, bool] | None:
        """(value, fresh) or None. An unreadable entry counts as a miss."""
        data = self.store.get(key)
        if data is None:
            return None
        try:
            envelope = decode_json(data)
            return envelope["value"], time.time() < envelope["fresh_until"]
        except (ValueError, KeyError, TypeError):
            return None

    # --8<-- [end:encode]

    # --8<-- [start:get-or-load]
    def get_or_load(
        self, report: str, params: Mapping[str, object], loader: Callable[[], Any]
    ) -> Any:
        """The cached report if fresh; else exactly one caller loads it while others wait
        (no entry yet) or get the stale entry (expired, within STALE_FOR)."""
        key = report_key(report, params)
        entry = self._read(key)
        if entry is not None and entry[1]:
            self._count("hits")
            return entry[0]
        lock = f"{LOCKS}:{key.removeprefix(PREFIX + ':')}"
        if self.store.add(lock, b"1", self.lock_ms):  # SET NX PX: we are the one loader
            self._count("misses")
            try:
                return self._load(key, report, loader, stale=entry)
            finally:
                self.store.delete(lock)
        if entry is not None:  # someone else is reloading: the stale copy is good enough
            self._count("stale")
            return entry[0]
        self._count("misses")  # no entry and someone else is loading it
        deadline = time.monotonic() + self.wait_ms / 1000
        while time.monotonic() < deadline:  # wait for the loader's result …
            time.sleep(self.poll_ms / 1000)
            entry = self._read(key)
            if entry is not None:
                return entry[0]
        return self._load(key, report, loader)  # … or give up waiting and load it ourselves

    def _load(self, key: str, report: str, loader: Callable[[], Any], stale=None) -> Any:
        self._count("loads")
        try:
            value = loader()
        except Exception:
            if stale is None:
                raise
            log.warning("reloading %s failed; serving the stale copy", key, exc_info=True)
            self._count("stale")
            return stale[0]
        self._write(key, report, value)
        return value

    # --8<-- [end:get-or-load]

    # --8<-- [start:invalidate]
    def invalidate(self, report: str, params: Mapping[str, object]) -> int:
        """Drop one report, e.g. after a sale changes today's figures."""
        return self.store.delete(report_key(report, params))

    def invalidate_family(self, report: str, params: Mapping[str, object] = NO_PARAMS) -> int:
        """Drop every cached variant of a report type (or of one pharmacy's variants).

        SCAN-based: it does not block the server, but keys written while it runs may be
        missed — they carry a TTL, and readers after the change reload anyway.
        """
        deleted, batch = 0, []
        for key in self.store.scan(family_pattern(report, params)):
            if not in_family(key, report, params):
                continue
            batch.append(key)
            if len(batch) == 500:
                deleted += self.store.delete(*batch)
                batch = []
        return deleted + self.store.delete(*batch)

    # --8<-- [end:invalidate]


if __name__ == "__main__":
    from snippets.config.client import make_client

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cache = ReportCache(RedisStore(make_client("cache")))

    def daily_sales() -> dict:
        time.sleep(0.05)  # the database query
        return {"pharmacy": 12, "date": "2026-11-25", "total": "1843.20", "orders": 57}

    params = {"pharmacy": 12, "date": "2026-11-25"}
    print("key:", report_key("daily-sales", params))
    for _ in range(3):
        print(cache.get_or_load("daily-sales", params, daily_sales))
    print(
        f"loads={cache.stats.loads} hits={cache.stats.hits} misses={cache.stats.misses} "
        f"hit ratio={cache.stats.hit_ratio:.2f}"
    )
    print("invalidated:", cache.invalidate_family("daily-sales", {"pharmacy": 12}))
