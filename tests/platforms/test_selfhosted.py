"""Self-hosted / Docker Compose: the shown redis.conf is the file these servers run;
compose.yaml is validated by parsing and interpolating it (Docker cannot run here);
selfhosted.env is the .env Compose reads.

Protected mode answers DENIED to a client from 127.0.0.2 on Redis 7; Valkey 8 treats all of
127.0.0.0/8 as local and lets it in, so that test runs on the Redis kind.
"""

from __future__ import annotations

import re
import socket

import pytest
import redis
import yaml

from snippets.config.client import make_client
from snippets.config.settings import load_settings
from tests.platforms.imitate import PLATFORMS, error_line, first_error, localize, read_env
from tools import harness

# The shown files this module validates (the site's badge for them links here).
SHOWS = (
    "snippets/platforms/compose.yaml",
    "snippets/platforms/redis.conf",
    "snippets/platforms/selfhosted.env",
)

CONF = PLATFORMS / "redis.conf"
COMPOSE = PLATFORMS / "compose.yaml"
PLACEHOLDER = "CHANGE-ME-to-a-long-random-password"  # requirepass in redis.conf


def directives(path=CONF) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition(" ")
            found[name] = value
    return found


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation: $$ is a literal $, ${VAR} and ${VAR:?message}."""

    def value(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        if not env.get(name):
            raise KeyError(f"{name}: {match.group(2) or 'unset'}")
        return env[name]

    return re.sub(r"\$\$|\$\{(\w+)(?::\?([^}]*))?\}", value, text)


def compose(password: str) -> dict:
    env = read_env("selfhosted.env")
    env["REDIS_PASSWORD"] = password  # the reader's .env, with a real password
    return yaml.safe_load(interpolate(COMPOSE.read_text(), env))


def test_selfhosted_redis_conf_is_what_the_server_runs(redis_factory):
    server = redis_factory(include=CONF)  # the file as shown; the harness adds port/bind/dir
    admin = server.admin(password=PLACEHOLDER)
    settings = {
        name: admin.config_get(name)[name]
        for name in ("protected-mode", "maxmemory", "maxmemory-policy", "appendfsync")
    }
    assert settings == {
        "protected-mode": "yes",
        "maxmemory": str(256 * 1024 * 1024),
        "maxmemory-policy": "noeviction",
        "appendfsync": "everysec",
    }
    shown = directives()
    assert shown["requirepass"] == PLACEHOLDER and shown["bind"] == "* -::*"
    assert shown["appendonly"] == "yes"  # the harness turns persistence off for speed


def test_selfhosted_client_without_password(redis_factory, capture):
    server = redis_factory(include=CONF)
    client = make_client(
        "cache", load_settings({"REDIS_URL": f"redis://127.0.0.1:{server.port}/0"})
    )
    error = first_error(client)
    assert isinstance(error, redis.AuthenticationError)
    capture("selfhosted-no-password", error_line(error))
    client.close()


def test_selfhosted_compose_file(redis_factory):
    password = harness.random_password()
    spec = compose(password)
    service, app = spec["services"]["redis"], spec["services"]["app"]
    # the mounted config is this very redis.conf, read-only
    source, target, mode = service["volumes"][0].split(":")
    assert (COMPOSE.parent / source).resolve() == CONF.resolve() and mode == "ro"
    assert service["command"][:2] == ["valkey-server", target]
    assert service["command"][2:] == ["--requirepass", password]
    assert service["ports"] == ["127.0.0.1:6379:6379"]  # published on loopback only
    assert "$REDIS_PASSWORD" in " ".join(service["healthcheck"]["test"])
    assert app["depends_on"]["redis"]["condition"] == "service_healthy"
    assert set(spec["volumes"]) == {service["volumes"][1].split(":")[0]}

    # Run the redis.conf as Compose does (--requirepass wins over the file's placeholder)
    # and connect with the app's REDIS_URL from compose.yaml, pointed at the local port.
    server = redis_factory(include=CONF, password=password)
    url = localize(app["environment"]["REDIS_URL"], server.port)
    assert url == f"redis://default:{password}@127.0.0.1:{server.port}/0"
    client = make_client("cache", load_settings({"REDIS_URL": url}))
    assert client.ping()
    client.close()
    with pytest.raises(redis.AuthenticationError):
        server.admin(password=PLACEHOLDER).ping()  # the placeholder no longer works


def test_selfhosted_compose_needs_a_password():
    with pytest.raises(KeyError, match=r"set REDIS_PASSWORD in \.env"):
        yaml.safe_load(interpolate(COMPOSE.read_text(), {}))


class FromLoopback2(redis.Connection):
    """A connection from source address 127.0.0.2: 'another host' without leaving loopback."""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(
            (self.host, self.port), timeout=5, source_address=("127.0.0.2", 0)
        )
        sock.settimeout(5)
        return sock


@pytest.mark.kinds("redis")
def test_selfhosted_protected_mode_denies_other_hosts(redis_factory, capture):
    # The mistake: the password line removed (requirepass ""), the port reachable from others.
    server = redis_factory(include=CONF, config=('requirepass ""',), bind="127.0.0.1 127.0.0.2")
    pool = redis.ConnectionPool(host="127.0.0.2", port=server.port, connection_class=FromLoopback2)
    client = redis.Redis(connection_pool=pool, retry=harness.NO_RETRY)
    with pytest.raises(redis.ResponseError) as denied:
        client.ping()
    assert str(denied.value).startswith("DENIED Redis is running in protected mode")
    capture("selfhosted-protected-mode", error_line(denied.value), prefer="redis")
    assert server.admin().ping()  # loopback itself is still let in
    client.close()


def test_selfhosted_env_file():
    assert read_env("selfhosted.env") == {"REDIS_PASSWORD": "PASSWORD"}
    assert "${REDIS_PASSWORD" in COMPOSE.read_text()
