"""snippets/cache/redis-cache-service.ts: the app's RedisCacheService (twin of report_cache.py).

Every server test runs on both kinds, as the app's least-privilege ACL user; the scenarios
run in node (tests/cache/cache_driver.mjs) and the assertions read the server directly.
Keys and the JSON envelope are the Python side's, so entries are shared both ways.
"""

from __future__ import annotations

import json

from snippets.cache import report_cache as rc
from snippets.config.client import make_client
from snippets.security.acl import APP_USERNAME
from tests.cache.app_user import command_calls
from tests.cache.ts_driver import scenario
from tests.nodejs import run_ts

PARAMS = {"pharmacy": 12, "date": "2026-11-25"}
MODULE = "cache/redis-cache-service.ts"


# -- offline: the table, the keys, strict JSON


def test_keys_are_byte_for_byte_the_python_keys():
    cases = [
        ["daily-sales", PARAMS],
        ["monthly-revenue", {}],
        ["daily-sales", {"q": "a:b*c?[d]"}],
        ["daily-sales", {"q": "!'()~ é/ü%", "b": 1.5, "a": -3}],
        ["inventory-levels", {"pharmacy": "12 "}],
    ]
    out = scenario("keys", cases)
    assert out["keys"] == [rc.report_key(report, params) for report, params in cases]
    assert out["keys"][2].endswith(":q=a%3Ab%2Ac%3F%5Bd%5D")  # no ':' or glob characters
    assert out["unknown"]["name"] == "RangeError" and "REPORT_TTL_MS" in out["unknown"]["message"]
    assert out["family"] == rc.family_pattern("daily-sales")
    assert out["familyParams"] == rc.family_pattern("daily-sales", {"pharmacy": 12})
    assert out["inFamily"] and not out["notInFamily"] and not out["otherReport"]
    assert out["ttl"] == {k: v.total_seconds() * 1000 for k, v in rc.REPORT_TTL.items()}
    assert out["jitter"] == rc.JITTER
    assert out["noTraffic"] == 0 and out["ratio"] == 0.5


def test_strict_json_refuses_what_would_not_read_back():
    out = scenario("strict")
    for name, error in out["refused"].items():
        assert error and error.startswith("TypeError: value.nested[0]"), name
    assert "Date" in out["refused"]["date"] and "Map" in out["refused"]["map"]
    assert json.loads(out["accepted"]) == {
        "a": [1, 2.5, "x", None, True, {"é": "ü"}],
        "o": {},
    }


# -- on a server, as the ACL user


def test_cache_aside_counts_hits_and_misses(app):
    out = scenario("aside")
    assert out["calls"] == 1 and len(out["results"]) == 4
    assert all(r == {"total": "1843.20", "orders": 57} for r in out["results"])
    assert out["stats"] | {"hitRatio": 0} == {
        "hits": 3,
        "misses": 1,
        "loads": 1,
        "stale": 0,
        "tooLarge": 0,
        "hitRatio": 0,
    }
    assert out["stats"]["hitRatio"] == 0.75
    admin = app.server.admin()
    key = rc.report_key("daily-sales", PARAMS)
    assert out["key"] == key
    assert json.loads(admin.get(key))["value"] == {"total": "1843.20", "orders": 57}
    ttl_ms, stale_ms = 5 * 60_000, 2 * 60_000
    assert ttl_ms * (1 - rc.JITTER) + stale_ms - 60_000 < admin.pttl(key)
    assert admin.pttl(key) <= ttl_ms * (1 + rc.JITTER) + stale_ms
    assert admin.exists(f"{rc.LOCKS}:daily-sales:date=2026-11-25:pharmacy=12") == 0  # released
    assert f"user={APP_USERNAME}" in out["clientInfo"]  # the flow really ran as the ACL user
    assert "name=pharmacare-cache" in out["clientInfo"]


