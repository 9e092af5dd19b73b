"""snippets/config/url_inspect.py: offline verdicts, checked against redis-py's own parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from redis.connection import parse_url

from snippets.checks import CHECKS
from snippets.config.url_inspect import describe, inspect
from snippets.config.url_inspect_clients import CLIENTS, FIELDS, differences
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
    "clients",
}


@pytest.mark.parametrize("vector", VECTORS, ids=[repr(v["url"])[:60] for v in VECTORS])
def test_vector(vector):
    result = inspect(vector["url"])
    assert set(result) == KEYS
    assert tuple(result["clients"]) == CLIENTS
    assert all(tuple(entry) == FIELDS for entry in result["clients"].values())
    for key, expected in vector["expect"].items():
        if key == "differences":  # the fields in which redis-py and ioredis disagree
            assert differences(result["clients"]) == expected, result["clients"]
            assert ("url.clients-disagree" in result["findings"]) == bool(expected)
        else:
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
    if "url.password-as-username" in result["findings"]:  # read as a user name: masked
        assert kwargs.get("username") and result["username"] == "***"
    else:
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


def test_family_option_is_explained():
    """?family=0 (once advised for ioredis) breaks redis-py; the detail says what to do."""
    url = "redis://red-xxxxx:6379?family=0"
    result = inspect(url)
    assert result["error"] == "url.invalid-option"
    assert "ioredis 6 defaults to family 0" in describe(url, result)
    with pytest.raises(TypeError):
        redis.ConnectionPool.from_url(url).make_connection()


def test_a_host_read_out_of_an_unencoded_password_is_never_shown():
    # '#' in the password starts a fragment, so both clients read "word" (part of the
    # password "pass@word#") as the host: the readings show *** instead.
    result = inspect("redis://default:pass@word#@red-xxxxx:6379/0")
    assert {r["host"] for r in result["clients"].values()} == {"***"}
    values = [str(v) for reading in result["clients"].values() for v in reading.values()]
    assert not [v for v in values if "word" in v], values
