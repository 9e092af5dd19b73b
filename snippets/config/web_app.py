"""Where a web app creates its Redis clients: once per worker process, after the fork.

Shown on docs/setup/connections.md. A client made before gunicorn forks its workers
(``--preload``) would share sockets between processes; redis-py notices the new pid and
starts a fresh pool, but the clean way is to build clients in the worker itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from snippets.config.async_client import make_async_client
from snippets.config.client import make_client

# --8<-- [start:gunicorn]
# gunicorn.conf.py — sync workers (Flask, Django): one client per worker process.
clients: dict = {}


def post_fork(server, worker) -> None:  # gunicorn calls this in each new worker
    clients["cache"] = make_client("cache")
    clients["queue"] = make_client("queue")


# --8<-- [end:gunicorn]


# --8<-- [start:lifespan]
# FastAPI / Starlette: uvicorn --workers N starts N processes, each runs the lifespan.
@contextlib.asynccontextmanager
async def lifespan(app) -> AsyncIterator[None]:
    app.state.redis = make_async_client("cache")  # created inside the worker's event loop
    try:
        yield
    finally:
        await app.state.redis.aclose()  # app = FastAPI(lifespan=lifespan)


# --8<-- [end:lifespan]


if __name__ == "__main__":
    import asyncio
    import types

    post_fork(server=None, worker=None)
    print("sync worker PING ->", clients["cache"].ping())

    async def demo() -> None:
        app = types.SimpleNamespace(state=types.SimpleNamespace())
        async with lifespan(app):
            print("async worker PING ->", await app.state.redis.ping())

    asyncio.run(demo())
