"""Heroku Key-Value Store: rediss:// with a self-signed certificate, password, no user name.

snippets/platforms/heroku.py (heroku_env) is the documented fix; heroku.env is the URL shape;
heroku-commands.sh is checked for syntax and commands (the Heroku CLI cannot run here).
"""

from __future__ import annotations

import shutil
import subprocess
from types import SimpleNamespace

import pytest
import redis

from snippets.config.client import make_client
from snippets.config.settings import RedisConfigError, load_settings
from snippets.platforms.heroku import heroku_env
from snippets.platforms.smoke import describe
from tests.platforms.imitate import (
    PLATFORMS,
    error_line,
    first_error,
    localize,
    normalise,
    read_env,
    run_module,
    self_signed,
)
from tools import harness

# The shown files this module validates (the site's badge for them links here).
SHOWS = (
    "snippets/platforms/heroku-commands.sh",
    "snippets/platforms/heroku.env",
)


@pytest.fixture
def heroku(redis_factory):
    """A server behind a self-signed certificate, with Heroku's URL shape pointing at it."""
    password = harness.random_password()
    server = redis_factory(password=password, tls=self_signed())
    url = localize(read_env("heroku.env")["REDIS_URL"], server.tls_port, password=password)
    assert url.startswith("rediss://:")  # no user name, a password
    return SimpleNamespace(server=server, url=url, password=password)


def test_heroku_verification_on_fails(heroku, capture):
    ep = heroku
    client = make_client("cache", load_settings({"REDIS_URL": ep.url}))
    error = first_error(client)
    assert isinstance(error, redis.ConnectionError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)
    assert "self-signed certificate" in str(error)
    assert ep.password not in str(error)
    capture(
        "heroku-verify-failed",
        normalise(error_line(error), {ep.server.tls_port: "PORT"}),
        normalised="the local port (shown as PORT)",
    )
    client.close()


def test_heroku_capital_none_is_rejected(heroku, capture):
    ep = heroku
    wrong = ep.url + "?ssl_cert_reqs=None"
    with pytest.raises(RedisConfigError) as by_app:  # the resolver stops it at startup
        load_settings({"REDIS_URL": wrong})
    assert by_app.value.check_id == "url.invalid-option"
    raw = redis.Redis.from_url(wrong, retry=harness.NO_RETRY)  # plain redis-py, no resolver
    by_redis_py = first_error(raw)
    assert str(by_redis_py) == "Invalid SSL Certificate Requirements Flag: None"
    assert ep.password not in str(by_app.value) + str(by_redis_py)
    capture(
        "heroku-ssl-cert-reqs-none",
        "# the app's resolver, at startup:\n"
        f"{error_line(by_app.value)}\n"
        "# plain redis-py, at the first command:\n"
        f"{error_line(by_redis_py)}",
    )


def test_heroku_env_connects(heroku):
    ep = heroku
    settings = load_settings(heroku_env({"REDIS_URL": ep.url}))
    assert settings.url == ep.url + "?ssl_cert_reqs=none"
    assert "url.tls-verify-disabled" in settings.findings  # the doctor keeps warning
    client = make_client("cache", settings)
    assert describe(client)["policy"]
    client.close()


def test_heroku_env_accepts_an_impostor_too(heroku, redis_factory):
    """What ssl_cert_reqs=none risks: any server with any certificate is accepted."""
    ep = heroku
    impostor = redis_factory(tls=self_signed())  # another machine, another certificate
    fake_url = ep.url.replace(f":{ep.server.tls_port}", f":{impostor.tls_port}")
    client = make_client("cache", load_settings(heroku_env({"REDIS_URL": fake_url})))
    client.set("pharmacare:session", "secret")  # the data went to the impostor
    assert impostor.admin().get("pharmacare:session") == "secret"
    client.close()


def test_heroku_env_leaves_other_urls_alone():
    plain = {"REDIS_URL": "redis://localhost:6379/0"}
    assert heroku_env(plain) == plain
    explicit = {"REDIS_URL": "rediss://:p@host:1/0?ssl_cert_reqs=required"}
    assert heroku_env(explicit) == explicit
    assert heroku_env({}) == {}
    with_query = heroku_env({"REDIS_URL": "rediss://:p@host:1/0?socket_timeout=2"})
    assert with_query["REDIS_URL"].endswith("?socket_timeout=2&ssl_cert_reqs=none")


def test_heroku_demo_runs(heroku):
    ep = heroku
    result = run_module("snippets.platforms.heroku", {"REDIS_URL": ep.url})
    assert result.returncode == 0, result.stderr
    assert "connected to rediss://:***@127.0.0.1" in result.stdout
    assert "url.tls-verify-disabled" in result.stdout
    assert ep.password not in result.stdout + result.stderr


KNOWN_COMMANDS = {
    "addons:create",
    "redis:wait",
    "config:get",
    "redis:maxmemory",
    "redis:info",
    "run",
    "redis:credentials",
}


def test_heroku_commands_sh():
    script = PLATFORMS / "heroku-commands.sh"
    bash = shutil.which("bash")
    assert subprocess.run([bash, "-n", str(script)]).returncode == 0  # it parses
    lines = [
        line.split("#", 1)[0].split()
        for line in script.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines and all(words[0] == "heroku" for words in lines)
    assert {words[1] for words in lines} == KNOWN_COMMANDS
    assert all(words[-2:] == ["--app", "APP"] for words in lines)
    assert ["heroku", "addons:create", "heroku-redis:mini", "--app", "APP"] in lines
    assert next(w for w in lines if w[1] == "redis:maxmemory")[2:4] == ["--policy", "noeviction"]
