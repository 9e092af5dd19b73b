"""snippets/cache/without-redis.ts: memory store, circuit breaker, kill -9, loud failures.

The Node twin of test_without_redis.py. Server tests run on both kinds as the app's ACL
user; the fault tests SIGKILL the server under running callers in a node process and
restart it on the same port (harness), with bounded waits on what the process reports.
"""

from __future__ import annotations

import re
import signal
import subprocess
import threading

from snippets.cache.report_cache import report_key
from tests.cache import app_user
from tests.cache.ts_driver import Interactive, scenario
from tests.nodejs import run_ts, start_ts
from tools.harness import wait_for

UNAVAILABLE = "Redis unavailable, serving from memory"
RECOVERED = "Redis available again, cache back on Redis"
MODULE = "cache/without-redis.ts"


# -- no server


def test_memory_store_expires_bounds_and_scans():
    out = scenario("memory")
    assert out["before"] == "1" and out["expired"] == [None, "2", None]
    assert out["full"] == 100
    assert out["lru"] == [None, "x" * 19, 100]  # the least recently used went
    assert out["replaced"] == 90
    assert out["add"] == [True, False]
    assert out["scan"] == ["pharmacare:x:1", "pharmacare:x:2"]  # "." and "()" taken literally
    assert out["scanClass"] == ["pharmacare:x:1", "pharmacare:x:2", "pharmacare:y:1"]
    assert out["deleted"] == 1 and out["cleared"] == [0, None]
    assert out["cache"] == [1, 2, 2, 0]  # the report cache runs on it unchanged


def test_breaker_opens_probes_once_and_closes():
    out = scenario("breaker")
    assert out["steps"] == [
        "redis",
        "fallback",
        "probe",
        "fallback",  # one probe at a time
        "open",
        2,
        "probe",
        True,  # this success ended an outage
        False,
        "redis",
    ]
    assert out["lost"] == ["probe", "fallback", "probe"]  # a lost probe is given up
    one, two, three, ten = out["delays"]
    assert 250 <= one <= 500 and 500 <= two <= 1000 and 1000 <= three <= 2000
    assert 15_000 <= ten <= 30_000
    # no reply, or "loading": unreachable; any other reply: Redis is up (raise it)
    assert out["down"] == [True, True, False, False]
    assert out["_stderr"].count(UNAVAILABLE) == 2  # once per breaker, at its first failure
    assert out["_stdout"].count(RECOVERED) == 1


def test_cache_provider_is_read_by_the_shared_switch_parser(capture):
    out = scenario("provider")
    assert out["memory"] == "MemoryStore"
    assert out["redis"] == ["ResilientStore", "MemoryStore"]
    assert out["typo"]["id"] == "config.invalid-switch"  # the same id as the Python parser
    assert "memcached" in out["typo"]["message"]
    line = "Cache provider: memory (CACHE_PROVIDER=memory); Redis is not used for caching"
    assert line in out["_stdout"]
    shown = [x for x in out["_stdout"].splitlines() if x.startswith("Cache provider:")]
    capture("cache-provider-memory-ts", shown[0], offline=True, client="ioredis")


# -- kill -9 under running callers


# What a failed cache call reports (ioredis): which one depends on timing.
CALL_ERRORS = (
    "Command timed out",  # commandTimeout: 1 s
    'Reached the max retries per request limit (which is 3). Refer to "maxRetriesPerRequest"'
    " option for details.",
)


SOCKET_ERRORS = r"(read|write) (ECONNRESET|EPIPE)|connect ECONNREFUSED 127\.0\.0\.1:6379"


def outage_lines(output: str, port: int) -> str:
    """The process's lines about Redis during one outage, in the order they were printed
    (stdout and stderr are read apart), with the timing-dependent errors normalised."""
    order = [
        "Redis cache connected successfully: ",
        "Redis connection problem: ",
        UNAVAILABLE,
        "Redis connection recovered: ",
        RECOVERED,
    ]
    lines = [next(x for x in output.splitlines() if x.startswith(start)) for start in order]
    lines = [re.sub(rf":{port}\b", ":6379", x) for x in lines]
    socket_error = lines[1].split(": ", 1)[1].split(" (")[0]
    # a reset or a broken pipe, or (a clean close, then the reconnect refused) ECONNREFUSED
    assert re.fullmatch(SOCKET_ERRORS, socket_error), lines[1]
    lines[1] = lines[1].replace(socket_error, "read ECONNRESET")
    call_error = lines[2].removeprefix(UNAVAILABLE + " (").removesuffix(")")
    assert call_error in CALL_ERRORS, lines[2]
    lines[2] = f"{UNAVAILABLE} ({CALL_ERRORS[0]})"
    return "\n".join(lines)


