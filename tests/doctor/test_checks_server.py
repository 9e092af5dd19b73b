"""snippets/doctor/checks_server.py: auth, cluster, latency, INFO and judgments on real servers."""

from __future__ import annotations

import os

import redis

from snippets.config.settings import load_settings
from snippets.doctor import checks_server
from tests.demos import run_demo
from tests.doctor.helpers import diagnose, failing, statuses
from tools import harness
from tools.harness.session import PATIENCE


def fill(server: harness.Server, count: int, size: int = 1000) -> int:
    """Write keys until the server refuses (OOM) or ``count`` keys; returns keys written."""
    with server.admin() as client:
        for i in range(count):
            try:
                client.set(f"fill:{i}", "x" * size)
            except redis.exceptions.OutOfMemoryError:
                return i
    return count


def test_healthy_server_passes_everything(redis_factory):
    password = harness.random_password()
    server = redis_factory(password=password, appendonly=True)
    report = diagnose(server.url(username="default"))
    assert report.ok
    assert {r.status for r in report.checks if r.id != "url.localhost"} == {"pass"}
    assert [r.id for r in report.checks][2:] == [
        "net.dns",
        "net.refused",
        "tls.required",
        "auth.wrongpass",
        "cluster.moved",
        "latency.high",
        "memory.oom",
        "memory.pressure",
        "memory.policy-queue",
        "memory.evictions",
        "server.maxclients",
        "persistence.off",
    ]


def test_url_warnings_do_not_fail_a_working_connection(redis_server):
    url = redis_server.url(query="decode_responses=false") + "\n"
    report = diagnose(url)
    assert report.ok
    assert statuses(report)["url.option-string-truthy"] == "warn"
    assert statuses(report)["url.whitespace"] == "warn"


def test_noauth_when_the_url_has_no_password(redis_factory):
    server = redis_factory(password=harness.random_password())
    report = diagnose(server.url(password=""))
    assert failing(report) == ["auth.required"]


def test_noauth_seen_by_redis_py(redis_factory):
    """A server that lets PING through but wants AUTH for the rest (first reply +PONG)."""
    server = redis_factory(password=harness.random_password())
    settings = load_settings({"REDIS_URL": server.url(password="")})
    with checks_server.doctor_client(settings, 1.0) as client:
        assert checks_server.check_auth(client, settings, "+PONG").id == "auth.required"


def test_wrongpass(redis_factory):
    server = redis_factory(password=harness.random_password())
    report = diagnose(server.url(password="not-the-" + harness.random_password()))
    assert failing(report) == ["auth.wrongpass"]
    assert "invalid username-password pair" in report.checks[-1].summary


def test_wrong_acl_user(redis_factory):
    password = harness.random_password()
    server = redis_factory(acl_users=(f"app on >{password} ~* +@all",))
    report = diagnose(server.url(username="ghost", password=password))
    assert failing(report) == ["auth.wrongpass"]
    assert "user ghost" in report.checks[-1].summary


def test_password_sent_to_a_server_without_one(redis_server):
    report = diagnose(redis_server.url(password=harness.random_password()))
    assert report.ok and statuses(report)["auth.not-required"] == "warn"
    acl = diagnose(redis_server.url(username="default", password="x" * 12))
    assert statuses(acl)["auth.not-required"] == "warn"


def test_acl_user_without_info_set_ping(redis_factory):
    password = harness.random_password()
    server = redis_factory(acl_users=(f"app on >{password} ~* +@all -info -set -ping -config",))
    report = diagnose(server.url(username="app", password=password))
    found = statuses(report)
    assert report.ok
    assert found["auth.noperm"] == "warn"
    assert found["latency.high"] == "skip" and found["memory.oom"] == "skip"
    for check_id in ("memory.pressure", "memory.evictions", "server.maxclients"):
        assert found[check_id] == "skip"
    denied = [r.summary for r in report.checks if r.id == "auth.noperm"]
    assert any("(PING: " in s for s in denied)
    assert any("(SET: " in s for s in denied)
    assert any("(INFO " in s for s in denied)


def test_acl_user_limited_to_app_keys(redis_factory):
    password = harness.random_password()
    server = redis_factory(acl_users=(f"app on >{password} ~other:* +@all",))
    report = diagnose(server.url(username="app", password=password))
    assert statuses(report)["cluster.moved"] == "skip"
    assert "permissions to access" in next(
        r.summary for r in report.checks if r.id == "auth.noperm"
    )


