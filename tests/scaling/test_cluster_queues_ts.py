"""snippets/scaling/cluster-queues.ts: real BullMQ (Node) jobs on the 3-primary cluster."""

from __future__ import annotations

import json

import pytest

from snippets.queues import definitions
from tests.config.ts_inline import run_script
from tests.nodejs import run_ts
from tools import harness

MODULE = "scaling/cluster-queues.ts"


@pytest.fixture
def cluster(redis_factory) -> harness.Cluster:
    return redis_factory.cluster(password=harness.random_password())


def _node(script: str, env: dict[str, str]) -> dict:
    run = run_script(f"import * as q from './{MODULE}';\n{script}", env)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout.splitlines()[-1])


def test_unknown_queue_is_refused():
    out = _node(
        """
let unknown = null;
try { q.createClusterQueue('reminders', null); } catch (e) { unknown = `${e.name}: ${e.message}`; }
console.log(JSON.stringify({ unknown }));
""",
        {"REDIS_URL": "redis://127.0.0.1:1/0"},
    )
    assert out["unknown"] == "RangeError: unknown queue 'reminders'"


def test_jobs_go_through_the_cluster_in_one_slot(cluster):
    out = _node(
        """
const producer = q.clusterConnection();
const consumer = q.clusterConnection('worker');
const queue = q.createClusterQueue('appointment-reminder', producer);
const seen = [];
let finished;
const allDone = new Promise((resolve) => (finished = resolve));
const worker = q.createClusterWorker('appointment-reminder', async (job) => {
  seen.push(job.data.appointmentId);
  return 'sent';
}, consumer);
worker.on('completed', async () => {
  if ((await queue.getJobCounts('completed')).completed === 3) finished();
});
for (let n = 0; n < 3; n++) await queue.add('remind', { appointmentId: `apt-${n}` });
await allDone;
const counts = await queue.getJobCounts();
await worker.close();
await queue.close();
await producer.quit();
await consumer.quit();
console.log(JSON.stringify({ seen: seen.sort(), counts }));
""",
        {"REDIS_URL": cluster.url(username="default")},
    )
    assert out["seen"] == ["apt-0", "apt-1", "apt-2"]
    assert out["counts"]["completed"] == 3 and out["counts"]["failed"] == 0
    holders = []  # every key of the queue sits on the one primary owning "pharmacare"'s slot
    for node in cluster.nodes:
        with node.admin() as admin:
            if admin.keys(f"{definitions.PREFIX}:appointment-reminder:*"):
                holders.append(node.port)
    assert len(holders) == 1


def test_the_default_prefix_fails_with_crossslot(cluster, capture):
    out = _node(
        """
import { Queue } from 'bullmq';
const connection = q.clusterConnection();
const queue = new Queue('appointment-reminder', { connection }); // prefix "bull"
let error = null;
try { await queue.add('remind', { appointmentId: 'apt-1' }); }
catch (e) { error = `${e.constructor.name}: ${e.message}`; }
await queue.close();
await connection.quit();
console.log(JSON.stringify({ error }));
""",
        {"REDIS_URL": cluster.url(username="default")},
    )
    assert out["error"] and "CROSSSLOT" in out["error"], out
    capture(
        "cluster-bullmq-default-prefix-ts",
        f"new Queue('appointment-reminder', {{ connection: cluster }}) without a prefix, "
        f"queue.add(…):\n{out['error']}",
        client="ioredis",
    )


def test_demo_runs(cluster):
    run = run_ts(MODULE, env={"REDIS_URL": cluster.url(username="default")})
    assert run.returncode == 0, run.stderr
    assert "job 1 processed on the cluster; prefix {pharmacare}" in run.stdout
