"""Upstash: always rediss://default:PASSWORD@…, publicly trusted certificate.

The imitation's certificate comes from a test CA that the recipe's process trusts through
SSL_CERT_FILE, exactly as a public CA is trusted: the recipe runs unchanged.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import redis

from snippets.config.client import make_client
from snippets.config.settings import load_settings
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
    "snippets/platforms/upstash.env",
)


@pytest.fixture
def upstash(redis_factory):
    password = harness.random_password()
    tls = harness.TLSFiles.create()
    server = redis_factory(password=password, tls=tls)
    url = localize(read_env("upstash.env")["REDIS_URL"], server.tls_port, password=password)
    assert url.startswith("rediss://default:")
    return SimpleNamespace(server=server, tls=tls, url=url, password=password)


def test_upstash_recipe_runs_unchanged(upstash):
    ep = upstash
    result = run_module(
        "snippets.platforms.smoke", {"REDIS_URL": ep.url, "SSL_CERT_FILE": str(ep.tls.ca_cert)}
    )
    assert result.returncode == 0, result.stderr
    assert f"connected to rediss://default:***@127.0.0.1:{ep.server.tls_port}/0" in result.stdout
    assert ep.password not in result.stdout + result.stderr


def test_upstash_without_the_trusted_ca_fails(upstash):
    """The check above can fail: without the CA in the trust store verification stops it."""
    ep = upstash
    result = run_module("snippets.platforms.smoke", {"REDIS_URL": ep.url})
    assert result.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr
    assert ep.password not in result.stdout + result.stderr


def test_upstash_plaintext_on_the_tls_port(upstash, capture):
    ep = upstash
    plain = ep.url.replace("rediss://", "redis://", 1)
    client = make_client("cache", load_settings({"REDIS_URL": plain}))
    error = first_error(client)
    assert isinstance(error, redis.ConnectionError)
    assert "Connection reset by peer" in str(error) or "Connection closed" in str(error)
    capture(
        "upstash-plaintext",
        normalise(error_line(error), {ep.server.tls_port: 6379}),
        normalised="the local port (shown as 6379)",
    )
    client.close()
