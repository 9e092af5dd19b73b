"""snippets/platforms/elasticache.ts: ioredis Cluster against the harness cluster (TLS + RBAC
user on the Redis kind, which has native TLS on every node; plaintext on every kind), and the
single-server path with an AUTH token over TLS."""

from __future__ import annotations

import pytest

from tests.config.ts_inline import run_script
from tests.nodejs import run_ts
from tests.platforms.imitate import localize, read_env
from tools import harness

CONFIG_OFF = 'rename-command CONFIG ""'  # what ElastiCache does to CONFIG
APP_USER = "pharmacare-app"


@pytest.mark.kinds("redis")
def test_cluster_mode_over_tls_with_a_user(redis_factory, capture):
    tls = harness.TLSFiles.create()
    password = harness.random_password(32)
    cluster = redis_factory.cluster(
        password=harness.random_password(),
        tls=tls,
        config=(CONFIG_OFF, f"user {APP_USER} on >{password} ~* &* +@all -@admin"),
    )
    env = read_env("elasticache-cluster.env")
    url = localize(env["REDIS_URL"], cluster.nodes[0].tls_port, password=password)
    run = run_ts(
        "platforms/elasticache.ts",
        env={**env, "REDIS_URL": url, "NODE_EXTRA_CA_CERTS": str(tls.ca_cert)},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[1:] == [
        "read back: ok",
        "  primaries: 3",
        "  policy: noeviction",
    ]
    assert password not in run.stdout + run.stderr


def test_cluster_spreads_keys_and_app_client_switch(redis_factory):
    cluster = redis_factory.cluster()
    script = """
import { Cluster } from 'ioredis';
import { createAppClient, describeCluster } from './platforms/elasticache.ts';
const cluster = createAppClient('cache');
for (let i = 0; i < 30; i++) await cluster.set(`pharmacare:report:${i}`, String(i));
const owners = new Set();
for (const node of cluster.nodes('master')) {
  if ((await node.dbsize()) > 0) owners.add(node.options.port);
}
const facts = JSON.stringify(await describeCluster(cluster));
console.log('cluster:', cluster instanceof Cluster, owners.size, facts);
await cluster.quit();
const single = createAppClient('cache', { REDIS_URL: process.env.REDIS_URL });
console.log('single:', single instanceof Cluster, await single.ping());
await single.quit();
"""
    run = run_script(script, {"REDIS_URL": cluster.url(), "REDIS_CLUSTER": "true"})
    assert run.returncode == 0, run.stderr
    assert 'cluster: true 3 {"primaries":"3","policy":"noeviction"}\n' in run.stdout
    assert "single: false PONG\n" in run.stdout


def test_cluster_refuses_a_database_and_logs_problems(redis_factory):
    cluster = redis_factory.cluster()
    script = """
import { createCluster } from './platforms/elasticache.ts';
import { loadSettings } from './config/settings.ts';
try {
  createCluster('cache', loadSettings({ REDIS_URL: process.env.REDIS_URL + '/2' }));
} catch (error) {
  console.log(error.id);
}
const wrong = createCluster('cache', loadSettings({ REDIS_URL: process.env.BAD_URL }));
try { await wrong.get('k'); } catch (error) { console.log(error.message); }
wrong.disconnect();
"""
    url = cluster.url(db=None)
    closed = redis_factory.closed_port()
    run = run_script(
        script, {"REDIS_URL": url, "BAD_URL": f"redis://default:Zq8vR2mWx7@127.0.0.1:{closed.port}"}
    )
    assert run.stdout.splitlines() == ["url.invalid-db", "None of startup nodes is available"]
    assert run.stderr.count("Redis cluster problem") == 1, run.stderr
    assert "Zq8vR2mWx7" not in run.stderr


def test_auth_token_over_tls_single_server(redis_factory):
    tls = harness.TLSFiles.create()
    token = harness.random_password(32)
    server = redis_factory(password=token, tls=tls, config=(CONFIG_OFF,))
    url = localize(
        read_env("elasticache-auth-token.env")["REDIS_URL"], server.tls_port, password=token
    )
    run = run_ts(
        "platforms/smoke.ts", env={"REDIS_URL": url, "NODE_EXTRA_CA_CERTS": str(tls.ca_cert)}
    )
    assert run.returncode == 0, run.stderr  # INFO only: works with CONFIG blocked
    assert "connected to rediss://:***@127.0.0.1:" in run.stdout
    assert token not in run.stdout + run.stderr
