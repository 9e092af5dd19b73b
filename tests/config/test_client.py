"""snippets/config/client.py: the client factory on every server kind."""

from __future__ import annotations

import logging
import os

import pytest
import redis

from snippets.config import client as client_mod
from snippets.config.settings import load_settings
from tests.demos import run_demo
from tools import harness


def _normalise(text: str, server: harness.Server) -> str:
    return text.replace(f":{server.port}", ":6379")


def test_connects_from_redis_url_and_logs_once(redis_factory, monkeypatch, caplog, capture):
    password = harness.random_password()
    server = redis_factory(password=password)
    monkeypatch.setenv("REDIS_URL", server.url(username="default"))
    caplog.set_level(logging.INFO, logger="pharmacare.redis")
    client = client_mod.make_client()
    for i in range(20):
        client.set(f"k{i}", i)
    assert client.get("k19") == b"19"
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        f"Redis cache connected successfully: redis://default:***@127.0.0.1:{server.port}/0"
    ]
    assert password not in caplog.text
    record = caplog.records[0]
    capture(
        "client-connected",
        _normalise(f"{record.levelname} {record.name}: {record.getMessage()}", server),
        normalised="the port number (shown as 6379)",
    )
    client.close()


def test_method_2_and_purpose_messages(redis_factory, monkeypatch, caplog):
    password = "p@ss/w#rd?" + harness.random_password()
    server = redis_factory(password=password)
    for name, value in {
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(server.port),
        "REDIS_PASSWORD": password,
        "REDIS_DB": "2",
    }.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.INFO, logger="pharmacare.redis")
    client = client_mod.make_client("queue")
    client.set("x", "1")
    assert client.connection_pool.connection_kwargs["db"] == 2
    assert client.client_getname() == "pharmacare-queue"
    assert "Queue Redis client connected" in caplog.text
    assert password not in caplog.text
    client.close()


def test_recovery_logged_once_after_restart(redis_factory, monkeypatch, caplog):
    server = redis_factory()
    monkeypatch.setenv("REDIS_URL", server.url())
    caplog.set_level(logging.INFO, logger="pharmacare.redis")
    client = client_mod.make_client()
    pipes = [client.connection_pool.get_connection() for _ in range(3)]  # three pooled conns
    for conn in pipes:
        client.connection_pool.release(conn)
    client.ping()
    server.kill9()
    server.restart()
    for _ in range(10):  # stale pooled connections fail and are retried transparently
        assert client.ping()
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0].startswith("Redis cache connected successfully")
    assert messages.count(messages[0]) == 1
    assert sum(m.startswith("Redis connection recovered") for m in messages) == 1
    client.close()


def test_wrong_password_is_not_retried(redis_factory, monkeypatch):
    server = redis_factory(password=harness.random_password())
    monkeypatch.setenv("REDIS_URL", server.url(password="wrong-password-123"))
    before = server.info("stats")["total_connections_received"]
    client = client_mod.make_client()
    with pytest.raises(redis.AuthenticationError):
        client.ping()
    after = server.info("stats")["total_connections_received"]
    assert after - before == 2  # one attempt by the app + our own INFO connection
    client.close()


def test_refused_is_retried_three_times(redis_factory, monkeypatch):
    closed = redis_factory.closed_port()
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{closed.port}/0")
    attempts = []
    client = client_mod.make_client()
    pool = client.connection_pool
    original = pool.connection_class._connect

    def counting(self):
        attempts.append(1)
        return original(self)

    monkeypatch.setattr(pool.connection_class, "_connect", counting)
    with pytest.raises(redis.ConnectionError, match="Connection refused"):
        client.ping()
    assert len(attempts) == 1 + client_mod.RETRIES
    client.close()


def test_demo_runs(redis_server):
    env = {**os.environ, "REDIS_URL": redis_server.url()}
    out = run_demo("snippets.config.client", env=env)
    assert out.returncode == 0, out.stderr
    assert "PING -> True" in out.stdout
    assert "Redis cache connected successfully" in out.stderr


def test_settings_target_is_redacted(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "rediss://default:s3cret-value-xyz@cache.example.com:6380/1")
    settings = load_settings()
    assert "s3cret-value-xyz" not in repr(settings)
    assert settings.target == "rediss://default:***@cache.example.com:6380/1"


def test_send_failure_marks_the_client_down(redis_factory, monkeypatch, caplog):
    server = redis_factory()
    monkeypatch.setenv("REDIS_URL", server.url())
    caplog.set_level(logging.INFO, logger="pharmacare.redis")
    client = client_mod.make_client()
    conn = client.connection_pool.get_connection()
    server.kill9()
    with pytest.raises(redis.ConnectionError):
        for _ in range(50):  # the first sends may still land in the kernel buffer
            conn.send_packed_command([b"*1\r\n$4\r\nPING\r\n" * 1000])
    client.connection_pool.release(conn)
    server.restart()
    assert client.ping()
    assert "Redis connection recovered" in caplog.text
    client.close()


def test_clients_are_created_after_fork(redis_server, monkeypatch):
    """A worker process (gunicorn, prefork) builds its own client; both keep working."""
    monkeypatch.setenv("REDIS_URL", redis_server.url())
    parent = client_mod.make_client()
    parent.set("pharmacare:parent", os.getpid())
    pid = os.fork()
    if pid == 0:  # the child: a new pool, never the parent's sockets
        code = 1
        try:
            child = client_mod.make_client()
            child.set("pharmacare:child", os.getpid())
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert parent.get("pharmacare:child") == str(pid).encode()
    assert parent.get("pharmacare:parent") == str(os.getpid()).encode()
    parent.close()


def test_pubsub_messages_are_not_mistaken_for_an_outage(redis_server, monkeypatch, caplog):
    monkeypatch.setenv("REDIS_URL", redis_server.url())
    caplog.set_level(logging.INFO, logger="pharmacare.redis")
    client = client_mod.make_client("presence")
    pubsub = client.pubsub()
    pubsub.subscribe("pharmacare:presence")
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    for i in range(3):
        client.publish("pharmacare:presence", f"event {i}")
        assert pubsub.get_message(timeout=2)["data"] == f"event {i}".encode()
    client.ping()
    pubsub.close()
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "Presence Redis client connected"
    ]
    client.close()


def test_three_retries_mean_four_attempts_in_all(silent_peer, monkeypatch):
    """redis-py nests retries (command → reconnect → health-check PING): 16 connections
    against a hung server without ConnectionRetry's single outer loop."""
    monkeypatch.setenv(
        "REDIS_URL",
        f"redis://127.0.0.1:{silent_peer.port}/0?socket_connect_timeout=0.2&socket_timeout=0.2",
    )
    client = client_mod.make_client()
    with pytest.raises(redis.TimeoutError):
        client.set("pharmacare:k", "v")
    assert len(silent_peer.accepted) == 1 + client_mod.RETRIES
    client.close()
