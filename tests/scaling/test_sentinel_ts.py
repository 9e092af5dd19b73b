"""snippets/scaling/sentinel.ts: ioredis with `sentinels` + `name` on a real primary, replica
and three sentinels, every kind; kill -9 of the primary and writes resume within a bound."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from snippets.scaling import sentinel as sentinel_py
from tests.config.ts_inline import run_script, start_script
from tests.nodejs import run_ts
from tools import harness

MODULE = "scaling/sentinel.ts"


def _env(group: harness.Sentinel) -> dict[str, str]:
    env = {
        "REDIS_SENTINELS": ",".join(f"{host}:{port}" for host, port in group.addresses),
        "REDIS_SENTINEL_MASTER": group.master_name,
    }
    if group.password:
        env["REDIS_PASSWORD"] = group.password
    return env


def _node(script: str, env: dict[str, str]) -> tuple[dict, str]:
    """Run ``script`` (it prints one JSON line last): its result and its log lines."""
    run = run_script(f"import * as s from './{MODULE}';\n{script}", env)
    assert run.returncode == 0, run.stdout + run.stderr
    *log, last = run.stdout.splitlines()
    return json.loads(last), "\n".join([*log, *run.stderr.splitlines()])


SETTINGS_CASES = [
    {
        "REDIS_SENTINELS": "10.0.0.5:26379, 10.0.0.6:26379,[fd00::7]:26380",
        "REDIS_PASSWORD": "pw-x9",
        "REDIS_SENTINEL_PASSWORD": "sentinel-pw-x9",
        "REDIS_USERNAME": "pharmacare-app",
        "REDIS_DB": "2",
    },
    {"REDIS_SENTINELS": "10.0.0.5"},
    {"REDIS_SENTINELS": "10.0.0.5:26379,:26379"},
    {"REDIS_SENTINELS": "10.0.0.5:0"},
    {"REDIS_SENTINELS": ""},
    {"REDIS_SENTINELS": "10.0.0.5:26379", "REDIS_DB": "one"},
]


def test_settings_and_error_ids_are_the_python_ones():
    out, _ = _node(
        f"""
const results = {json.dumps(SETTINGS_CASES)}.map((env) => {{
  try {{ return {{ settings: s.loadSentinelSettings(env) }}; }}
  catch (e) {{ return {{ id: e.id }}; }}
}});
console.log(JSON.stringify({{ results,
  enabled: [s.sentinelEnabled({{ REDIS_SENTINELS: 'h:26379' }}), s.sentinelEnabled({{}})] }}));
""",
        {},
    )
    results = out["results"]
    for env, result in zip(SETTINGS_CASES, results, strict=True):
        try:
            py = sentinel_py.load_sentinel_settings(env)
        except sentinel_py.RedisConfigError as error:
            assert result == {"id": error.check_id}, env
            continue
        ts = result["settings"]
        assert [(x["host"], x["port"]) for x in ts["sentinels"]] == list(py.sentinels)
        assert (ts["name"], ts["db"], ts["username"]) == (py.master, py.db, py.username)
        assert (ts["password"], ts["sentinelPassword"]) == (py.password, py.sentinel_password)
    assert [r.get("id") for r in results[1:]] == ["url.invalid-port"] * 4 + ["url.invalid-db"]
    assert out["enabled"] == [True, False]


@pytest.fixture
def group(redis_factory) -> harness.Sentinel:
    return redis_factory.sentinel(password=harness.random_password())


def test_client_writes_to_the_primary_and_logs_it_once(group, redis_factory):
    closed = redis_factory.closed_port()
    env = _env(group)  # a dead sentinel first: skipped
    env["REDIS_SENTINELS"] = f"127.0.0.1:{closed.port}," + env["REDIS_SENTINELS"]
    out, stderr = _node(
        """
const client = s.createSentinelClient('presence');
for (let n = 0; n < 20; n++) await client.set(`pharmacare:presence:user-${n}`, 'online', 'EX', 60);
await s.setAcknowledged(client, 'pharmacare:rx:1001', 'dispensed');
let notReplicated = null;
try { await s.setAcknowledged(client, 'pharmacare:rx:1002', 'x', 2, 100); }
catch (e) { notReplicated = `${e.name}: ${e.message}`; }
let wrongType = null;
try { await s.throughFailover(() => client.hget('pharmacare:rx:1001', 'f')); }
catch (e) { wrongType = e.message; }
await client.quit();
console.log(JSON.stringify({ notReplicated, wrongType }));
""",
        env,
    )
    with group.primary.admin() as primary:
        assert primary.get("pharmacare:presence:user-19") == "online"
    with group.replica.admin() as replica:  # acknowledged: the replica has it
        assert replica.get("pharmacare:rx:1001") == "dispensed"
    assert out["notReplicated"] == "NotReplicatedError: pharmacare:rx:1002: 1/2 replicas in 100 ms"
    assert out["wrongType"].startswith("WRONGTYPE")  # not a failover: not retried
    assert stderr.splitlines() == [
        f"Redis primary for 'pharmacare': 127.0.0.1:{group.primary.port} (from sentinel)"
    ]
    assert group.password not in stderr


FAILOVER_SCRIPT = """
import { createInterface } from 'node:readline';
const client = s.createSentinelClient('queue');
for (let n = 0; n < 50; n++) {
  await s.setAcknowledged(client, `pharmacare:rx:${n}`, `dispensed-${n}`);
}
console.log('READY');
// the test kills the primary, then sends a line
for await (const _ of createInterface({ input: process.stdin })) break;
const started = performance.now();
await s.throughFailover(() => client.set('pharmacare:after-failover', '1'));
console.log(JSON.stringify({ resumedMs: Math.round(performance.now() - started),
  rx49: await client.get('pharmacare:rx:49') }));
