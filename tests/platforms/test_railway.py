"""Railway: the app references the Redis service's variables; the private network may be
IPv6-only, so the imitation is reached over [::1]. Files: railway-redis-service.env (what
the Redis service exposes), railway-app.env and railway-app-parts.env (what the app sets),
railway-commands.sh (checked for syntax; the Railway CLI cannot run here).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from types import SimpleNamespace

import pytest
import redis

from snippets.config.client import make_client
from snippets.config.settings import RedisConfigError, load_settings
from tests.platforms.imitate import (
    PLATFORMS,
    error_line,
    first_error,
    localize,
    normalise,
    read_env,
)
from tools import harness

# The shown files this module validates (the site's badge for them links here).
SHOWS = (
    "snippets/platforms/railway-app-parts.env",
    "snippets/platforms/railway-app.env",
    "snippets/platforms/railway-commands.sh",
    "snippets/platforms/railway-redis-service.env",
)

REFERENCE = re.compile(r"\$\{\{\s*(\w+)\.(\w+)\s*\}\}")


def resolve(app_env: dict[str, str], services: dict[str, dict[str, str]]) -> dict[str, str]:
    """What Railway does on deploy: replace ${{Service.VAR}} with that service's value."""

    def value(match: re.Match) -> str:
        return services[match.group(1)][match.group(2)]  # KeyError = a broken reference

    return {key: REFERENCE.sub(value, text) for key, text in app_env.items()}


def on_loopback(env: dict[str, str]) -> dict[str, str]:
    """The app's variables minus APP_ENV=production: the production guard rightly refuses
    the imitation's loopback host (config.localhost-in-production); Railway's is not."""
    assert env.pop("APP_ENV") == "production"
    return env


@pytest.fixture
def railway(redis_factory):
    """The Redis service: password for user "default", reached over IPv6 loopback."""
    password = harness.random_password()
    server = redis_factory(password=password)
    exposed = read_env("railway-redis-service.env")
    assert exposed["REDISUSER"] == "default"
    exposed.update(
        REDISHOST="::1",
        REDISPORT=str(server.port),
        REDISPASSWORD=password,
        REDIS_URL=localize(exposed["REDIS_URL"], server.port, password=password, host="::1"),
    )
    return SimpleNamespace(server=server, services={"Redis": exposed}, password=password)


def _peer_is_ipv6(client: redis.Redis) -> bool:
    return client.client_info()["laddr"].startswith("[::1]:") or client.client_info()[
        "laddr"
    ].startswith("::1:")


def test_railway_reference_to_redis_url(railway):
    ep = railway
    env = on_loopback(resolve(read_env("railway-app.env"), ep.services))
    assert env["REDIS_URL"] == f"redis://default:{ep.password}@[::1]:{ep.server.port}"
    settings = load_settings(env)
    client = make_client("cache", settings)
    assert client.ping()
    assert _peer_is_ipv6(client)  # redis-py resolves with AF_UNSPEC: IPv6 needs nothing
    client.close()


def test_railway_reference_to_parts(railway):
    ep = railway
    env = on_loopback(resolve(read_env("railway-app-parts.env"), ep.services))
    settings = load_settings(env)
    assert settings.source == "REDIS_HOST"
    assert settings.username == "default" and settings.password_set
    client = make_client("cache", settings)
    assert client.ping()
    assert _peer_is_ipv6(client)
    client.close()


def test_railway_unreferenced_variable(railway, redis_factory, capture):
    """The app never referenced ${{Redis.REDIS_URL}}: it has no REDIS_URL at all."""
    with pytest.raises(RedisConfigError) as in_production:
        load_settings({"APP_ENV": "production"})
    assert in_production.value.check_id == "config.missing"

    settings = load_settings({})  # outside production: the localhost default
    assert settings.source == "default" and settings.host == "localhost"
    closed = redis_factory.closed_port()  # stands in for 6379 on a Railway container
    settings = dataclasses.replace(settings, url=f"redis://localhost:{closed.port}/0")
    client = make_client("cache", settings)
    refused = first_error(client)
    assert isinstance(refused, redis.ConnectionError)
    capture(
        "railway-unreferenced",
        "# APP_ENV=production: startup stops\n"
        f"{error_line(in_production.value)}\n"
        "# without APP_ENV: the localhost default, at the first command\n"
        + normalise(error_line(refused), {closed.port: 6379}),
        normalised="the closed local port (shown as 6379)",
    )
    client.close()


def test_railway_broken_reference_is_caught():
    with pytest.raises(KeyError):
        resolve({"REDIS_URL": "${{Redis.REDIS_PRIVATE_URL}}"}, {"Redis": {}})


def test_railway_commands_sh():
    script = PLATFORMS / "railway-commands.sh"
    assert subprocess.run([shutil.which("bash"), "-n", str(script)]).returncode == 0
    text = script.read_text()
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    assert all(ln.startswith("railway ") for ln in lines)
    # the CLI sets the same reference the app's variables show, single-quoted for the shell
    assert f"'REDIS_URL={read_env('railway-app.env')['REDIS_URL']}'" in text
    assert "railway add --database redis" in text
