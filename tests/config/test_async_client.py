"""snippets/config/async_client.py: the asyncio client on every server kind."""

from __future__ import annotations

import asyncio
import logging
import os

import pytest
import redis

from snippets.config.async_client import make_async_client
from snippets.config.client import RETRIES
from tests.demos import run_demo
from tools import harness


def test_async_client_connects_logs_once_and_recovers(redis_factory, monkeypatch, caplog):
    password = harness.random_password()
    server = redis_factory(password=password)
    monkeypatch.setenv("REDIS_URL", server.url(username="default"))
    caplog.set_level(logging.INFO, logger="pharmacare.redis")

    async def scenario() -> None:
        client = make_async_client("presence")
        await asyncio.gather(*(client.set(f"k{i}", i) for i in range(20)))
        assert await client.get("k19") == b"19"
        assert await client.client_getname() == "pharmacare-presence"
        server.kill9()
        server.restart()
        for _ in range(5):
            assert await client.ping()
        await client.aclose()

    asyncio.run(scenario())
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == (
        f"Presence Redis client connected: redis://default:***@127.0.0.1:{server.port}/0"
    )
    assert sum(m.startswith("Redis connection recovered") for m in messages) == 1
    assert len(messages) == 2
    assert password not in caplog.text


def test_async_wrong_password_is_not_retried(redis_factory, monkeypatch):
    server = redis_factory(password=harness.random_password())
    monkeypatch.setenv("REDIS_URL", server.url(password="wrong-password-123"))
    before = server.info("stats")["total_connections_received"]

    async def scenario() -> None:
        client = make_async_client()
        with pytest.raises(redis.AuthenticationError):
            await client.ping()
        await client.aclose()

    asyncio.run(scenario())
    assert server.info("stats")["total_connections_received"] - before == 2  # app + INFO


def test_async_tls_and_send_failure(redis_factory, monkeypatch):
    tls = harness.TLSFiles.create()
    server = redis_factory(tls=tls)
    query = f"ssl_ca_certs={tls.ca_cert}"
    monkeypatch.setenv("REDIS_URL", server.url(tls=True, query=query))

    async def scenario() -> None:
        client = make_async_client()
        assert await client.ping()
        conn = await client.connection_pool.get_connection()
        server.kill9()
        # The peer's close reaches this socket when the kernel (or, on Valkey, the TLS
        # front's thread) gets to it: keep writing until it does, for at most 30 s.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        with pytest.raises(redis.ConnectionError):
            while loop.time() < deadline:
                await conn.send_packed_command([b"*1\r\n$4\r\nPING\r\n" * 1000])
                await asyncio.sleep(0.01)
        await client.connection_pool.release(conn)
        await client.aclose()

    asyncio.run(scenario())


def test_demo_runs(redis_server):
    env = {**os.environ, "REDIS_URL": redis_server.url()}
    out = run_demo("snippets.config.async_client", env=env)
    assert out.returncode == 0, out.stderr
    assert "PING -> True" in out.stdout


def test_async_unix_socket_and_stale_probe(redis_factory, monkeypatch, tmp_path, caplog):
    socket_path = tmp_path / "redis.sock"
    server = redis_factory(config=(f"unixsocket {socket_path}", "unixsocketperm 700"))
    monkeypatch.setenv("REDIS_URL", f"unix://{socket_path}?db=1")

    async def scenario() -> None:
        client = make_async_client()
        assert await client.set("pharmacare:unix", "1")
        server.kill9()
        server.restart()  # the idle pooled connection now reads EOF
        assert await client.get("pharmacare:unix") is None  # no persistence: data gone
        await client.aclose()

    caplog.set_level(logging.INFO, logger="pharmacare.redis")
    asyncio.run(scenario())
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "Redis cache connected successfully",
        "Redis connection recovered",
    ]


def test_async_three_retries_mean_four_attempts(silent_peer, monkeypatch):
    monkeypatch.setenv(
        "REDIS_URL",
        f"redis://127.0.0.1:{silent_peer.port}/0?socket_connect_timeout=0.2&socket_timeout=0.2",
    )

    async def scenario() -> None:
        client = make_async_client()
        with pytest.raises(redis.TimeoutError):
            await client.set("pharmacare:k", "v")
        await client.aclose()

    asyncio.run(scenario())
    assert len(silent_peer.accepted) == 1 + RETRIES
