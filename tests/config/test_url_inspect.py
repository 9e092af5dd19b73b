"""snippets/config/url_inspect.py: offline verdicts, checked against redis-py's own parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from redis.connection import parse_url

from snippets.checks import CHECKS
from snippets.config.url_inspect import inspect
from tests.demos import run_demo

VECTORS = json.loads((Path(__file__).parent / "url_vectors.json").read_text())
KEYS = {
    "scheme",
    "tls",
    "host",
    "port",
    "path",
    "username",
    "password_set",
    "db",
    "findings",
    "error",
}


@pytest.mark.parametrize("vector", VECTORS, ids=[repr(v["url"])[:60] for v in VECTORS])
def test_vector(vector):
    result = inspect(vector["url"])
    assert set(result) == KEYS
    for key, expected in vector["expect"].items():
        assert result[key] == expected, (key, result)
    assert result["error"] is None or result["error"] in CHECKS
    assert all(finding in CHECKS for finding in result["findings"])


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS if inspect(v["url"])["error"] is None],
    ids=lambda v: repr(v["url"])[:60],
)
def test_valid_urls_agree_with_redis_py(vector):
    """Where we say a URL is fine, redis-py reads the same parts from it and accepts it."""
    url = "".join(vector["url"].split())
    result = inspect(vector["url"])
    kwargs = parse_url(url)
    if result["scheme"] == "unix":
        assert kwargs["path"] == result["path"]
    else:
        assert kwargs.get("host") == result["host"].lower()
        assert kwargs.get("port", 6379) == result["port"]
    assert kwargs.get("db", 0) == result["db"]
    assert kwargs.get("username") == result["username"]
    assert bool(kwargs.get("password")) == result["password_set"]
    pool = redis.ConnectionPool.from_url(url)
    pool.make_connection()  # redis-py accepts every option (no connect is attempted)


@pytest.mark.parametrize(
    "vector",
    [
        v
        for v in VECTORS
        if v["expect"].get("error") in {"url.invalid-option", "url.unsupported-scheme"}
        and not v.get("stricter_than_redis_py")
    ],
    ids=lambda v: v["url"][:60],
)
def test_rejected_urls_are_rejected_by_redis_py_too(vector):
    with pytest.raises((ValueError, TypeError, redis.RedisError)):
        redis.ConnectionPool.from_url(vector["url"]).make_connection()


def test_demo_prints_json():
    out = run_demo("snippets.config.url_inspect", "valkey://h:1", check=True)
    assert json.loads(out.stdout)["error"] == "url.unsupported-scheme"
