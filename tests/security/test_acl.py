"""snippets/security/acl.py: the app's ACL user can do its work and nothing dangerous."""

from __future__ import annotations

import pytest
import redis

from snippets.config.client import make_client
from snippets.security.acl import APP_USERNAME, DENIED, acl_rules, create_app_user
from tests.demos import run_demo
from tools import harness


@pytest.fixture
def app_server(redis_factory, monkeypatch):
    """A server with the app user created through the snippet, REDIS_URL set to that user."""
    admin_password, app_password = harness.random_password(), harness.random_password()
    server = redis_factory(password=admin_password)
    with server.admin() as admin:
        create_app_user(admin, app_password)
    monkeypatch.setenv("REDIS_URL", server.url(username=APP_USERNAME, password=app_password))
    return server


def test_app_user_works_on_its_prefixes(app_server):
    client = make_client()
    client.set("pharmacare:report:v1:daily-sales", "{}", ex=60)
    client.zadd("pharmacare:presence:online", {"user:1": 1.0})
    client.hset("{pharmacare}:appointment-reminder:1", mapping={"data": "{}"})
    assert client.get("pharmacare:report:v1:daily-sales") == b"{}"
    assert list(client.scan_iter(match="pharmacare:*")) != []
    assert client.eval("return redis.call('INCR', KEYS[1])", 1, "pharmacare:counter") == 1
    assert client.publish("pharmacare:presence", "hello") == 0
    assert "redis_version" in client.info("server")
    with client.pipeline() as pipe:
        pipe.incr("pharmacare:a").expire("pharmacare:a", 60).execute()
    with app_server.admin() as admin:  # the app's connection: its user and its client name
        assert any(
            c["user"] == APP_USERNAME and c["name"] == "pharmacare-cache"
            for c in admin.client_list()
        )
    client.close()


@pytest.mark.parametrize(
    "command",
    [
        ("SET", "other:key", "x"),
        ("GET", "session:123"),
        ("PUBLISH", "other-channel", "x"),
        *[
            (name, *args)
            for name, args in zip(
                DENIED, [(), (), ("GET", "maxmemory"), ("*",), ("SLEEP", "0")], strict=True
            )
        ],
    ],
)
def test_everything_else_is_denied(app_server, command):
    client = make_client()
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.execute_command(*command)
    client.close()


def test_rules_are_valid_in_an_acl_line(redis_factory):
    password = harness.random_password()
    server = redis_factory(acl_users=(f"{APP_USERNAME} " + " ".join(acl_rules(password)),))
    with redis.Redis(
        port=server.port, username=APP_USERNAME, password=password, retry=harness.NO_RETRY
    ) as client:
        assert client.set("pharmacare:x", 1)


def test_demo_prints_a_placeholder_line():
    out = run_demo("snippets.security.acl", check=True)
    assert out.stdout.startswith(f"user {APP_USERNAME} reset on >PASSWORD ~pharmacare:*")


def test_capture_noperm(app_server, capture):
    client = make_client()
    with pytest.raises(redis.exceptions.NoPermissionError) as info:
        client.execute_command("FLUSHALL")
    capture("acl-noperm", f"redis.exceptions.NoPermissionError: {info.value}")
    client.close()