def test_cluster_moved(redis_factory):
    cluster = redis_factory.cluster()
    report = diagnose(cluster.url())
    assert failing(report) == ["cluster.moved"]
    assert "MOVED" in next(r.summary for r in report.checks if r.id == "cluster.moved")


def test_latency_high_through_a_slow_front(redis_factory):
    server = redis_factory()
    front = redis_factory.front(server, delay=0.04)  # each direction: >= 80 ms a round trip
    report = diagnose(f"redis://127.0.0.1:{front.port}/0")
    assert statuses(report)["latency.high"] == "warn"
    assert report.ok  # a warning is not a failure


def test_oom_with_noeviction(redis_factory):
    server = redis_factory(maxmemory="1mb", maxmemory_policy="noeviction")
    fill(server, 5000)
    report = diagnose(server.url())
    found = statuses(report)
    assert failing(report) == ["memory.oom"]
    assert found["memory.pressure"] == "warn"
    assert found["memory.policy-queue"] == "pass"
    assert "OOM command not allowed" in next(
        r.summary for r in report.checks if r.id == "memory.oom"
    )


def test_memory_pressure_below_oom(redis_factory):
    server = redis_factory(maxmemory="4mb", maxmemory_policy="noeviction")
    with server.admin() as client:
        limit = int(client.info("memory")["maxmemory"])
        used = int(client.info("memory")["used_memory"])
        for i in range(10_000):
            if used > 0.85 * limit:
                break
            client.set(f"fill:{i}", "x" * 2000)
            used = int(client.info("memory")["used_memory"])
    report = diagnose(server.url())
    assert statuses(report)["memory.pressure"] == "warn"
    assert statuses(report)["memory.oom"] == "pass"


def test_evictions_and_policy_with_jobs(redis_factory):
    server = redis_factory(maxmemory="2mb", maxmemory_policy="allkeys-lru")
    assert fill(server, 3000) == 3000  # allkeys-lru never refuses: it evicts
    assert server.info("stats")["evicted_keys"] > 0
    report = diagnose(server.url())
    found = statuses(report)
    assert failing(report) == ["memory.policy-queue"]
    assert found["memory.evictions"] == "warn"
    cache_only = diagnose(server.url(), DISABLE_BACKGROUND_JOBS="true")
    assert cache_only.ok
    assert statuses(cache_only)["memory.policy-queue"] == "pass"
    assert statuses(cache_only)["persistence.off"] == "pass"
    assert statuses(cache_only)["memory.evictions"] == "warn"


def test_maxclients_near_the_limit(redis_factory):
    server = redis_factory(maxclients=10)
    held = [server.admin() for _ in range(8)]
    for client in held:
        client.ping()
    report = diagnose(server.url())
    assert statuses(report)["server.maxclients"] == "warn"
    for client in held:
        client.close()


def test_persistence_off_on_and_blocked_config(redis_factory):
    off = diagnose(redis_factory().url())
    assert statuses(off)["persistence.off"] == "warn"
    rdb = diagnose(redis_factory(save="3600 1").url())
    assert statuses(rdb)["persistence.off"] == "pass"
    blocked = redis_factory(config=('rename-command CONFIG ""',))
    report = diagnose(blocked.url())
    assert statuses(report)["persistence.off"] == "skip"
    assert "CONFIG is blocked" in next(
        r.summary for r in report.checks if r.id == "persistence.off"
    )
    assert report.ok


def test_info_blocked_by_the_provider(redis_factory):
    server = redis_factory(config=('rename-command INFO ""',))
    report = diagnose(server.url())
    found = statuses(report)
    assert report.ok
    for check_id in (
        "memory.pressure",
        "memory.policy-queue",
        "memory.evictions",
        "server.maxclients",
        "persistence.off",
    ):
        assert found[check_id] == "skip", check_id


def test_config_get_of_an_unknown_setting(redis_server):
    with redis_server.admin() as client:
        assert checks_server.config_get(client, "maxclients") == "10000"
        assert checks_server.config_get(client, "no-such-setting") is None


def test_write_refused_on_a_replica(redis_factory):
    primary = redis_factory()
    replica = redis_factory(config=(f"replicaof 127.0.0.1 {primary.port}",))
    settings = load_settings({"REDIS_URL": replica.url()})
    with checks_server.doctor_client(settings, 2.0) as client:
        result = checks_server.check_write(client)[0]
    assert result.status == "skip" and "read only replica" in result.summary


