"""snippets/platforms/smoke.ts: the post-deploy check, on every kind and against the
DigitalOcean and Upstash imitations (rediss:// with a certificate a CA vouches for: the test CA
is trusted through NODE_EXTRA_CA_CERTS, as a public CA is, so the recipe runs unchanged)."""

from __future__ import annotations

import pytest

from tests.nodejs import run_ts
from tests.platforms.imitate import localize, read_env
from tools import harness


def test_smoke_on_a_plain_server(redis_factory):
    server = redis_factory(maxmemory="64mb", maxmemory_policy="allkeys-lru")
    run = run_ts("platforms/smoke.ts", env={"REDIS_URL": server.url(username="default")})
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    # a user name with no password is most likely a pasted password: shown as *** (as Python)
    assert lines[0] == f"Redis smoke client connected: redis://***@127.0.0.1:{server.port}/0"
    assert lines[2].startswith("  server: ") and lines[3] == "  maxmemory: 64.00M"
    assert lines[4:] == [
        "  policy: allkeys-lru",
        "  warning: queues need maxmemory-policy noeviction",
    ]


@pytest.mark.parametrize("platform", ["digitalocean.env", "upstash.env"])
def test_smoke_against_tls_platforms(redis_factory, platform):
    password = harness.random_password()
    tls = harness.TLSFiles.create("127.0.0.1")
    server = redis_factory(password=password, tls=tls, maxmemory_policy="noeviction")
    url = localize(read_env(platform)["REDIS_URL"], server.tls_port, password=password)
    assert url.startswith("rediss://default:")
    env = {"REDIS_URL": url, "NODE_EXTRA_CA_CERTS": str(tls.ca_cert)}
    run = run_ts("platforms/smoke.ts", env=env)
    assert run.returncode == 0, run.stderr
    assert f"connected to rediss://default:***@127.0.0.1:{server.tls_port}/0" in run.stdout
    assert "policy: noeviction" in run.stdout and "warning" not in run.stdout
    assert password not in run.stdout + run.stderr

    # The same URL over plaintext (the usual copy mistake): no answer, no password shown.
    plain = run_ts(
        "platforms/smoke.ts", env={**env, "REDIS_URL": url.replace("rediss", "redis", 1)}
    )
    assert plain.returncode != 0
    assert password not in plain.stdout + plain.stderr
