"""snippets/cache/query-cache.ts: the memoising wrapper, on both kinds, as the ACL user.

Same key shape (``pharmacare:cache:v1:query:<name>:<32 hex>``) and invalidation semantics
as snippets/cache/query_cache.py; built without the Python bugs the hardening branch fixes:
an unreadable entry is a miss, invalidateAll("a") touches only "a"'s own keys, and values
either read back unchanged or are refused.
"""

from __future__ import annotations

import re

from tests.cache.app_user import command_calls
from tests.cache.ts_driver import scenario
from tests.nodejs import run_ts

KEY = re.compile(r"^pharmacare:cache:v1:query:stock:[0-9a-f]{32}$")


def test_key_is_canonical_versioned_and_strict():
    out = scenario("qkeys")
    assert KEY.match(out["key"])
    assert out["reordered"] is True  # object keys sorted: one entry
    assert out["string"] is False and out["other"] is False  # 12 ≠ "12"; names separate
    assert [e["name"] for e in out["refused"]] == ["TypeError"] * 5  # Set, Date, undefined, NaN
    assert [e["name"] for e in out["badNames"]] == ["TypeError"] * 4  # ":" and globs refused


def test_load_removed_bypass_and_invalidation(app):
    out = scenario("query")
    load = out["load"]
    assert load["calls"] == 10  # one database query per distinct argument set
    assert load["first"] == [
        {"drug": "amoxicillin", "quantity": 1},
        {"drug": "ibuprofen", "quantity": 1},
    ]
    assert load["stats"]["hits"] == 490 and load["stats"]["misses"] == 10
    assert out["defaults"] == 10  # pharmacyStock(1, true) is pharmacyStock(1)'s entry
    assert 0 < load["ttl"] <= 5 * 60 * 1000
    assert (out["cached"], out["stillCached"], out["fresh"]) == (2, 2, [])
    assert out["afterFresh"] == [[], [2]]  # only the bypass reached the database
    assert out["invalidated"] == 1 and out["afterInvalidate"] == [2, [2, 2]]
    assert out["all"] == 20 and out["allAgain"] == 0  # 10 with inStockOnly true, 10 false
    assert out["uncached"] == 2
    calls = command_calls(app.server)
    assert calls.get("scan", 0) >= 2 and "keys" not in calls


def test_same_wrapper_on_the_memory_store():
    out = scenario("query", {"memory": True})
    assert out["load"]["calls"] == 10 and out["all"] == 20


def test_null_is_cached_large_is_not_and_values_round_trip(app):
    value = {"a": [1, 2.5, -0.25, "x", None, True, {"é": "ü", "nested": [[]]}], "big": 2**53 - 1}
    out = scenario("qvalues", {"value": value})
    assert out["none"] == [None, None, [0]]
    assert out["large"] == [600_000, 600_000, [0, 1, 1], 2]
    assert out["date"]["name"] == "TypeError" and "Date" in out["date"]["message"]
    assert out["undef"]["name"] == "TypeError"  # return null for "not found"
    assert out["roundTrip"] == [value, value, 1]


def test_unreadable_entry_is_a_miss_and_is_replaced(app):
    out = scenario("qunreadable")
    assert [calls for _, calls in out["seen"]] == [1, 2, 3, 4, 5]
    assert all(v == {"n": 5} for v, _ in out["seen"])
    assert out["stored"] == '[{"n":5}]'
    assert out["_stderr"].count("treated as a miss") == 5


def test_invalidate_all_touches_only_its_own_keys(app):
    admin = app.server.admin()
    foreign = [
        "pharmacare:cache:v1:query:a:b:" + "0" * 32,  # a Python function named "a:b"
        "pharmacare:cache:v1:query:a:" + "0" * 31,  # not a full hash
        "pharmacare:cache:v1:query:ab:" + "0" * 32,
        "pharmacare:cache:v1:query:a.b:" + "0" * 32,
    ]
    for key in foreign:
        admin.set(key, "[1]")
    assert scenario("qforeign")["removed"] == 2
    assert all(admin.exists(key) for key in foreign)


def test_demo_measures_the_load_removed(app, capture):
    out = run_ts("cache/query-cache.ts")
    assert out.returncode == 0, out.stderr
    # the same figures as the Python demo's captured output on the page
    assert "requests: 1000, database queries: 20, load removed: 98.0%" in out.stdout
    assert "pharmacy 3 after invalidate: [] (database queries: 21)" in out.stdout
    assert app.app_password not in out.stdout + out.stderr
    capture(
        "query-cache-demo-ts",
        out.stdout.replace(f":{app.server.port}/", ":6379/"),
        normalised="port number (shown as 6379)",
        client="ioredis",
    )