def test_connection_dropped_at_auth_and_mid_run(redis_factory):
    server = redis_factory()
    front = redis_factory.front(server, drop_after=60)  # the raw PING passes, HELLO does not
    report = diagnose(f"redis://127.0.0.1:{front.port}/0")
    assert failing(report) == ["net.closed"]
    front = redis_factory.front(server, drop_after=400)  # authenticated, then it drops
    report = diagnose(f"redis://127.0.0.1:{front.port}/0")
    assert failing(report) == ["net.closed"]
    assert statuses(report)["auth.required"] == "pass"
    assert "during the checks" in report.checks[-1].summary


def test_server_stops_answering_mid_run(redis_factory):
    server = redis_factory()
    with server.admin() as admin:
        admin.execute_command("CLIENT", "PAUSE", 20000, "WRITE")  # reads answer, writes wait
        report = diagnose(server.url(), timeout=0.5 * PATIENCE)
        admin.execute_command("CLIENT", "UNPAUSE")
    assert failing(report) == ["net.timeout"]
    # reads answered: latency was measured (its verdict depends on the machine's load)
    assert statuses(report)["latency.high"] in {"pass", "warn"}


def test_timeout_at_auth(redis_factory):
    silent = redis_factory.silent_endpoint()
    settings = load_settings({"REDIS_URL": f"redis://127.0.0.1:{silent.port}/0"})
    with checks_server.doctor_client(settings, 0.3) as client:
        assert checks_server.check_auth(client, settings, "+PONG").id == "net.timeout"


class InfoWithoutMaxclients(redis.Redis):
    """A real client whose INFO lacks maxclients, as on Redis before 7."""

    def info(self, section=None, *args, **kwargs):
        data = super().info(section, *args, **kwargs)
        data.pop("maxclients", None)
        return data


def test_maxclients_read_with_config_or_skipped(redis_factory):
    for config, expected in (((), "pass"), (('rename-command CONFIG ""',), "skip")):
        server = redis_factory(config=config)
        with InfoWithoutMaxclients(port=server.port, retry=harness.NO_RETRY) as client:
            rows = checks_server.judge(client, jobs_enabled=True, progress=lambda _: None)
        row = next(r for r in rows if r.id == "server.maxclients")
        assert row.status == expected, row


def test_maxclients_at_auth(redis_factory):
    server = redis_factory(maxclients=1)
    settings = load_settings({"REDIS_URL": server.url()})
    with server.admin() as held, checks_server.doctor_client(settings, 2.0) as client:
        held.ping()
        assert checks_server.check_auth(client, settings, "+PONG").id == "server.maxclients"


def test_demo_runs(redis_server):
    env = {**os.environ, "REDIS_URL": redis_server.url()}
    out = run_demo("snippets.doctor.checks_server", env=env, check=True)
    assert "memory.policy-queue" in out.stdout


def test_sentinel_is_not_a_data_node(redis_factory):
    group = redis_factory.sentinel()
    report = diagnose(f"redis://127.0.0.1:{group.sentinels[0].port}/0")
    assert failing(report) == ["server.sentinel"]
    assert report.checks[-1].id == "server.sentinel"


def test_renamed_commands_are_skipped_not_crashed(redis_factory):
    server = redis_factory(config=('rename-command PING ""', 'rename-command EXISTS ""'))
    report = diagnose(server.url())
    found = statuses(report)
    assert report.ok
    assert found["cluster.moved"] == "skip" and found["latency.high"] == "skip"


class InfoWithoutFields(redis.Redis):
    """A real client whose INFO sections come back empty, as from an unusual proxy."""

    def info(self, section=None, *args, **kwargs):
        super().info(section, *args, **kwargs)
        return {}


def test_missing_info_fields_are_skipped_not_crashed(redis_server, monkeypatch):
    def client(settings, timeout):
        return InfoWithoutFields.from_url(settings.url, retry=harness.NO_RETRY)

    monkeypatch.setattr(checks_server, "doctor_client", client)
    report = diagnose(redis_server.url())
    assert report.checks[-1].status == "skip" and "INFO lacks" in report.checks[-1].summary


def test_server_without_hello_and_the_protocol_2_fix(redis_factory):
    server = redis_factory(config=('rename-command HELLO ""',))  # like Redis 5 or a proxy
    report = diagnose(server.url())
    assert failing(report) == ["server.no-hello"]
    assert diagnose(server.url(query="protocol=2")).ok


def test_session_set_up_refused(redis_factory):
    server = redis_factory(config=('rename-command CLIENT ""',))  # redis-py sets a name
    report = diagnose(server.url())
    assert failing(report) == ["net.closed"]
    assert "session set-up" in report.checks[-1].summary
