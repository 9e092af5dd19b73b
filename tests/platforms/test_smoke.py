"""snippets/platforms/smoke.py: the post-deploy check every platform page uses."""

from __future__ import annotations

from snippets.config.client import make_client
from snippets.config.settings import load_settings
from snippets.platforms import smoke
from tests.platforms.imitate import normalise, run_module
from tools import harness


def test_describe_names_the_server_kind(redis_factory, server_kind):
    server = redis_factory(maxmemory="25mb", maxmemory_policy="noeviction")
    client = make_client("smoke", load_settings({"REDIS_URL": server.url()}))
    facts = smoke.describe(client)
    assert facts == {
        "server": f"{server_kind.name} {server_kind.version}",
        "maxmemory": "25.00M",
        "policy": "noeviction",
    }
    client.close()


def test_main_prints_target_and_warns_about_eviction(redis_factory, monkeypatch, capsys):
    password = harness.random_password()
    server = redis_factory(password=password, maxmemory_policy="allkeys-lru")
    monkeypatch.setenv("REDIS_URL", server.url(username="default"))
    assert smoke.main() == 0
    out = capsys.readouterr().out
    assert f"connected to redis://default:***@127.0.0.1:{server.port}/0" in out
    assert "maxmemory: no limit" in out
    assert "warning: queues need maxmemory-policy noeviction" in out
    assert password not in out


def test_demo_runs(redis_factory, server_kind, capture):
    password = harness.random_password()
    server = redis_factory(password=password, maxmemory="25mb", maxmemory_policy="noeviction")
    result = run_module("snippets.platforms.smoke", {"REDIS_URL": server.url(username="default")})
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stdout
    assert password not in result.stdout + result.stderr
    capture(
        "platform-smoke",
        normalise(result.stdout, {server.port: 6379}),
        normalised="the port number (shown as 6379)",
    )
