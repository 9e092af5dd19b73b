"""snippets/config/web_app.py: per-worker clients for gunicorn and ASGI lifespans."""

from __future__ import annotations

import asyncio
import os
import types

from snippets.config import web_app
from tests.demos import run_demo


def test_post_fork_builds_clients_in_the_worker(redis_server, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_server.url())
    pid = os.fork()
    if pid == 0:  # the "worker": the hook runs here, after the fork
        code = 1
        try:
            web_app.post_fork(server=None, worker=None)
            web_app.clients["queue"].set("pharmacare:worker", os.getpid())
            code = 0 if web_app.clients["cache"].ping() else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with redis_server.admin() as admin:
        assert admin.get("pharmacare:worker") == str(pid)
    assert web_app.clients == {}  # the parent (gunicorn master) holds no client


def test_lifespan_opens_and_closes_the_client(redis_server, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_server.url())
    app = types.SimpleNamespace(state=types.SimpleNamespace())

    async def run() -> None:
        async with web_app.lifespan(app):
            assert await app.state.redis.set("pharmacare:lifespan", "1")
        with redis_server.admin() as admin:
            names = [c["name"] for c in admin.client_list()]
        assert "pharmacare-cache" not in names  # closed on shutdown

    asyncio.run(run())


def test_demo_runs(redis_server):
    env = {**os.environ, "REDIS_URL": redis_server.url()}
    out = run_demo("snippets.config.web_app", env=env)
    assert out.returncode == 0, out.stderr
    assert "sync worker PING -> True" in out.stdout
    assert "async worker PING -> True" in out.stdout
