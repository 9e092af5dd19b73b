"""snippets/cache/without_redis.py: memory store, circuit breaker, kill -9, loud failures.

Server tests run on both kinds as the app's ACL user; the fault tests SIGKILL the server
under running callers and restart it.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import redis
from redis.backoff import ConstantBackoff

from snippets.cache import without_redis as wr
from snippets.cache.report_cache import RedisStore, ReportCache, report_key
from snippets.config.client import make_client
from snippets.security.acl import APP_USERNAME
from tests.cache import app_user
from tools.harness import wait_for
from tools.harness.session import PATIENCE

UNAVAILABLE = "Redis unavailable, serving from memory"
RECOVERED = "Redis available again, cache back on Redis"


def fast_probes(store: wr.ResilientStore) -> wr.ResilientStore:
    store.breaker.backoff = ConstantBackoff(0.1)  # production: 0.25 s doubling to 30 s
    return store


def messages(caplog, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage()]


# -- the memory store (no server)


def test_memory_store_expires_entries():
    store = wr.MemoryStore()
    store.set("a", b"1", 500)
    store.set("b", b"2", 60_000)
    assert store.get("a") == b"1"
    time.sleep(0.55)
    assert store.get("a") is None
    assert store.get("b") == b"2"
    assert store.get("never") is None


def test_memory_store_is_bounded_and_evicts_least_recently_used():
    store = wr.MemoryStore(max_bytes=100)
    for name in "abcde":
        store.set(name, b"x" * 19, 60_000)  # 20 bytes each with the key: exactly full
    assert store.size == 100
    assert store.get("a") == b"x" * 19  # "a" is now the most recently used
    store.set("f", b"x" * 19, 60_000)
    assert store.get("b") is None  # the least recently used went
    assert store.get("a") is not None and store.size == 100
    store.set("a", b"y" * 9, 60_000)  # replacing an entry does not count it twice
    assert store.size == 90


def test_memory_store_add_delete_scan_clear():
    store = wr.MemoryStore()
    assert store.add("lock", b"1", 60_000)
    assert not store.add("lock", b"2", 60_000)
    store.set("pharmacare:x:1", b"1", 60_000)
    store.set("pharmacare:x:2", b"1", 60_000)
    store.set("pharmacare:y:1", b"1", 60_000)
    store.set("pharmacare:x:gone", b"1", 1)
    time.sleep(0.01)
    assert sorted(store.scan("pharmacare:x:*")) == ["pharmacare:x:1", "pharmacare:x:2"]
    assert store.delete("pharmacare:x:1", "missing") == 1
    store.clear()
    assert store.size == 0 and store.get("pharmacare:y:1") is None


def test_report_cache_works_the_same_on_memory():
    cache = ReportCache(wr.MemoryStore())
    calls = []
    for _ in range(3):
        cache.get_or_load("daily-sales", {"pharmacy": 1}, lambda: calls.append(1) or {"t": 1})
    assert len(calls) == 1 and cache.stats.hits == 2
    cache.get_or_load("daily-sales", {"pharmacy": 2}, lambda: {"t": 2})
    assert cache.invalidate_family("daily-sales") == 2
    assert cache.invalidate("daily-sales", {"pharmacy": 1}) == 0


# -- choosing the store


def test_cache_provider_memory_selects_memory_and_says_so(caplog, capture):
    caplog.set_level(logging.INFO, logger="pharmacare.cache")
    store = wr.make_store({"CACHE_PROVIDER": "Memory "})
    assert isinstance(store, wr.MemoryStore)
    (record,) = caplog.records
    line = f"{record.levelname} {record.name}: {record.getMessage()}"
    capture("cache-provider-memory", line, offline=True)


def test_cache_provider_default_is_redis_and_typos_fail():
    store = wr.make_store({"CACHE_PROVIDER": "", "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert isinstance(store, wr.ResilientStore) and isinstance(store.fallback, wr.MemoryStore)
    with pytest.raises(ValueError, match="CACHE_PROVIDER='memcached' is not one of: redis, memory"):
        wr.make_store({"CACHE_PROVIDER": "memcached"})  # SwitchError: config.invalid-switch


# -- the breaker (no server)


def test_breaker_opens_once_probes_after_backoff_and_closes(caplog):
    caplog.set_level(logging.DEBUG, logger="pharmacare.cache")
    breaker = wr.CircuitBreaker(ConstantBackoff(0.5))
    assert breaker.allow() == "redis"
    breaker.failure(redis.ConnectionError("refused"))
    assert breaker.allow() == "fallback"
    time.sleep(0.55)
    assert breaker.allow() == "probe"
    assert breaker.allow() == "fallback"  # one probe at a time
    breaker.failure(redis.ConnectionError("still refused"))
    assert breaker.state == "open" and breaker.failures == 2
    time.sleep(0.55)
    assert breaker.allow() == "probe"
    assert breaker.success() is True
    assert breaker.success() is False
    assert breaker.allow() == "redis"
    assert len(messages(caplog, UNAVAILABLE)) == 1
    assert len(messages(caplog, RECOVERED)) == 1
    assert len(messages(caplog, "Redis probe failed")) == 1


def test_a_probe_that_never_reports_back_is_given_up():
    breaker = wr.CircuitBreaker(ConstantBackoff(0.0), probe_timeout=0.5)
    breaker.failure(redis.ConnectionError("refused"))
    assert breaker.allow() == "probe"  # … and that caller hangs, or dies without reporting
    assert breaker.allow() == "fallback"
    time.sleep(0.55)
    assert breaker.allow() == "probe"  # the circuit does not stay half-open for ever


def test_default_probe_backoff_grows_and_is_capped():
    breaker = wr.CircuitBreaker()
    delays = [breaker.backoff.compute(n) for n in (1, 2, 3, 10)]
    assert 0.25 <= delays[0] <= 0.5 and 0.5 <= delays[1] <= 1.0 and 1.0 <= delays[2] <= 2.0
    assert 15.0 <= delays[3] <= 30.0


# -- on a server: kill -9 under running callers


def test_kill9_during_reads_and_writes_never_reaches_callers(app, caplog, capture):
    caplog.set_level(logging.DEBUG, logger="pharmacare.cache")
    store = fast_probes(wr.make_store())
    cache = ReportCache(store, wait_ms=200, poll_ms=10)
    errors: list[BaseException] = []
    done = [0]
    stop = threading.Event()

    def caller(offset: int) -> None:
        i = offset
        while not stop.is_set():
            params = {"pharmacy": i % 40}
            try:
                value = cache.get_or_load("daily-sales", params, lambda p=params: dict(p))
                assert value == params
                if i % 9 == 0:
                    cache.invalidate("daily-sales", params)
            except BaseException as error:  # anything at all reaching a caller fails the test
                errors.append(error)
            done[0] += 1
            i += 1

    threads = [threading.Thread(target=caller, args=(n * 10,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: done[0] >= 300, what="300 calls on Redis")
        app.server.kill9()
        wait_for(lambda: store.breaker.state != "closed", what="the circuit opening")
        served = done[0]
        wait_for(lambda: done[0] >= served + 1000, what="1,000 calls served from memory")
        app.server.restart()
        admin = app.server.admin()
        wait_for(
            lambda: store.breaker.state == "closed" and admin.dbsize() > 0,
            what="the cache writing to Redis again",
        )
        served = done[0]
        wait_for(lambda: done[0] >= served + 300, what="300 more calls after recovery")
    except AssertionError as timeout:  # say why: the breaker's state and the last probe error
        probes = [r.getMessage() for r in caplog.records if "probe failed" in r.getMessage()]
        raise AssertionError(
            f"{timeout}; circuit {store.breaker.state}, errors {errors[:3]}, probes {probes[-2:]}"
        ) from None
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert errors == []
    down, up = messages(caplog, UNAVAILABLE), messages(caplog, RECOVERED)
    assert (len(down), len(up)) == (1, 1)  # once per outage, not once per call
    assert [c["name"] for c in admin.client_list() if c.get("user") == APP_USERNAME]
    capture(
        "cache-redis-unavailable",
        "\n".join(f"{r.levelname} {r.name}: {r.getMessage()}" for r in (down[0], up[0])),
    )


def test_invalidations_made_during_the_outage_are_replayed(redis_factory, monkeypatch):
    app = app_user.start(redis_factory, appendonly=True, appendfsync="always")
    monkeypatch.setenv("REDIS_URL", app.url)
    store = fast_probes(wr.make_store())
    cache = ReportCache(store)
    for pharmacy in (1, 2, 3):
        cache.get_or_load("daily-sales", {"pharmacy": pharmacy}, lambda: {"t": 1})
        cache.get_or_load("monthly-revenue", {"pharmacy": pharmacy}, lambda: {"t": 1})
    app.server.kill9()
    cache.invalidate("daily-sales", {"pharmacy": 1})  # a sale happened while Redis was down
    cache.invalidate_family("monthly-revenue")
    assert store.breaker.state == "open"
    app.server.restart()  # AOF: the old entries are back
    admin = app.server.admin()
    assert admin.exists(report_key("daily-sales", {"pharmacy": 1})) == 1
    wait_for(
        lambda: (
            cache.get_or_load("daily-sales", {"pharmacy": 2}, lambda: {"t": 2})
            and store.breaker.state == "closed"
        ),
        what="recovery",
    )
    assert admin.exists(report_key("daily-sales", {"pharmacy": 1})) == 0
    assert admin.exists(report_key("daily-sales", {"pharmacy": 2})) == 1
    assert list(admin.scan_iter(match="pharmacare:cache:v1:report:monthly-revenue:*")) == []


def test_replay_that_fails_is_kept_for_the_next_recovery(app, redis_factory, monkeypatch, caplog):
    # A front that drops any connection after 800 bytes from the client: the probe (a short
    # GET) gets through, the replayed UNLINK of a long key does not, even when retried.
    front = redis_factory.front(app.server, drop_after=800)
    url = f"redis://{APP_USERNAME}:{app.app_password}@127.0.0.1:{front.port}/0"
    monkeypatch.setenv("REDIS_URL", url)
    caplog.set_level(logging.INFO, logger="pharmacare.cache")
    store = fast_probes(wr.ResilientStore(RedisStore(make_client("cache")), wr.MemoryStore()))
    long_key = "pharmacare:cache:v1:report:daily-sales:" + "x" * 1000
    store.breaker.failure(redis.ConnectionError("simulated outage"))
    store.delete(long_key)  # recorded while the circuit is open
    time.sleep(0.15)
    assert store.get("pharmacare:cache:v1:probe") is None  # the probe succeeds …
    assert len(messages(caplog, RECOVERED)) == 1
    assert store.breaker.state == "open"  # … the replay fails and reopens the circuit
    assert store.breaker.failures == 1  # counted from the recovery, not the first outage
    assert store._pending == {("key", long_key)}


def test_too_many_invalidations_fall_back_to_ttls(caplog):
    store = wr.ResilientStore(RedisStore(make_client("cache")), max_pending=1)
    store.breaker.failure(redis.ConnectionError("simulated outage"))
    with caplog.at_level(logging.WARNING, logger="pharmacare.cache"):
        store.delete("pharmacare:a", "pharmacare:b")
    assert len(store._pending) == 1
    assert "relying on TTLs" in caplog.text


def test_without_a_fallback_every_call_is_a_miss(app):
    store = fast_probes(wr.ResilientStore(RedisStore(make_client("cache")), fallback=None))
    app.server.kill9()
    assert store.get("pharmacare:k") is None
    store.set("pharmacare:k", b"v", 1000)
    assert store.get("pharmacare:k") is None
    assert store.add("pharmacare:lock", b"1", 1000) is True  # no shared lock: load yourself
    assert store.delete("pharmacare:k") == 0
    assert list(store.scan("pharmacare:*")) == []
    cache = ReportCache(store)
    assert cache.get_or_load("daily-sales", {}, lambda: {"t": 1}) == {"t": 1}


# -- what must not fall back


def test_queues_and_locks_fail_loudly_while_the_cache_degrades(app):
    cache = ReportCache(fast_probes(wr.make_store()))
    queue = make_client("queue")
    admin = app.server.admin()
    with wr.exclusive(queue, "send-reminders"):
        with pytest.raises(wr.LockHeld), wr.exclusive(queue, "send-reminders"):
            pytest.fail("ran while another instance held the lock")
        admin.set("pharmacare:lock:send-reminders", "someone-else")  # ours expired, theirs now
    assert admin.get("pharmacare:lock:send-reminders") == "someone-else"  # not released by us
    admin.delete("pharmacare:lock:send-reminders")
    assert wr.background_jobs_enabled() is True
    app.server.kill9()
    assert cache.get_or_load("daily-sales", {}, lambda: {"t": 1}) == {"t": 1}  # degrades
    with pytest.raises(redis.ConnectionError):
        wr.background_jobs_enabled()
    with pytest.raises(redis.ConnectionError), wr.exclusive(queue, "send-reminders"):
        pytest.fail("ran without the lock")


def test_background_jobs_can_be_switched_off(caplog):
    with caplog.at_level(logging.WARNING, logger="pharmacare.cache"):
        assert wr.background_jobs_enabled({"DISABLE_BACKGROUND_JOBS": "true"}) is False
    assert "Background jobs disabled" in caplog.text


# -- the demo


def run_demo(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snippets.cache.without_redis"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_demo_runs_without_redis_at_all():
    out = run_demo({"CACHE_PROVIDER": "memory", "DISABLE_BACKGROUND_JOBS": "true"})
    assert out.returncode == 0, out.stderr
    assert "cache store: MemoryStore" in out.stdout
    assert "hits=1 loads=1" in out.stdout and "background jobs: off" in out.stdout


def test_demo_runs_with_redis(app):
    out = run_demo({"REDIS_URL": app.url})
    assert out.returncode == 0, out.stderr
    assert "cache store: ResilientStore" in out.stdout and "background jobs: on" in out.stdout
    assert app.app_password not in out.stdout + out.stderr


def test_demo_with_redis_gone_caches_in_memory_then_refuses_jobs(redis_factory):
    closed = redis_factory.closed_port()
    out = run_demo({"REDIS_URL": f"redis://127.0.0.1:{closed.port}/0"})
    assert out.returncode != 0  # the background-jobs check stops the process
    assert out.stdout.count("{'in_stock': 412}") == 2 and "hits=1 loads=1" in out.stdout
    assert out.stderr.count(UNAVAILABLE) == 1
    assert "ConnectionError" in out.stderr.splitlines()[-1]


def test_configuration_errors_are_raised_not_hidden(app):
    store = wr.make_store()
    with pytest.raises(redis.exceptions.NoPermissionError):
        store.get("not-our-prefix:key")  # outside the ACL user's key pattern
    assert store.breaker.state == "closed"


def test_a_probe_answered_with_an_error_still_closes_the_circuit(app, caplog):
    caplog.set_level(logging.INFO, logger="pharmacare.cache")
    store = wr.make_store()
    store.breaker.failure(redis.ConnectionError("simulated outage"))
    store.breaker.retry_at = 0.0  # due for a probe
    with pytest.raises(redis.exceptions.NoPermissionError):
        store.get("not-our-prefix:key")  # the probe: Redis answers, with an error
    assert store.breaker.state == "closed"
    assert len(messages(caplog, RECOVERED)) == 1


def test_out_of_memory_on_a_noeviction_cache_is_raised(redis_factory, monkeypatch):
    app = app_user.start(redis_factory, maxmemory="2mb", maxmemory_policy="noeviction")
    monkeypatch.setenv("REDIS_URL", app.url)
    store = wr.make_store()
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        for n in range(100):
            store.set(f"pharmacare:cache:v1:fill:{n}", b"x" * 100_000, 60_000)
    assert store.breaker.state == "closed"


def test_watching_demo_rides_out_a_kill_and_restart(app):
    """The page's "try it by hand", automated: Redis dies and returns under a running demo."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "snippets.cache.without_redis", "--watch", "120"],
        env={**os.environ, "REDIS_URL": app.url, "DISABLE_BACKGROUND_JOBS": "true"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    # Both pipes are drained while the demo runs: its log lines (stderr) of a long outage on
    # a busy machine would fill the pipe and block it, and Ctrl-C could never end it.
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.extend(iter(proc.stderr.readline, "")))
    drain.start()
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")))
    reader.start()
    try:
        wait_for(lambda: any("circuit=closed" in line for line in lines), what="first reads")
        app.server.kill9()
        wait_for(lambda: any("circuit=open" in line for line in lines), what="circuit opening")
        app.server.restart()
        opened = max(i for i, line in enumerate(lines) if "circuit=open" in line)
        wait_for(
            lambda: any("circuit=closed" in line for line in lines[opened:]),
            what="circuit closing after the restart",
        )
        proc.send_signal(signal.SIGINT)  # Ctrl-C, as a reader would
        proc.wait(timeout=30 * PATIENCE)
    finally:
        proc.kill()
        reader.join(timeout=10)
        drain.join(timeout=10)
    stderr = "".join(errors)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert stderr.count(UNAVAILABLE) == 1 and stderr.count(RECOVERED) == 1
    assert all("{'in_stock': 412}" in line for line in lines if "circuit=" in line)
