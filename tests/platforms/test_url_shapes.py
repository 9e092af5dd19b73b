"""Offline checks of every platform URL shape shown: each parses the way redis-py will
(placeholders filled in), uses the platform's scheme and user, and carries no real ids."""

from __future__ import annotations

import re

import pytest

from snippets.config.url_inspect import inspect
from tests.platforms.imitate import PLATFORMS, read_env

# file → (scheme, user name, port) as each platform hands it out
SHAPES = {
    "render-internal.env": ("redis", None, 6379),
    "render-internal-auth.env": ("redis", "default", 6379),
    "render-external.env": ("rediss", "red-xxxxx", 6379),
    "heroku.env": ("rediss", None, None),  # a different high port per instance
    "railway-redis-service.env": ("redis", "default", 6379),
    "upstash.env": ("rediss", "default", 6379),
    "elasticache-auth-token.env": ("rediss", None, 6379),
    "elasticache-rbac.env": ("rediss", "pharmacare-app", 6379),
    "elasticache-cluster.env": ("rediss", "pharmacare-app", 6379),
    "digitalocean.env": ("rediss", "default", 25061),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_url_shape(name):
    scheme, user, port = SHAPES[name]
    url = read_env(name)["REDIS_URL"]
    parts = inspect(url.replace(":PORT", ":12345").replace("HOST", "host"))
    assert parts["error"] is None, parts
    assert (parts["scheme"], parts["username"]) == (scheme, user)
    assert parts["password_set"] == ("PASSWORD" in url)
    assert port is None or parts["port"] == port
    assert parts["findings"] == [], parts["findings"]  # no warnings on the shapes we show


def test_every_env_file_is_covered():
    shown = {p.name for p in PLATFORMS.glob("*.env")}
    others = {"railway-app.env", "railway-app-parts.env", "selfhosted.env"}  # tested elsewhere
    assert shown == set(SHAPES) | others


def test_no_real_instance_ids():
    for path in PLATFORMS.iterdir():
        if path.is_file():
            text = path.read_text()
            assert not re.search(r"\bred-(?!xxxxx\b)[a-z0-9]{5,}", text), path.name