def test_ttl_jitter_spreads_expiry(app):
    out = scenario("jitter")
    admin = app.server.admin()
    ttls = {admin.pttl(key) for key in out["keys"]}
    assert len(ttls) > 30  # written within milliseconds, yet expiring at different times
    ttl_ms = 30 * 60_000
    assert ttl_ms * rc.JITTER / 2 < max(ttls) - min(ttls) <= ttl_ms * 2 * rc.JITTER


def test_size_guard_returns_but_does_not_cache(app):
    out = scenario("size")
    assert out["same"] == [True, True] and out["calls"] == 2
    assert out["stats"]["tooLarge"] == 2
    assert app.server.admin().exists(rc.report_key("analytics-dashboard", {})) == 0
    assert "not caching pharmacare:cache:v1:report:analytics-dashboard:all" in out["_stderr"]


def test_non_json_values_are_refused(app):
    out = scenario("refuse")
    assert {e["name"] for e in out.values() if isinstance(e, dict)} == {"TypeError"}
    assert "Date" in out["date"]["message"] and "NaN" in out["nan"]["message"]
    assert "undefined" in out["undef"]["message"]


def test_invalidate_one_and_a_family_with_scan_never_keys(app):
    out = scenario("invalidate")
    assert (out["one"], out["again"], out["family"]) == (1, 0, 600)
    assert out["rest"] == 599 + 1  # pharmacy 123 (not 12*) and the other report type
    assert out["all"] == 599
    assert "NOPERM" in out["keysDenied"]["message"]  # the ACL user may not run KEYS at all
    calls = command_calls(app.server)
    assert calls.get("scan", 0) > 1 and calls.get("keys", 0) == 0  # (the refused try is not a call)


def test_stampede_has_one_loader_and_the_others_wait(app):
    out = scenario("stampede")
    assert out["same"] and out["calls"] == 1
    assert out["stats"]["misses"] == 20 and out["stats"]["loads"] == 1


def test_expired_entry_is_served_stale_while_one_request_reloads(app):
    out = scenario("stale")
    assert out["others"] == [{"in_stock": 1}] * 5  # no waiting: the stale copy
    assert out["reloaded"] == {"in_stock": 2} and out["after"] == {"in_stock": 2}
    assert out["calls"] == 1 and out["stats"]["stale"] == 5


def test_waiter_loads_itself_when_the_loader_never_finishes(app):
    out = scenario("waiter")
    assert out["taken"] and out["calls"] == 1
    assert out["value"] == {"total": "1843.20", "orders": 57}


def test_failed_reload_serves_stale_and_failed_first_load_raises(app):
    out = scenario("failures")
    assert out["served"] == {"total": "1"}
    assert "serving the stale copy" in out["_stderr"]
    assert out["first"]["message"] == "db down"  # the database's error, unchanged
    lock = f"{rc.LOCKS}:daily-sales:date=2026-11-25:pharmacy=12"
    assert app.server.admin().exists(lock) == 0  # a failed load releases its lock


def test_unreadable_entry_is_a_miss(app):
    assert scenario("unreadable")["calls"] == [1, 1, 1, 1]


def test_python_and_node_share_entries_both_ways(app):
    python = rc.ReportCache(rc.RedisStore(make_client("cache")))
    python.get_or_load("daily-sales", PARAMS, lambda: {"from": "python", "total": "1.50"})
    out = scenario("read", {"report": "daily-sales", "params": PARAMS})
    assert out == out | {"value": {"from": "python", "total": "1.50"}, "calls": 0}
    value = {"from": "node", "rows": [1, 2.5, None, "é"]}
    scenario("write", {"report": "monthly-revenue", "params": {"pharmacy": 7}, "value": value})
    assert python.get_or_load("monthly-revenue", {"pharmacy": 7}, lambda: {"no": 1}) == value
    assert python.stats.hits == 1 and python.stats.loads == 1


def test_demo_runs(app):
    out = run_ts(MODULE)
    assert out.returncode == 0, out.stderr
    assert "loads=1 hits=2 misses=1 hit ratio=0.67" in out.stdout
    assert "invalidated: 1" in out.stdout
    assert app.app_password not in out.stdout + out.stderr
