"""DigitalOcean Managed Valkey: rediss://default:PASSWORD@HOST.db.ondigitalocean.com:25061,
with a certificate that verifies normally (hostname included)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import redis

from snippets.config.client import make_client
from snippets.config.settings import load_settings
from snippets.platforms.smoke import describe
from tests.platforms.imitate import error_line, first_error, localize, normalise, read_env
from tools import harness

# The shown files this module validates (the site's badge for them links here).
SHOWS = (
    "snippets/platforms/digitalocean.env",
)


@pytest.fixture
def digitalocean(redis_factory, monkeypatch):
    password = harness.random_password()
    tls = harness.TLSFiles.create("127.0.0.1")  # valid for this address, nothing else
    server = redis_factory(password=password, tls=tls, maxmemory_policy="noeviction")
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_cert))  # a public CA, for this process
    shape = read_env("digitalocean.env")["REDIS_URL"]
    assert shape.endswith(".db.ondigitalocean.com:25061")
    url = localize(shape, server.tls_port, password=password)
    return SimpleNamespace(server=server, tls=tls, url=url, password=password)


def test_digitalocean_connects_with_verification(digitalocean):
    ep = digitalocean
    settings = load_settings({"REDIS_URL": ep.url})
    assert settings.tls and settings.username == "default"
    assert "url.tls-verify-disabled" not in settings.findings
    client = make_client("cache", settings)
    assert describe(client)["policy"] == "noeviction"
    client.close()


def test_digitalocean_checks_the_host_name(digitalocean):
    """Verification is real: the same certificate is refused for a name it does not carry."""
    ep = digitalocean
    wrong_name = ep.url.replace("127.0.0.1", "localhost")  # same server, a name not certified
    client = make_client("cache", load_settings({"REDIS_URL": wrong_name}))
    error = first_error(client)
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)
    assert "Hostname mismatch" in str(error) or "doesn't match" in str(error)
    client.close()


def test_digitalocean_ca_file_in_the_url(digitalocean, monkeypatch):
    """Clients without the public CA bundle can name the downloaded CA certificate."""
    ep = digitalocean
    monkeypatch.delenv("SSL_CERT_FILE")
    client = make_client(
        "cache", load_settings({"REDIS_URL": f"{ep.url}?ssl_ca_certs={ep.tls.ca_cert}"})
    )
    assert client.ping()
    client.close()


def test_digitalocean_plaintext_on_the_tls_port(digitalocean, capture):
    ep = digitalocean
    client = make_client(
        "cache", load_settings({"REDIS_URL": ep.url.replace("rediss", "redis", 1)})
    )
    error = first_error(client)
    assert isinstance(error, redis.ConnectionError)
    capture(
        "digitalocean-plaintext",
        normalise(error_line(error), {ep.server.tls_port: 25061}),
        normalised="the local port (shown as 25061)",
    )
    client.close()
