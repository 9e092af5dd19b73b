"""AWS ElastiCache (Valkey / Redis OSS): TLS with an AUTH token or an RBAC user, CONFIG
blocked, and cluster mode enabled (snippets/platforms/elasticache.py).

Amazon's certificates are publicly trusted; the imitation's test CA is trusted through
SSL_CERT_FILE. Cluster mode with TLS needs native TLS on every node: Redis kind only.
The MOVED mistake runs on a plaintext cluster on both kinds.
"""

from __future__ import annotations

import pytest
import redis
from redis.cluster import RedisCluster
from redis.crc import key_slot

from snippets.config.client import make_client
from snippets.config.settings import load_settings
from snippets.platforms.elasticache import describe_cluster
from snippets.platforms.smoke import describe
from snippets.scaling.cluster import make_app_client
from tests.platforms.imitate import (
    error_line,
    first_error,
    localize,
    normalise,
    read_env,
    run_module,
)
from tools import harness

# The shown files this module validates (the site's badge for them links here).
SHOWS = (
    "snippets/platforms/elasticache-auth-token.env",
    "snippets/platforms/elasticache-cluster.env",
    "snippets/platforms/elasticache-rbac.env",
)

CONFIG_OFF = 'rename-command CONFIG ""'  # what ElastiCache does to CONFIG
APP_USER = "pharmacare-app"


@pytest.fixture
def trusted_tls(monkeypatch):
    tls = harness.TLSFiles.create()
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_cert))
    return tls


def test_elasticache_auth_token_over_tls(redis_factory, trusted_tls, capture):
    token = harness.random_password(32)  # AUTH tokens: 16–128 printable characters
    server = redis_factory(password=token, tls=trusted_tls, config=(CONFIG_OFF,))
    url = localize(
        read_env("elasticache-auth-token.env")["REDIS_URL"], server.tls_port, password=token
    )
    assert url.startswith("rediss://:") and url.endswith("/0")
    client = make_client("cache", load_settings({"REDIS_URL": url}))
    assert describe(client)["policy"] == "noeviction"  # read from INFO: works without CONFIG
    with pytest.raises(redis.ResponseError) as blocked:
        client.config_get("maxmemory-policy")
    assert "unknown command" in str(blocked.value)
    capture("elasticache-config-blocked", error_line(blocked.value))
    client.close()


def test_elasticache_auth_without_tls(redis_factory, trusted_tls, capture):
    token = harness.random_password(32)
    server = redis_factory(password=token, tls=trusted_tls)
    url = localize(
        read_env("elasticache-auth-token.env")["REDIS_URL"], server.tls_port, password=token
    )
    client = make_client("cache", load_settings({"REDIS_URL": url.replace("rediss", "redis", 1)}))
    error = first_error(client)
    assert isinstance(error, redis.ConnectionError)
    assert token not in str(error)
    capture(
        "elasticache-plaintext",
        normalise(error_line(error), {server.tls_port: 6379}),
        normalised="the local port (shown as 6379)",
    )
    client.close()


def test_elasticache_rbac_user_over_tls(redis_factory, trusted_tls, capture):
    password = harness.random_password(32)
    server = redis_factory(
        tls=trusted_tls,
        acl_users=("default off", f"{APP_USER} on >{password} ~* &* +@all -@admin"),
        config=(CONFIG_OFF,),
    )
    url = localize(
        read_env("elasticache-rbac.env")["REDIS_URL"], server.tls_port, password=password
    )
    client = make_client("cache", load_settings({"REDIS_URL": url}))
    assert client.acl_whoami() == APP_USER
    assert describe(client)["server"]
    client.close()

    # RBAC supersedes AUTH: a token-style URL (no user name) is the disabled default user.
    token_style = url.replace(f"{APP_USER}:", ":", 1)
    client = make_client("cache", load_settings({"REDIS_URL": token_style}))
    error = first_error(client)
    assert isinstance(error, redis.AuthenticationError)
    assert password not in str(error)
    capture("elasticache-rbac-no-user", error_line(error))
    client.close()


@pytest.mark.kinds("redis")
def test_elasticache_cluster_mode_over_tls(redis_factory, trusted_tls, monkeypatch):
    password = harness.random_password(32)
    cluster = redis_factory.cluster(
        password=harness.random_password(),
        tls=trusted_tls,
        config=(CONFIG_OFF, f"user {APP_USER} on >{password} ~* &* +@all -@admin"),
    )
    url = localize(
        read_env("elasticache-cluster.env")["REDIS_URL"],
        cluster.nodes[0].tls_port,
        password=password,
    )
    env = read_env("elasticache-cluster.env")
    assert env["REDIS_CLUSTER"] == "true"
    monkeypatch.setenv("REDIS_CLUSTER", env["REDIS_CLUSTER"])
    monkeypatch.setenv("REDIS_URL", url)
    client = make_app_client("cache")
    assert isinstance(client, RedisCluster)
    for i in range(30):  # keys spread over all three shards
        client.set(f"pharmacare:report:{i}", i)
    assert client.get("pharmacare:report:29") == b"29"
    assert describe_cluster(client) == {"primaries": "3", "policy": "noeviction"}
    assert {n.port for n in client.get_primaries()} == {n.tls_port for n in cluster.nodes}
    client.close()

    result = run_module(
        "snippets.platforms.elasticache",
        {"REDIS_URL": url, "REDIS_CLUSTER": "true", "SSL_CERT_FILE": str(trusted_tls.ca_cert)},
    )
    assert result.returncode == 0, result.stderr
    assert "read back: b'ok'" in result.stdout and "primaries: 3" in result.stdout
    assert password not in result.stdout + result.stderr


def test_elasticache_plain_client_on_a_cluster_gets_moved(redis_factory, capture, monkeypatch):
    """The mistake: cluster mode enabled, but REDIS_CLUSTER not set: a plain client."""
    password = harness.random_password(32)
    cluster = redis_factory.cluster(
        password=harness.random_password(),
        config=(CONFIG_OFF, f"user {APP_USER} on >{password} ~* &* +@all -@admin"),
    )
    # plaintext here so both kinds run it; the mistake is the client class, not TLS
    shape = read_env("elasticache-cluster.env")["REDIS_URL"].replace("rediss", "redis", 1)
    url = localize(shape, cluster.nodes[0].port, password=password)
    key = "pharmacare:session:42"
    assert key_slot(key.encode()) == 13741  # served by the third primary
    client = make_client("cache", load_settings({"REDIS_URL": url}))
    with pytest.raises(redis.exceptions.MovedError) as moved:
        client.set(key, "x")
    capture(
        "elasticache-moved",
        normalise(error_line(moved.value), {n.port: 6379 for n in cluster.nodes}),
        normalised="node ports (shown as 6379)",
    )
    client.close()
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.setenv("REDIS_CLUSTER", "true")
    client = make_app_client("cache")
    assert client.set(key, "x")  # the cluster client follows the redirection
    client.close()
    result = run_module(
        "snippets.platforms.elasticache", {"REDIS_URL": url, "REDIS_CLUSTER": "true"}
    )
    assert result.returncode == 0, result.stderr
    assert "primaries: 3" in result.stdout and "policy: noeviction" in result.stdout