await client.quit();
"""


def test_failover_writes_resume_and_acknowledged_writes_survive(redis_factory, capture):
    group = redis_factory.sentinel(password=harness.random_password(), down_after_ms=2000)
    old, new = group.primary.port, group.replica.port
    proc = start_script(f"import * as s from './{MODULE}';\n{FAILOVER_SCRIPT}", _env(group))
    try:
        before = []  # the log up to READY (stdout and stderr are one pipe here)
        while (line := proc.stdout.readline()) and line.strip() != "READY":
            before.append(line)
        assert line.strip() == "READY", before
        group.primary.kill9()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        output, _ = proc.communicate(timeout=sentinel_py.FAILOVER_BUDGET + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, output
    lines = "".join(before).splitlines() + output.splitlines()
    result = json.loads(lines[-1])
    assert result["resumedMs"] < 60_000  # bounded: it resumed, it did not give up
    assert result["rx49"] == "dispensed-49"
    # ioredis found the promoted replica through a sentinel that already knew it; sentinel 0
    # may learn it from the others' hello messages a moment later.
    harness.wait_for(lambda: group.current_primary_port() == new, "sentinel 0 to report it")
    with group.replica.admin() as promoted:
        assert promoted.info("replication")["role"] == "master"
        assert promoted.get("pharmacare:after-failover") == "1"
        for n in range(50):  # WAIT 1 acknowledged: none was lost
            assert promoted.get(f"pharmacare:rx:{n}") == f"dispensed-{n}"
    log = [line for line in lines[:-1] if line.startswith("Redis")]
    assert log[0] == f"Redis primary for 'pharmacare': 127.0.0.1:{old} (from sentinel)"
    assert log[1].startswith("Redis connection problem: ")
    assert log[2].startswith("Redis unavailable, retrying for up to 60 s: ")
    moved = f"moved from 127.0.0.1:{old} to 127.0.0.1:{new}"
    assert f"Redis failover: primary for 'pharmacare' {moved}" in log
    assert re.fullmatch(r"Redis available again after \d+\.\d s", log[-1])
    assert group.password not in output
    text = "\n".join(log).replace(f":{old}", ":6379").replace(f":{new}", ":6380")
    capture(
        "sentinel-failover-log-ts",
        re.sub(r"after \d+\.\d s", "after N.N s", text),
        normalised="ports (old primary 6379, promoted replica 6380) and the outage length",
        client="ioredis",
    )


def test_through_failover_gives_up_after_its_budget(redis_factory):
    closed = redis_factory.closed_port()
    out, stderr = _node(
        f"""
import {{ Redis }} from 'ioredis';
const dead = new Redis({{
  port: {closed.port}, retryStrategy: () => null, maxRetriesPerRequest: 0,
}});
dead.on('error', () => {{}});
let error = null;
try {{ await s.throughFailover(() => dead.ping(), 600); }} catch (e) {{ error = e.message; }}
console.log(JSON.stringify({{ error }}));
""",
        {},
    )
    assert out["error"]
    lines = stderr.splitlines()
    assert lines[0].startswith("Redis unavailable, retrying for up to 0.6 s")
    assert lines[-1].startswith("Redis still unavailable after 1 s")
    assert len(lines) == 2


def test_demo_runs(group):
    run = run_ts(MODULE, env=_env(group))
    assert run.returncode == 0, run.stderr
    assert "acknowledged by a replica: ok" in run.stdout
    assert "PING through failover: PONG" in run.stdout
    assert "Redis primary for 'pharmacare'" in run.stdout
    assert group.password not in run.stdout + run.stderr


def test_demo_without_sentinels_says_what_to_set():
    run = run_ts(MODULE, env={"REDIS_SENTINELS": ""})
    assert run.returncode == 1
    assert "set REDIS_SENTINELS=" in run.stderr


def test_no_reachable_sentinel_is_an_error_without_secrets(redis_factory):
    closed = [redis_factory.closed_port() for _ in range(3)]
    password = harness.random_password()
    env = {
        "REDIS_SENTINELS": ",".join(f"127.0.0.1:{c.port}" for c in closed),
        "REDIS_SENTINEL_MASTER": "pharmacare",
        "REDIS_PASSWORD": password,
        "REDIS_SENTINEL_PASSWORD": password + "-sentinel",
    }
    out, stderr = _node(
        """
const client = s.createSentinelClient();
let error = null;
try { await client.ping(); } catch (e) { error = `${e.name}: ${e.message}`; }
client.disconnect();
console.log(JSON.stringify({ error }));
""",
        env,
    )
    assert out["error"].startswith("Error: All sentinels are unreachable"), out  # did not hang
    assert stderr.count("Redis connection problem") == 1
    assert password not in out["error"] + stderr
