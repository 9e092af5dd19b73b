"""tools/bench/cache.py and ts_cache.py keep working on every kind (small real runs; the
figures come from ``make bench``, nothing here asserts a timing)."""

from __future__ import annotations

from snippets.security.acl import APP_USERNAME, acl_rules
from tools import harness
from tools.bench import cache, ts_cache


def app_url(redis_factory) -> str:
    password = harness.random_password()
    server = redis_factory(acl_users=(" ".join([APP_USERNAME, *acl_rules(password)]),))
    return server.url(username=APP_USERNAME, password=password)


def test_python_hits_and_the_bare_get_floor(redis_factory):
    url = app_url(redis_factory)
    for measure in (cache.cache_hit_ops, cache.query_hit_ops):
        hit = measure(url, 1024, n=200)
        assert hit["ops_per_s"] > 0 and hit["n"] == 200
        assert 1000 < hit["payload_bytes"] < 1100  # the same bytes the baseline reads
        assert hit["key"].startswith("pharmacare:cache:v1:")
        assert cache.bare_get_ops(url, hit["key"], n=200) > 0


def test_typescript_hits_and_their_baselines(server_kind):
    result = ts_cache.measure_ts_cache_hits(server_kind, n=200)
    assert result["kind"] == str(server_kind)
    for side in ts_cache.SIDES:
        figures = result[side]
        assert figures["hits"] >= 200 and figures["loads"] == 1  # every timed call a hit
        assert figures["ops_per_s"] > 0 and figures["bare_get_ops_per_s"] > 0
        assert 1000 < figures["payload_bytes"] < 1100
        base = figures["redis_benchmark_get_c1_ops_per_s"]
        assert base is None or figures["ratio"] == figures["ops_per_s"] / base