def test_kill9_during_reads_and_writes_never_reaches_callers(app, capture):
    run = Interactive("fault")
    admin = app.server.admin()
    done = lambda: run.latest().get("done", 0)  # noqa: E731
    state = lambda: run.latest().get("state")  # noqa: E731
    try:
        wait_for(lambda: done() >= 300, what="300 calls on Redis")
        app.server.kill9()
        wait_for(lambda: state() != "closed", what="the circuit opening")
        served = done()
        wait_for(lambda: done() >= served + 1000, what="1,000 calls served from memory")
        app.server.restart()
        admin = app.server.admin()
        wait_for(
            lambda: state() == "closed" and admin.dbsize() > 0,
            what="the cache writing to Redis again",
            timeout=40,
        )
        served = done()
        wait_for(lambda: done() >= served + 300, what="300 more calls after recovery")
        assert run.latest()["errors"] == 0
        run.answer()
        final, output = run.finish()
    finally:
        run.kill()
    assert final["final"] and final["errorCount"] == 0, final["errors"]
    assert output.count(UNAVAILABLE) == 1 and output.count(RECOVERED) == 1  # once per outage
    assert app.app_password not in output
    capture(
        "cache-redis-unavailable-ts",
        outage_lines(output, app.server.port),
        client="ioredis",
        normalised="the port (shown as 6379); the errors, which depend on timing: the socket "
        "error (ECONNRESET or EPIPE on read or write, or ECONNREFUSED) shown as read ECONNRESET, "
        "the failed call's (ioredis' max-retries error or Command timed out) shown as Command "
        "timed out",
    )


def test_invalidations_made_during_the_outage_are_replayed(redis_factory, monkeypatch):
    app = app_user.start(redis_factory, appendonly=True, appendfsync="always")
    monkeypatch.setenv("REDIS_URL", app.url)
    run = Interactive("replay")
    try:
        wait_for(lambda: run.step("filled"), what="entries written")
        app.server.kill9()
        run.answer()
        wait_for(lambda: run.step("invalidated"), what="invalidations during the outage")
        assert run.step("invalidated")["state"] == "open"
        assert sorted(run.step("invalidated")["pending"]) == [
            report_key("daily-sales", {"pharmacy": 1}),
            "pharmacare:cache:v1:report:monthly-revenue:*",
        ]
        app.server.restart()  # AOF: the old entries are back …
        admin = app.server.admin()
        # … the family's three (daily-sales 1 may already be gone: ioredis resends a
        # timed-out UNLINK from its offline queue on reconnect, redis/ioredis#2130)
        family = "pharmacare:cache:v1:report:monthly-revenue:*"
        assert len(list(admin.scan_iter(match=family))) == 3
        run.answer()
        final, _ = run.finish()
    finally:
        run.kill()
    assert final == final | {"state": "closed", "pending": 0}
    assert admin.exists(report_key("daily-sales", {"pharmacy": 1})) == 0  # … and replayed away
    assert admin.exists(report_key("daily-sales", {"pharmacy": 2})) == 1
    assert list(admin.scan_iter(match=family)) == []


def test_replay_that_fails_is_kept_for_the_next_recovery(app, redis_factory, monkeypatch):
    # A front that drops any connection after 800 bytes from the client: the probe (a short
    # GET) gets through, the replayed UNLINK of a long key does not, even when retried.
    front = redis_factory.front(app.server, drop_after=800)
    url = app.url.replace(f":{app.server.port}/", f":{front.port}/")
    out = scenario("replayFails", env={"REDIS_URL": url})
    assert out["probe"] is None
    assert out["_stdout"].count(RECOVERED) + out["_stderr"].count(RECOVERED) == 1
    assert out["state"] == "open" and out["failures"] == 1  # counted from the recovery
    assert out["pending"] == ["pharmacare:cache:v1:report:daily-sales:" + "x" * 1000]


