"""Persistence: what would a restart of this server lose right now?

Shown on docs/operations/persistence.md.
Run ``python -m snippets.persistence.status`` to ask the Redis in your environment.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from snippets.config.client import make_client

# --8<-- [start:status]
AOF_LOSES = {  # what a crash can take: see the persistence page for process vs machine
    "always": "nothing acknowledged (AOF, appendfsync always)",
    "everysec": "the last 1-2 seconds of writes at worst (AOF, appendfsync everysec)",
    "no": "the writes the OS had not flushed yet, ~30 s at worst (AOF, appendfsync no)",
    None: "little: AOF is on (appendfsync unknown: CONFIG is blocked)",
}


@dataclass(frozen=True)
class PersistenceStatus:
    aof: bool | None  # appendonly yes/no
    appendfsync: str | None  # "always", "everysec" or "no"; None if CONFIG is blocked
    save: str | None  # RDB save points, "" = no snapshots; None if CONFIG is blocked
    changes_since_snapshot: int | None
    last_write_ok: bool | None  # False: the disk refused the last AOF write or snapshot
    keys: int

    def restart_loses(self) -> str:
        """What a restart would lose, in the words the persistence page uses."""
        if self.aof is None:
            return "unknown: the server does not report its persistence settings"
        if self.aof:
            return AOF_LOSES[self.appendfsync]
        if self.save:
            return f"the {self.changes_since_snapshot} changes since the last RDB snapshot"
        if self.save is None:
            return f"unknown: AOF is off; RDB snapshots unknown (CONFIG blocked); {self.keys} keys"
        return f"everything: AOF and RDB are both off ({self.keys} keys)"


def _config(client: redis.Redis, name: str) -> str | None:
    try:
        value = client.config_get(name).get(name)
    except redis.ResponseError:  # ElastiCache and others block CONFIG
        return None
    return value.decode() if isinstance(value, bytes) else value


def read_status(client: redis.Redis) -> PersistenceStatus:
    try:
        info = client.info("persistence")
    except redis.ResponseError:
        info = {}
    write_ok = None
    if info:
        write_ok = "err" not in (info["aof_last_write_status"], info["rdb_last_bgsave_status"])
    return PersistenceStatus(
        aof=bool(info["aof_enabled"]) if info else None,
        appendfsync=_config(client, "appendfsync"),
        save=_config(client, "save"),
        changes_since_snapshot=info.get("rdb_changes_since_last_save"),
        last_write_ok=write_ok,
        keys=client.dbsize(),
    )


# --8<-- [end:status]


if __name__ == "__main__":
    status = read_status(make_client("monitor"))
    print(status)
    print("a restart now loses:", status.restart_loses())
