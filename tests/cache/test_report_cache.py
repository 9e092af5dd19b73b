"""snippets/cache/report_cache.py: cache-aside, keys, size guard, invalidation, stampedes.

Every server test runs on both kinds, as the app's least-privilege ACL user.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.cache import report_cache as rc
from snippets.config.client import make_client
from snippets.security.acl import APP_USERNAME
from tests.cache.app_user import command_calls
from tests.demos import run_demo
from tools.harness import wait_for

PARAMS = {"pharmacy": 12, "date": "2026-11-25"}


def make_cache(**options) -> rc.ReportCache:
    return rc.ReportCache(rc.RedisStore(make_client("cache")), **options)


class Loader:
    """A stand-in for the database query: counts calls; may fail, or wait for a gate."""

    def __init__(self, value=None, gate: threading.Event | None = None, error=None):
        self.value = value if value is not None else {"total": "1843.20", "orders": 57}
        self.gate, self.error, self.calls = gate, error, 0
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.calls += 1
        if self.gate is not None:
            assert self.gate.wait(30), "the test never opened the gate"
        if self.error:
            raise self.error
        return self.value


# -- offline: the table and the keys


def test_ttl_table_is_5_to_30_minutes():
    assert rc.REPORT_TTL
    for ttl in rc.REPORT_TTL.values():
        assert timedelta(minutes=5) <= ttl <= timedelta(minutes=30)
    assert 0 < rc.JITTER < 0.5


def test_key_naming_has_a_version_and_sorted_encoded_params():
    key = rc.report_key("daily-sales", {"pharmacy": 12, "date": "2026-11-25"})
    assert key == "pharmacare:cache:v1:report:daily-sales:date=2026-11-25:pharmacy=12"
    assert rc.report_key("monthly-revenue", {}) == "pharmacare:cache:v1:report:monthly-revenue:all"
    odd = rc.report_key("daily-sales", {"q": "a:b*c?[d]"})
    assert odd.endswith(":q=a%3Ab%2Ac%3F%5Bd%5D")  # no ':' or glob characters inside a value
    with pytest.raises(KeyError, match="add it to REPORT_TTL"):
        rc.report_key("no-such-report", {})
    assert rc.family_pattern("daily-sales") == "pharmacare:cache:v1:report:daily-sales:*"
    assert rc.family_pattern("daily-sales", {"pharmacy": 12}) == (
        "pharmacare:cache:v1:report:daily-sales:*pharmacy=12*"
    )
    assert rc.in_family(key, "daily-sales", {"pharmacy": 12})
    assert not rc.in_family(key.replace("=12", "=123"), "daily-sales", {"pharmacy": 12})
    assert not rc.in_family(key, "daily-sales-x", {})


def test_hit_ratio_with_no_traffic_is_zero():
    assert rc.CacheStats().hit_ratio == 0.0
    assert rc.CacheStats(hits=3, stale=1, misses=4).hit_ratio == 0.5


# -- on a server, as the ACL user


def test_cache_aside_counts_hits_and_misses(app):
    cache = make_cache()
    loader = Loader()
    results = [cache.get_or_load("daily-sales", PARAMS, loader) for _ in range(4)]
    assert results == [loader.value] * 4
    assert loader.calls == 1
    assert (cache.stats.hits, cache.stats.misses, cache.stats.loads) == (3, 1, 1)
    assert cache.stats.hit_ratio == 0.75
    admin = app.server.admin()
    key = rc.report_key("daily-sales", PARAMS)
    envelope = json.loads(admin.get(key))
    assert envelope["value"] == loader.value
    ttl_ms = rc.REPORT_TTL["daily-sales"] / timedelta(milliseconds=1)
    stale_ms = rc.STALE_FOR / timedelta(milliseconds=1)
    assert ttl_ms * (1 - rc.JITTER) + stale_ms - 60_000 < admin.pttl(key)
    assert admin.pttl(key) <= ttl_ms * (1 + rc.JITTER) + stale_ms
    assert admin.exists(f"{rc.LOCKS}:daily-sales:date=2026-11-25:pharmacy=12") == 0  # released
    names = [c["name"] for c in admin.client_list() if c.get("user") == APP_USERNAME]
    assert "pharmacare-cache" in names  # the flow really ran as the ACL user


def test_ttl_jitter_spreads_expiry(app):
    cache = make_cache()
    for pharmacy in range(40):
        cache.get_or_load("monthly-revenue", {"pharmacy": pharmacy}, Loader())
    admin = app.server.admin()
    ttls = {admin.pttl(rc.report_key("monthly-revenue", {"pharmacy": p})) for p in range(40)}
    assert len(ttls) > 30  # written within milliseconds, yet expiring at different times
    ttl_ms = rc.REPORT_TTL["monthly-revenue"] / timedelta(milliseconds=1)
    spread = max(ttls) - min(ttls)
    assert ttl_ms * rc.JITTER / 2 < spread <= ttl_ms * 2 * rc.JITTER


def test_size_guard_returns_but_does_not_cache(app, caplog):
    cache = make_cache()
    huge = {"rows": ["x" * 1000] * 600}  # ~600 KB of JSON
    loader = Loader(huge)
    with caplog.at_level(logging.WARNING, logger="pharmacare.cache"):
        assert cache.get_or_load("analytics-dashboard", {}, loader) == huge
        assert cache.get_or_load("analytics-dashboard", {}, loader) == huge
    assert loader.calls == 2
    assert cache.stats.too_large == 2
    assert app.server.admin().exists(rc.report_key("analytics-dashboard", {})) == 0
    assert "not caching pharmacare:cache:v1:report:analytics-dashboard:all" in caplog.text


def test_non_json_values_are_refused(app):
    cache = make_cache()
    with pytest.raises(TypeError):
        cache.get_or_load("daily-sales", PARAMS, Loader({"when": object()}))
    with pytest.raises(ValueError):
        cache.get_or_load("daily-sales", PARAMS, Loader({"total": float("nan")}))


def test_invalidate_one_and_a_family_with_scan_never_keys(app):
    cache = make_cache()
    for pharmacy in (12, 123):
        for day in range(1, 601):  # more than one UNLINK batch of 500
            cache.get_or_load("daily-sales", {"pharmacy": pharmacy, "day": day}, Loader())
    cache.get_or_load("monthly-revenue", {"pharmacy": 12}, Loader())
    admin = app.server.admin()
    assert cache.invalidate("daily-sales", {"pharmacy": 123, "day": 1}) == 1
    assert cache.invalidate("daily-sales", {"pharmacy": 123, "day": 1}) == 0
    assert cache.invalidate_family("daily-sales", {"pharmacy": 12}) == 600
    left = list(admin.scan_iter(match="pharmacare:cache:v1:report:*", count=1000))
    assert len(left) == 599 + 1  # pharmacy 123 (not 12*) and the other report type
    assert cache.invalidate_family("daily-sales") == 599
    calls = command_calls(app.server)
    assert calls.get("scan", 0) > 1 and "keys" not in calls
    with pytest.raises(redis.exceptions.NoPermissionError):
        make_client("cache").keys("pharmacare:*")  # the ACL user may not run KEYS at all


def test_stampede_has_one_loader_and_the_others_wait(app):
    cache = make_cache(poll_ms=10, wait_ms=30_000)
    gate = threading.Event()
    loader = Loader(gate=gate)  # the query runs until all 20 requests have arrived
    results, errors = [], []

    def request():
        try:
            results.append(cache.get_or_load("appointment-stats", PARAMS, loader))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=request) for _ in range(20)]
    for t in threads:
        t.start()
    wait_for(lambda: cache.stats.misses == 20, "20 requests waiting on one loader")
    gate.set()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert results == [loader.value] * 20
    assert loader.calls == 1
    assert cache.stats.misses == 20 and cache.stats.loads == 1


def _write_stale(cache: rc.ReportCache, report: str, value) -> None:
    envelope = {"fresh_until": time.time() - 1, "value": value}
    cache.store.set(rc.report_key(report, PARAMS), json.dumps(envelope).encode(), 60_000)


def test_expired_entry_is_served_stale_while_one_request_reloads(app):
    cache = make_cache()
    _write_stale(cache, "inventory-levels", {"in_stock": 1})
    gate = threading.Event()
    loader = Loader({"in_stock": 2}, gate=gate)
    reloaded = []
    reloader = threading.Thread(
        target=lambda: reloaded.append(cache.get_or_load("inventory-levels", PARAMS, loader))
    )
    reloader.start()
    deadline = time.monotonic() + 10
    while loader.calls == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    others = [cache.get_or_load("inventory-levels", PARAMS, loader) for _ in range(5)]
    gate.set()
    reloader.join(timeout=10)
    assert others == [{"in_stock": 1}] * 5  # no waiting: the stale copy
    assert reloaded == [{"in_stock": 2}]
    assert loader.calls == 1
    assert cache.stats.stale == 5
    assert cache.get_or_load("inventory-levels", PARAMS, loader) == {"in_stock": 2}


def test_waiter_loads_itself_when_the_loader_never_finishes(app):
    cache = make_cache(wait_ms=100, poll_ms=10)
    lock = f"{rc.LOCKS}:daily-sales:date=2026-11-25:pharmacy=12"
    assert cache.store.add(lock, b"1", 60_000)  # a loader that crashed while holding it
    loader = Loader()
    assert cache.get_or_load("daily-sales", PARAMS, loader) == loader.value
    assert loader.calls == 1


def test_failed_reload_serves_stale_and_failed_first_load_raises(app, caplog):
    cache = make_cache()
    _write_stale(cache, "daily-sales", {"total": "1"})
    with caplog.at_level(logging.WARNING, logger="pharmacare.cache"):
        value = cache.get_or_load("daily-sales", PARAMS, Loader(error=RuntimeError("db down")))
    assert value == {"total": "1"}
    assert "serving the stale copy" in caplog.text
    cache.invalidate("daily-sales", PARAMS)
    with pytest.raises(RuntimeError, match="db down"):
        cache.get_or_load("daily-sales", PARAMS, Loader(error=RuntimeError("db down")))
    lock = f"{rc.LOCKS}:daily-sales:date=2026-11-25:pharmacy=12"
    assert app.server.admin().exists(lock) == 0  # a failed load releases its lock


def test_unreadable_entry_is_a_miss(app):
    cache = make_cache()
    cache.store.set(rc.report_key("daily-sales", PARAMS), b"not json", 60_000)
    loader = Loader()
    assert cache.get_or_load("daily-sales", PARAMS, loader) == loader.value
    assert loader.calls == 1


def test_demo_runs(app):
    out = run_demo("snippets.cache.report_cache", env={**os.environ, "REDIS_URL": app.url})
    assert out.returncode == 0, out.stderr
    assert "loads=1 hits=2 misses=1 hit ratio=0.67" in out.stdout
    assert "invalidated: 1" in out.stdout
    assert app.app_password not in out.stdout + out.stderr


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=1000)  # the ci profile's 5,000 take 40 s for no more shapes
@given(value=JSON, indent=st.sampled_from([None, 2]), ascii=st.booleans())
def test_decode_json_reads_what_json_dumps_writes_into_the_same_values(value, indent, ascii):
    # repr tells True from 1, 1.0 from 1 and -0.0 from 0.0, and shows key order
    data = json.dumps(value, indent=indent, ensure_ascii=ascii, allow_nan=False).encode()
    assert repr(rc.decode_json(data)) == repr(json.loads(data))


@pytest.mark.parametrize(
    "data",
    [b'"\\ud800"', b'{"a":1,"a":2}', b"1e400", b"NaN", b" [1] ", b"\xef\xbb\xbf[1]"],
    ids=["lone-surrogate", "duplicate-key", "huge-float", "nan", "spaces", "utf8-bom"],
)
def test_decode_json_agrees_with_json_loads_where_msgspec_differs(data):
    try:
        expected = repr(json.loads(data))
    except ValueError as error:
        with pytest.raises(ValueError):
            rc.decode_json(data)
        assert type(error) is json.JSONDecodeError
    else:
        assert repr(rc.decode_json(data)) == expected


@pytest.mark.parametrize("data", [b"", b"{", b"\xff", b"nan", b'{"value": 1'])
def test_decode_json_raises_value_error_on_garbage_like_json_loads(data):
    with pytest.raises(ValueError):
        json.loads(data)
    with pytest.raises(ValueError):
        rc.decode_json(data)


@given(value=st.text() | st.integers() | st.floats())
def test_key_segments_encode_as_quote_does(value):
    assert rc._encode(value) == quote(str(value), safe="")