def test_too_many_invalidations_fall_back_to_ttls():
    out = scenario("tooMany", env={"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert out["pending"] == 1
    assert "relying on TTLs" in out["_stderr"]


def test_without_a_fallback_every_call_is_a_miss(app):
    app.server.kill9()
    out = scenario("noFallback")
    assert out["out"] == [None, None, True, 0, [], {"t": 1}]  # no shared lock: load yourself
    assert out["state"] == "open"


# -- what must not fall back


def test_locks_and_the_background_jobs_check(app):
    out = scenario("locks")
    assert out["ran"] == "ran" and out["nested"]["name"] == "LockHeld"
    assert out["theirs"] == "someone-else"  # not released by us
    assert out["jobs"] is True and out["jobsOff"] is False
    assert "Background jobs disabled (DISABLE_BACKGROUND_JOBS=true)" in out["_stderr"]


def test_queues_and_locks_fail_loudly_while_the_cache_degrades(app):
    app.server.kill9()
    out = scenario("loudDown")
    assert out["cache"] == {"t": 1}  # degrades
    assert out["jobs"] is not None and out["lock"] is not None  # both reject …
    assert out["ran"] is False  # … and the guarded work never ran
    assert out["_stderr"].count(UNAVAILABLE) == 1


def test_reply_errors_are_raised_and_a_probe_answered_with_one_closes(app):
    out = scenario("replyErrors")
    assert "NOPERM" in out["noperm"]["message"] and out["state"] == "closed"
    assert "NOPERM" in out["probe"]["message"] and out["after"] == "closed"
    assert out["_stdout"].count(RECOVERED) + out["_stderr"].count(RECOVERED) == 1


def test_out_of_memory_on_a_noeviction_cache_is_raised(redis_factory, monkeypatch):
    app = app_user.start(redis_factory, maxmemory="2mb", maxmemory_policy="noeviction")
    monkeypatch.setenv("REDIS_URL", app.url)
    out = scenario("replyErrors", {"oom": True})
    assert out["oom"]["message"].startswith("OOM") and out["oomState"] == "closed"


# -- the demo


def test_demo_runs_without_redis_at_all():
    out = run_ts(MODULE, env={"CACHE_PROVIDER": "memory", "DISABLE_BACKGROUND_JOBS": "true"})
    assert out.returncode == 0, out.stderr
    assert "cache store: MemoryStore" in out.stdout
    assert "hits=1 loads=1" in out.stdout and "background jobs: off" in out.stdout


def test_demo_runs_with_redis(app):
    out = run_ts(MODULE)
    assert out.returncode == 0, out.stderr
    assert "cache store: ResilientStore" in out.stdout and "background jobs: on" in out.stdout
    assert app.app_password not in out.stdout + out.stderr


def test_demo_with_redis_gone_caches_in_memory_then_refuses_jobs(redis_factory):
    closed = redis_factory.closed_port()
    out = run_ts(MODULE, env={"REDIS_URL": f"redis://127.0.0.1:{closed.port}/0"})
    assert out.returncode == 1  # the background-jobs check stops the process
    assert out.stdout.count('{"in_stock":412}') == 2 and "hits=1 loads=1" in out.stdout
    assert out.stderr.count(UNAVAILABLE) == 1
    assert "background jobs: Redis unavailable at startup" in out.stderr


def test_watching_demo_rides_out_a_kill_and_restart(app):
    """The page's "try it by hand", automated: Redis dies and returns under a running demo."""
    proc = start_ts(MODULE, "--watch", "120", env={"DISABLE_BACKGROUND_JOBS": "true"})
    lines: list[str] = []
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
            timeout=40,
        )
        proc.send_signal(signal.SIGINT)  # Ctrl-C, as a reader would
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # pragma: no cover - reported by the assert below
        pass
    finally:
        proc.kill()
        reader.join(timeout=10)
    stderr = proc.stderr.read()
    assert proc.returncode == 0, stderr
    assert stderr.count(UNAVAILABLE) == 1 and "".join(lines).count(RECOVERED) == 1
    assert all('{"in_stock":412}' in line for line in lines if "circuit=" in line)
