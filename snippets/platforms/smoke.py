"""Post-deploy smoke check: connect exactly as the app does and say what answered.

Shown on docs/platforms/index.md (each platform page says when to run it). Run it in the
platform's shell after a deploy (Render Shell, ``heroku run``, ``railway run``,
``docker compose exec``): ``python -m snippets.platforms.smoke``.
"""

from __future__ import annotations

import redis

from snippets.config.client import make_client
from snippets.config.settings import load_settings

# --8<-- [start:describe]
QUEUE_POLICY = "noeviction"  # background jobs must never be evicted


def describe(client: redis.Redis) -> dict[str, str]:
    """PING, then the server's name and version, memory limit and eviction policy.

    Reads INFO only: some managed platforms (ElastiCache) block the CONFIG command.
    """
    client.ping()
    server = client.info("server")
    memory = client.info("memory")
    name = server.get("server_name", "redis")  # Valkey reports server_name:valkey
    version = server.get("valkey_version", server["redis_version"])
    limit = memory["maxmemory_human"] if memory["maxmemory"] else "no limit"
    return {
        "server": f"{name} {version}",
        "maxmemory": limit,
        "policy": memory["maxmemory_policy"],
    }


# --8<-- [end:describe]


def main() -> int:
    settings = load_settings()  # REDIS_URL (or REDIS_HOST & co), exactly as the app reads it
    client = make_client("smoke", settings)
    facts = describe(client)
    print(f"connected to {settings.target}")
    for key, value in facts.items():
        print(f"  {key}: {value}")
    if facts["policy"] != QUEUE_POLICY:
        print(f"  warning: queues need maxmemory-policy {QUEUE_POLICY}")
    client.close()
    return 0



if __name__ == "__main__":
    raise SystemExit(main())
