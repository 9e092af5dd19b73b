"""Memory by key prefix: MEMORY USAGE over a SCAN sample, grouped, scaled up to DBSIZE.

Shown on docs/operations/memory-and-cost.md.
Run ``python -m snippets.monitoring.key_memory [SAMPLE]`` against the Redis in your
environment: it only reads (SCAN, MEMORY USAGE, DBSIZE, INFO) and never blocks the server.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass

import redis

from snippets.config.client import make_client

# --8<-- [start:measure]
VERSION = re.compile(r"v\d+")  # a key-format version such as "v1" is not an id


def prefix_of(key: bytes | str, depth: int = 5) -> str:
    """The key up to its first part with a digit in it (an id, a date), at most ``depth``
    parts: '…:report:daily-sales:date=2026-11-25:pharmacy=12' -> '…:report:daily-sales',
    '{pharmacare}:appointment-reminder:42' -> '{pharmacare}:appointment-reminder'."""
    parts = (key.decode(errors="replace") if isinstance(key, bytes) else key).split(":")
    keep = []
    for part in parts[:depth]:
        if any(c.isdigit() for c in part) and not VERSION.fullmatch(part) and keep:
            break
        keep.append(part)
    return ":".join(keep)


@dataclass(frozen=True)
class PrefixUsage:
    prefix: str
    sampled_keys: int
    sampled_bytes: int
    estimated_keys: int  # scaled up to the whole database
    estimated_bytes: int

    @property
    def bytes_per_key(self) -> int:
        return round(self.sampled_bytes / self.sampled_keys)


def measure(client: redis.Redis, sample: int = 1000, depth: int = 5) -> list[PrefixUsage]:
    """Bytes per key prefix, largest first. SCAN visits keys in hash order, a fair sample."""
    total_keys = client.dbsize()
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # prefix -> [keys, bytes]
    seen = 0
    for key in client.scan_iter(count=200):  # SCAN, never KEYS: it does not block the server
        size = client.memory_usage(key, samples=0)  # 0 = count every element of a hash/stream
        if size is None:
            continue  # the key expired between SCAN and MEMORY USAGE
        group = groups[prefix_of(key, depth)]
        group[0] += 1
        group[1] += size
        seen += 1
        if seen >= sample:
            break
    scale = total_keys / seen if seen else 0.0
    usages = [
        PrefixUsage(prefix, keys, size, round(keys * scale), round(size * scale))
        for prefix, (keys, size) in groups.items()
    ]
    return sorted(usages, key=lambda usage: usage.estimated_bytes, reverse=True)


# --8<-- [end:measure]


def table(usages: list[PrefixUsage]) -> str:
    """The measurement as a text table (sizes in KB)."""
    lines = [f"{'prefix':40} {'keys (est.)':>11} {'bytes/key':>9} {'total (est.)':>12}"]
    for u in usages:
        lines.append(
            f"{u.prefix:40} {u.estimated_keys:>11,} {u.bytes_per_key:>9,} "
            f"{u.estimated_bytes / 1024:>9,.0f} KB"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    client = make_client("monitor")
    usages = measure(client, int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
    print(table(usages))
    memory = client.info("memory")
    print(f"used_memory {memory['used_memory'] / 1024:,.0f} KB (keys and values, plus overhead)")
