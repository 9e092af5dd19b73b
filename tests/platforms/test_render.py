"""Render Key Value: internal URL (with and without auth), external rediss:// + allow list,
and the Blueprint (render.yaml). Render runs Valkey 8, so captures come from the Valkey kind.
"""

from __future__ import annotations

import redis
import yaml

from snippets.config.client import make_client
from snippets.config.settings import load_settings
from snippets.platforms.smoke import describe
from tests.platforms.imitate import PLATFORMS, error_line, first_error, localize, read_env
from tools import harness

# The shown files this module validates (the site's badge for them links here).
SHOWS = (
    "snippets/platforms/render-external.env",
    "snippets/platforms/render-internal-auth.env",
    "snippets/platforms/render-internal.env",
    "snippets/platforms/render.yaml",
)

ALLOWLIST_REFUSAL = b"-AUTH failed: Client IP address is not in the allowlist\r\n"
INSTANCE = "red-xxxxx"  # the URL's user name on the external URL: the instance id


def _client(url: str) -> redis.Redis:
    return make_client("cache", load_settings({"REDIS_URL": url}))


def test_render_internal_url_without_auth(redis_factory):
    server = redis_factory()
    url = localize(read_env("render-internal.env")["REDIS_URL"], server.port)
    assert url == f"redis://127.0.0.1:{server.port}"  # no user, no password, no TLS, no db
    client = _client(url)
    assert describe(client)["server"].split()[0] in ("valkey", "redis")
    client.set("pharmacare:render", "ok")
    assert server.admin().get("pharmacare:render") == "ok"
    client.close()


def test_render_internal_auth_needs_the_new_url(redis_factory, capture):
    password = harness.random_password()
    server = redis_factory(password=password)  # internal auth on: the default user's password
    with_auth = localize(
        read_env("render-internal-auth.env")["REDIS_URL"], server.port, password=password
    )
    client = _client(with_auth)
    assert client.ping()
    client.close()

    # The classic mistake: auth enabled, but the service still has the old internal URL.
    old = localize(read_env("render-internal.env")["REDIS_URL"], server.port)
    client = _client(old)
    error = first_error(client)
    assert isinstance(error, redis.AuthenticationError)
    assert str(error) == "Authentication required."  # NOAUTH, as redis-py words it
    assert password not in str(error)
    capture("render-noauth", error_line(error))
    client.close()


def test_render_external_url_over_tls(redis_factory, monkeypatch):
    password = harness.random_password()
    tls = harness.TLSFiles.create()
    # The external URL's user is the instance id; Render's certificate is publicly trusted,
    # which the imitation gets by trusting the test CA through SSL_CERT_FILE.
    server = redis_factory(tls=tls, acl_users=(f"{INSTANCE} on >{password} ~* &* +@all",))
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_cert))
    url = localize(read_env("render-external.env")["REDIS_URL"], server.tls_port, password=password)
    assert url.startswith(f"rediss://{INSTANCE}:")
    client = _client(url)
    assert client.ping()
    assert client.acl_whoami() == INSTANCE
    client.close()


def test_render_external_url_outside_the_allow_list(redis_factory, monkeypatch, capture):
    password = harness.random_password()
    tls = harness.TLSFiles.create()
    server = redis_factory(password=password)
    front = redis_factory.front(server, tls=tls, reply=ALLOWLIST_REFUSAL)  # Render's proxy
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_cert))
    url = localize(read_env("render-external.env")["REDIS_URL"], front.port, password=password)
    client = _client(url)
    error = first_error(client)
    assert isinstance(error, redis.ResponseError)
    assert str(error) == "AUTH failed: Client IP address is not in the allowlist"
    capture("render-allowlist", error_line(error))
    client.close()


def test_render_blueprint_render_yaml():
    blueprint = yaml.safe_load((PLATFORMS / "render.yaml").read_text())
    services = {s["name"]: s for s in blueprint["services"]}
    assert {s["type"] for s in services.values()} == {"keyvalue", "web"}  # never "redis"
    keyvalue = next(s for s in services.values() if s["type"] == "keyvalue")
    assert keyvalue["ipAllowList"] == []  # required for keyvalue; empty = internal only
    assert keyvalue["maxmemoryPolicy"] == "noeviction"
    assert keyvalue["plan"] in ("free", "starter", "standard", "pro", "pro plus")
    web = services["pharmacare-api"]
    assert web["region"] == keyvalue["region"]  # internal URLs work within one region
    variables = {v["key"]: v for v in web["envVars"]}
    wired = variables["REDIS_URL"]["fromService"]
    assert wired == {
        "type": "keyvalue",
        "name": keyvalue["name"],
        "property": "connectionString",
    }
    assert variables["APP_ENV"]["value"] == "production"
    allowed = {"type", "name", "plan", "region", "maxmemoryPolicy", "ipAllowList"}
    assert set(keyvalue) <= allowed, set(keyvalue) - allowed
