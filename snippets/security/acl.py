"""Least-privilege ACL user for the app: only its key prefixes and the commands it needs.

Shown on docs/operations/security.md. Every key the app writes starts with ``pharmacare:``
(caches, presence) or ``{pharmacare}:`` (BullMQ queues; the hash tag keeps a queue's keys in
one cluster slot); pub/sub channels start with ``pharmacare:``.
"""

from __future__ import annotations

import redis

# --8<-- [start:rule]
APP_USERNAME = "pharmacare-app"
KEY_PATTERNS = ("~pharmacare:*", "~{pharmacare}:*")
CHANNEL_PATTERNS = ("&pharmacare:*",)
COMMANDS = (
    "-@all",  # start from nothing
    "+@read",
    "+@write",
    "+@keyspace",  # data commands on the key patterns above
    "+@connection",
    "+@transaction",
    "+@pubsub",  # AUTH/HELLO/CLIENT SETNAME, MULTI, pub/sub
    "+@scripting",  # BullMQ runs Lua scripts (on the same key patterns)
    "-@dangerous",  # KEYS, FLUSHALL, FLUSHDB, SWAPDB, SORT, MIGRATE, …
    "+info",  # read-only server stats: BullMQ's version check, the doctor, monitoring
    "-keys",
    "-flushall",
    "-flushdb",
    "-config",
    "-debug",  # spelled out for reviewers
)
DENIED = ("FLUSHALL", "FLUSHDB", "CONFIG", "KEYS", "DEBUG")


def acl_rules(password: str) -> list[str]:
    """The ACL SETUSER rules for the app user (also valid after ``user NAME`` in a file)."""
    return [
        "reset",
        "on",
        f">{password}",
        *KEY_PATTERNS,
        "resetchannels",
        *CHANNEL_PATTERNS,
        *COMMANDS,
    ]


def create_app_user(admin: redis.Redis, password: str) -> None:
    """Run once as an administrator (managed services: use their console/RBAC instead)."""
    admin.execute_command("ACL", "SETUSER", APP_USERNAME, *acl_rules(password))


# --8<-- [end:rule]


if __name__ == "__main__":
    # The line for an ACL file (aclfile) or redis.conf; replace PASSWORD with a secret.
    print("user", APP_USERNAME, *acl_rules("PASSWORD"))
