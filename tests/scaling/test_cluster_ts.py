"""snippets/scaling/cluster.ts: ioredis' Cluster on the harness's 3-primary cluster, every kind.

The scenarios run in node (inline scripts importing the module, as the app would); the
assertions read the servers directly. CROSSSLOT and MOVED are captured as the Node client
reports them.
"""

from __future__ import annotations

import json

import pytest

from snippets.queues import definitions
from snippets.scaling import cluster as cluster_py
from tests.config.ts_inline import run_script
from tests.nodejs import run_ts
from tools import harness

CACHE_PREFIX = "pharmacare:cache:v1:report:"
MODULE = "scaling/cluster.ts"


@pytest.fixture
def cluster(redis_factory) -> harness.Cluster:
    return redis_factory.cluster(password=harness.random_password())


def _env(cluster: harness.Cluster, **extra: str) -> dict[str, str]:
    return {"REDIS_URL": cluster.url(username="default"), **extra}


def _node(script: str, env: dict[str, str]) -> tuple[dict, str]:
    """Run ``script`` (it prints one JSON line last): its result and its log (info goes to
    stdout in Node, warnings to stderr)."""
    run = run_script(f"import * as c from './{MODULE}';\n{script}", env)
    assert run.returncode == 0, run.stdout + run.stderr
    *log, last = run.stdout.splitlines()
    return json.loads(last), "\n".join([*log, *run.stderr.splitlines()])


def _normalise(text: str, cluster: harness.Cluster) -> str:
    for i, node in enumerate(cluster.nodes):
        text = text.replace(f":{node.port}", f":{7000 + i}")
    return text


def test_cluster_client_reaches_every_primary_and_logs_once(cluster):
    keys = [f"{CACHE_PREFIX}daily-sales:pharmacy={n}" for n in range(60)]
    out, stderr = _node(
        f"""
const keys = {json.dumps(keys)};
const cluster = await c.createClusterClient();
for (const key of keys) await cluster.set(key, '{{}}');
const values = await Promise.all(keys.map((k) => cluster.get(k)));
const perNode = await c.keysPerPrimary(cluster, keys);
const names = await Promise.all(cluster.nodes('master').map((n) => n.client('GETNAME')));
await cluster.quit();
console.log(JSON.stringify({{ values, perNode, names }}));
""",
        _env(cluster),
    )
    assert out["values"] == ["{}"] * 60
    assert len(out["perNode"]) == 3 and all(n > 0 for n in out["perNode"].values())
    for node in cluster.nodes:  # each node really holds what the client says it does
        with node.admin() as admin:
            assert admin.dbsize() == out["perNode"][f"127.0.0.1:{node.port}"]
    assert out["names"] == ["pharmacare-cache"] * 3
    assert stderr.splitlines() == [
        f"Redis cluster connected: redis://default:***@127.0.0.1:{cluster.nodes[0].port}/0 "
        "(3 primaries)"
    ]
    assert cluster.nodes[0].password not in stderr


def test_app_client_follows_redis_cluster(cluster, redis_factory):
    single = redis_factory()
    script = """
import { Cluster, Redis } from 'ioredis';
const env = { ...process.env };
const onCluster = await c.createAppClient('presence', { ...env, REDIS_CLUSTER: 'true' });
const kind1 = onCluster instanceof Cluster ? 'Cluster' : 'other';
await onCluster.quit();
const single = await c.createAppClient('presence',
  { ...env, REDIS_URL: env.SINGLE_URL, REDIS_CLUSTER: 'no' });
const pong = await single.ping();
await single.quit();
let dbError = null;
const db2 = env.REDIS_URL.replace(/\\/0$/, '/2');
try { await c.createClusterClient('cache', { ...env, REDIS_URL: db2 }); }
catch (error) { dbError = error.id; }
const kind2 = single instanceof Redis ? 'Redis' : 'other';
const flags = ['true', ' YES ', '1', 'false', '', undefined]
  .map((v) => c.clusterEnabled({ REDIS_CLUSTER: v }));
console.log(JSON.stringify({ kind1, kind2, pong, dbError, flags }));
"""
    out, _ = _node(script, _env(cluster, SINGLE_URL=single.url()))
    assert (out["kind1"], out["kind2"], out["pong"]) == ("Cluster", "Redis", "PONG")
    assert out["dbError"] == "url.invalid-db"
    assert out["flags"] == [True, True, True, False, False, False]


def test_unreachable_cluster_is_rejected_after_three_retries(redis_factory):
    closed = redis_factory.closed_port()
    password = harness.random_password()
    url = f"redis://default:{password}@127.0.0.1:{closed.port}/0"
    out, stderr = _node(
        """
try { await c.createClusterClient(); console.log(JSON.stringify({ ok: true })); }
catch (error) { console.log(JSON.stringify({ error: error.message })); }
""",
        {"REDIS_URL": url},
    )
    assert out == {
        "error": f"Redis cluster unreachable: redis://default:***@127.0.0.1:{closed.port}/0"
    }
    assert stderr.count("Redis cluster problem") == 1
    assert password not in stderr


