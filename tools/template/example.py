"""Visit counter: one short recipe a page shows, as a reader would paste it.

Shown on docs/<section>/<page>.md (replace with the page that shows it).
Run ``python -m snippets.<area>.<name>`` to see it work against ``REDIS_URL``.
"""

from __future__ import annotations

import redis

# --8<-- [start:keys]
# One key per page, under the app's prefix: pharmacare:visits:<page>
PREFIX = "pharmacare:visits"
# --8<-- [end:keys]


# --8<-- [start:count-visit]
def count_visit(client: redis.Redis, page: str) -> int:
    """Add one visit to ``page`` and return the new total (INCR is atomic: no lost updates)."""
    return int(client.incr(f"{PREFIX}:{page}"))
# --8<-- [end:count-visit]


if __name__ == "__main__":
    # The demo reads its configuration exactly as the app does (REDIS_URL or Method 2).
    from snippets.config.client import make_client
    from snippets.config.settings import load_settings

    with make_client("cache", load_settings()) as client:
        total = count_visit(client, "home")
        print(f"home has {total} visit(s)")
