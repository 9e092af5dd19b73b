"""snippets/platforms/heroku.ts against the Heroku imitation (self-signed certificate, rediss://
with a password and no user name), on every server kind."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.config.ts_inline import run_script
from tests.nodejs import run_ts
from tests.platforms.imitate import localize, normalise, read_env, self_signed
from tools import harness


@pytest.fixture
def heroku(redis_factory):
    password = harness.random_password()
    server = redis_factory(password=password, tls=self_signed())
    url = localize(read_env("heroku.env")["REDIS_URL"], server.tls_port, password=password)
    assert url.startswith("rediss://:")
    return SimpleNamespace(server=server, url=url, password=password)


def test_heroku_demo_connects_with_verification_off(heroku):
    run = run_ts("platforms/heroku.ts", env={"REDIS_URL": heroku.url})
    assert run.returncode == 0, run.stderr
    assert "Redis cache connected successfully: rediss://:***@127.0.0.1:" in run.stdout
    assert '"url.tls-verify-disabled"])' in run.stdout  # the doctor keeps warning
    assert "  policy: " in run.stdout
    assert heroku.password not in run.stdout + run.stderr


def test_heroku_without_the_option_fails_verification(heroku, capture):
    run = run_ts("config/client.ts", env={"REDIS_URL": heroku.url})
    assert run.returncode == 1
    first = run.stderr.splitlines()[0]
    assert "self-signed certificate" in first, run.stderr
    assert heroku.password not in run.stdout + run.stderr
    capture(
        "heroku-verify-failed-ts",
        normalise(first, {heroku.server.tls_port: "PORT"}),
        normalised="the local port (shown as PORT)",
    )


def test_heroku_env_accepts_an_impostor_too(heroku, redis_factory):
    """The risk of rejectUnauthorized: false: any server with any certificate is accepted."""
    impostor = redis_factory(tls=self_signed())
    fake = heroku.url.replace(f":{heroku.server.tls_port}", f":{impostor.tls_port}")
    script = """
import { createRedis } from './config/client.ts';
import { loadSettings } from './config/settings.ts';
import { herokuEnv } from './platforms/heroku.ts';
const redis = createRedis('cache', loadSettings(herokuEnv()));
await redis.set('pharmacare:session', 'secret');
await redis.quit();
"""
    run = run_script(script, {"REDIS_URL": fake})
    assert run.returncode == 0, run.stderr
    with impostor.admin() as admin:
        assert admin.get("pharmacare:session") == "secret"  # the data went to the impostor


def test_heroku_env_leaves_other_urls_alone():
    script = """
import { herokuEnv } from './platforms/heroku.ts';
const urls = ['redis://localhost:6379/0', 'rediss://:p@host:1/0?ssl_cert_reqs=required',
  'rediss://:p@host:1/0?socket_timeout=2', 'rediss://:p@host:1/0'];
console.log(JSON.stringify([...urls.map((u) => herokuEnv({ REDIS_URL: u }).REDIS_URL),
  herokuEnv({}).REDIS_URL ?? null]));
"""
    run = run_script(script)
    assert json.loads(run.stdout) == [
        "redis://localhost:6379/0",
        "rediss://:p@host:1/0?ssl_cert_reqs=required",
        "rediss://:p@host:1/0?socket_timeout=2&ssl_cert_reqs=none",
        "rediss://:p@host:1/0?ssl_cert_reqs=none",
        None,
    ]