def test_hash_tag_keeps_a_pharmacy_in_one_slot_and_crossslot_is_refused(cluster, capture):
    a, b = "pharmacare:pharmacy-12:stock:available", "pharmacare:pharmacy-12:stock:reserved"
    script = f"""
const cluster = await c.createClusterClient();
const available = c.pharmacyKey(12, 'stock:available');
const reserved = c.pharmacyKey(12, 'stock:reserved');
await cluster.hset(available, 'amoxicillin-500', 40);
const left = await c.reserveStock(cluster, 12, 'amoxicillin-500', 3);
const reservedNow = await cluster.hget(reserved, 'amoxicillin-500');
const shown = (e) => `${{e.constructor.name}}: ${{e.message}}`;
let mset = null, tx = null;
try {{ await cluster.mset('{a}', 1, '{b}', 1); }} catch (e) {{ mset = shown(e); }}
try {{
  await cluster.multi().hincrby('{a}', 'amoxicillin-500', -3)
    .hincrby('{b}', 'amoxicillin-500', 3).exec();
}}
catch (e) {{ tx = shown(e); }}
await cluster.quit();
console.log(JSON.stringify({{ available, left, reservedNow, mset, tx }}));
"""
    out, _ = _node(script, _env(cluster))
    assert out["available"] == cluster_py.pharmacy_key(12, "stock:available")
    assert out["left"] == 37 and out["reservedNow"] == "3"
    with cluster.nodes[0].admin() as admin:
        assert admin.execute_command("CLUSTER", "KEYSLOT", a) != admin.execute_command(
            "CLUSTER", "KEYSLOT", b
        )
    assert out["mset"].startswith("SimpleError: CROSSSLOT"), out["mset"]  # a ReplyError
    assert out["tx"] is not None
    text = "\n".join(
        [
            f"cluster.mset('{a}', 1, '{b}', 1):",
            f"  {out['mset']}",
            "cluster.multi().hincrby(…available…).hincrby(…reserved…).exec():",
            f"  {out['tx']}",
        ]
    )
    assert cluster.nodes[0].password not in text
    capture("cluster-crossslot-ts", text, client="ioredis")


def test_queue_prefix_keeps_a_queue_in_one_slot(cluster):
    out, _ = _node(
        """
const cluster = await c.createClusterClient();
const tagged = await c.queueKeySlots(cluster, 'appointment-reminder');
const untagged = await c.queueKeySlots(cluster, 'appointment-reminder', 'bull');
await cluster.quit();
console.log(JSON.stringify({ tagged, untagged, prefix: c.QUEUE_PREFIX }));
""",
        _env(cluster),
    )
    assert len(set(out["tagged"].values())) == 1
    assert len(set(out["untagged"].values())) > 1
    assert out["prefix"] == definitions.PREFIX
    with cluster.nodes[0].admin() as admin:  # the slots are the server's
        for key, slot in out["tagged"].items():
            assert admin.execute_command("CLUSTER", "KEYSLOT", key) == slot


@pytest.mark.parametrize("batch", [7, 500])
def test_invalidate_prefix_scans_every_primary(cluster, batch):
    stale = [f"{CACHE_PREFIX}daily-sales:pharmacy={n}" for n in range(50)]
    other = [f"{CACHE_PREFIX}monthly-revenue:pharmacy={n}" for n in range(20)]
    prefix = f"{CACHE_PREFIX}daily-sales:"
    out, _ = _node(
        f"""
const cluster = await c.createClusterClient();
for (const key of {json.dumps(stale + other)}) await cluster.set(key, '{{}}', 'EX', 300);
const perNode = await c.keysPerPrimary(cluster, {json.dumps(stale)});
const first = await c.invalidatePrefix(cluster, '{prefix}', {batch});
const second = await c.invalidatePrefix(cluster, '{prefix}', {batch});
await cluster.quit();
console.log(JSON.stringify({{ perNode, first, second }}));
""",
        _env(cluster),
    )
    assert all(n > 0 for n in out["perNode"].values())
    assert (out["first"], out["second"]) == (50, 0)
    left: list[str] = []
    for node in cluster.nodes:
        with node.admin() as admin:
            left += admin.keys(f"{CACHE_PREFIX}*")
    assert sorted(left) == sorted(other)


def test_plain_client_gets_moved(cluster, capture):
    first = cluster.nodes[0]
    with first.admin() as admin:
        key = next(
            k
            for n in range(1, 100)
            for k in [f"{CACHE_PREFIX}daily-sales:pharmacy={n}"]
            if not _owned_by(admin, admin.execute_command("CLUSTER", "KEYSLOT", k), first.port)
        )
    script = f"""
import {{ createRedis }} from './config/client.ts';
const plain = createRedis('cache');
let moved = null, other = null;
try {{ await plain.get('{key}'); }} catch (e) {{ moved = e; }}
try {{ await plain.call('NOSUCHCOMMAND'); }} catch (e) {{ other = c.explainMoved(e) ?? null; }}
plain.disconnect();
console.log(JSON.stringify({{ reply: `${{moved.constructor.name}}: ${{moved.message}}`,
  log: c.explainMoved(moved), other }}));
"""
    out, _ = _node(script, _env(cluster))
    assert out["reply"].startswith("SimpleError: MOVED ")
    assert out["other"] is None
    slot, node = out["reply"].split()[2:4]
    assert out["log"].startswith(f"key slot {slot} is served by {node}: ")
    text = f"createRedis('cache').get('{key}'):\n  {out['reply']}\napp log: {out['log']}"
    assert first.password not in text
    capture(
        "cluster-moved-ts",
        _normalise(text, cluster),
        normalised="node ports (shown as 7000, 7001, 7002 in slot order)",
        client="ioredis",
    )


def _owned_by(admin, slot: int, port: int) -> bool:
    for start, end, primary, *_ in admin.execute_command("CLUSTER", "SLOTS"):
        if start <= slot <= end:
            return int(primary[1]) == port
    return False


def test_demo_runs(cluster):
    run = run_ts(MODULE, env=_env(cluster))
    assert run.returncode == 0, run.stderr
    assert "invalidated: 30" in run.stdout
    assert "left after reserving 3: 37" in run.stdout
    assert "queue slots: [ " in run.stdout and "," not in run.stdout.split("queue slots:")[1]
    assert "Redis cluster connected" in run.stdout
    assert cluster.nodes[0].password not in run.stdout + run.stderr
