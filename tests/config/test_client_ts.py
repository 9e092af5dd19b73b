"""snippets/config/client.ts: the ioredis factory against real servers of every kind.

What is checked against the real ioredis (not taken from its docs): what ``retryStrategy``'s
``times`` counts and when ``maxRetriesPerRequest: 3`` gives up (connection attempts counted
by a silent peer), the connected/recovered lines across kill -9 and restart, TLS with the
test CA and with verification off, and that no password with reserved characters reaches a
log line, a thrown message or an inspected error.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from urllib.parse import quote

from tests.config.ts_inline import run_script, start_script
from tests.nodejs import ROOT, run_ts
from tools import harness
from tools.harness import wait_for

RESERVED = "p@ss/w:rd#x?%[]&=+é"  # characters that need percent-encoding in a URL


def test_demo_pings_with_a_reserved_character_password(redis_factory):
    server = redis_factory(password=RESERVED)
    run = run_ts("config/client.ts", env={"REDIS_URL": server.url(username="default")})
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines == [
        f"Redis cache connected successfully: redis://default:***@127.0.0.1:{server.port}/0",
        "PING -> PONG",
    ]
    assert "p@ss" not in run.stdout + run.stderr


def test_demo_wrong_password_is_redacted(redis_factory, capture):
    """A wrong password: the error is shown, the password is not (neither the right one)."""
    server = redis_factory(password="Zq8vR2mWx7-right")
    wrong = "Zq8v@R2/mWx7#wrong"
    env = {"REDIS_URL": server.url(username="default", password=wrong)}
    run = run_ts("config/client.ts", env=env)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "WRONGPASS" in output
    for secret in (wrong, quote(wrong, safe=""), "Zq8vR2mWx7"):
        assert secret not in output
    first = run.stderr.splitlines()[0]
    assert first.startswith("Redis connection problem: WRONGPASS"), first
    capture(
        "client-ts-wrongpass",
        run.stderr.replace(str(server.port), "6379").split("\n    at ")[0],
        normalised="port numbers (shown as 6379); stack frames cut",
        client="ioredis",
    )


def test_redact_strings_errors_and_ioredis_command_args():
    secret = RESERVED.strip()
    encoded = quote(secret, safe="")
    script = f"""
import {{ inspect }} from 'node:util';
import {{ redact, redactError }} from './config/client.ts';
const texts = [
  'redis://default:{encoded}@red-xxxxx:6379/0',
  'rediss://u:whatever-else@host:6380 and redis://:x9Secret7@h:1',
  'connect to redis://h:6379/0?password={encoded}&db=1',
  "ERR unknown command 'HELLO', with args beginning with: '3' 'AUTH' 'default' 'x9Secret7'",
  'AUTH <password> called without any password configured for the default user',
  'the password is {secret} (raw) or {encoded} (encoded)',
];
for (const t of texts) console.log(redact(t));
const error = new Error('failed with {encoded}');
error.command = {{ name: 'auth', args: ['default', {json.dumps(secret)}] }};
const shown = inspect(redactError(error)).split('\\n    at ')[0];
console.log(shown + ' ' + JSON.stringify(error.command));
const other = new Error('plain');
other.command = {{ name: 'get', args: ['key'] }};
console.log(JSON.stringify(redactError(other).command));
console.log(redact(new TypeError('x9Secret7 in a stack')).split('\\n')[0]);
console.log(redact('a lone percent: 50%off-Zq8vR2', {{ REDIS_PASSWORD: '50%off-Zq8vR2' }}));
"""
    env = {"REDIS_URL": f"redis://default:{encoded}@red-xxxxx:6379", "REDIS_PASSWORD": "x9Secret7"}
    run = run_script(script, env)
    assert run.returncode == 0, run.stderr
    out = run.stdout.splitlines()
    assert out[0] == "redis://default:***@red-xxxxx:6379/0"
    assert out[1] == "rediss://u:***@host:6380 and redis://:***@h:1"
    assert out[2] == "connect to redis://h:6379/0?password=***"
    assert out[3] == "ERR unknown command 'HELLO', with args beginning with: '3' 'AUTH' ***"
    assert out[4] == "AUTH <password> called without any password configured for the default user"
    assert out[5] == "the password is *** (raw) or *** (encoded)"
    assert out[6].startswith("Error: failed with ***") and '"args":["***","***"]' in out[6]
    assert out[7] == '{"name":"get","args":["key"]}'
    assert out[8] == "TypeError: *** in a stack"
    assert out[9] == "a lone percent: ***"
    assert secret not in run.stdout and encoded not in run.stdout and "x9Secret7" not in run.stdout


RETRY_SCRIPT = """
import { createRedis, retryStrategy } from './config/client.ts';
import { loadSettings } from './config/settings.ts';
const seen = [];
const redis = createRedis('cache', loadSettings(), {
  connectTimeout: 200,
  socketTimeout: 200,
  retryStrategy: (times) => { seen.push(times); return retryStrategy(times); },
});
try {
  await redis.get('k');
} catch (error) {
  console.log(JSON.stringify({ error: error.name, message: error.message, seen }));
}
redis.disconnect();
"""


def test_three_retries_mean_four_connection_attempts(silent_peer):
    """retryStrategy(times) is called after each failed attempt with times = 1, 2, 3, 4 …;
    maxRetriesPerRequest: 3 rejects the waiting command when times reaches 4, i.e. after the
    first try and 3 retries: 4 connections, counted by the peer itself."""
    run = run_script(RETRY_SCRIPT, {"REDIS_URL": f"redis://127.0.0.1:{silent_peer.port}/0"})
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.splitlines()[-1])
    assert result["error"] == "MaxRetriesPerRequestError", result
    assert result["seen"] == [1, 2, 3, 4]
    wait_for(lambda: len(silent_peer.accepted) >= 4, "4 connection attempts")
    assert len(silent_peer.accepted) == 4
    assert run.stderr.count("Redis connection problem") == 1  # one line for the outage
    assert "Socket timeout" in run.stderr


def test_closed_port_gives_up_on_the_command_not_the_client(redis_factory):
    """Refused connections count the same way; the client keeps reconnecting afterwards."""
    closed = redis_factory.closed_port()
    run = run_script(RETRY_SCRIPT, {"REDIS_URL": f"redis://127.0.0.1:{closed.port}/0"})
    result = json.loads(run.stdout.splitlines()[-1])
    assert result["error"] == "MaxRetriesPerRequestError"
    assert result["seen"] == [1, 2, 3, 4]
    assert run.stderr.count("connect ECONNREFUSED") == 1  # one line for the outage


def test_backoff_is_exponential_with_full_jitter():
    script = """
import { retryStrategy } from './config/client.ts';
const out = {};
for (const times of [1, 2, 3, 4, 5, 10]) {
  const samples = Array.from({ length: 2000 }, () => retryStrategy(times));
  out[times] = [Math.min(...samples), Math.max(...samples)];
}
console.log(JSON.stringify(out));
"""
    run = run_script(script)
    bounds = json.loads(run.stdout)
    for times, (low, high) in bounds.items():
        cap = min(2000, 100 * 2 ** int(times))
        assert low >= 0 and high <= cap
        assert low < cap * 0.1 and high > cap * 0.9  # the whole range is used: full jitter


OUTAGE_SCRIPT = """
import { createRedis } from './config/client.ts';
const redis = createRedis(process.argv[1] ?? 'cache');
let stopping = false;
process.stdin.on('data', () => { stopping = true; });
process.stdin.resume();
while (!stopping) {
  try {
    await redis.set('tick', Date.now());
  } catch {
    // the outage: the cache would fall back here
  }
  await new Promise((r) => setTimeout(r, 20));
}
console.log('status:', redis.status);
await redis.quit();
process.stdin.pause();
"""


def test_connected_once_and_one_recovered_line_per_outage(redis_factory, capture):
    server = redis_factory(password=RESERVED)
    proc = start_script(OUTAGE_SCRIPT, {"REDIS_URL": server.url(username="default")})
    lines: list[str] = []  # filled by a reader thread: waiting never blocks on a pipe

    def read():
        for line in proc.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def saw(text: str, count: int = 1):
        return lambda: sum(text in line for line in lines) >= count

    try:
        wait_for(saw("connected successfully"), "connected")
        for outage in (1, 2):
            server.kill9()
            wait_for(saw("Redis connection problem", outage), f"outage {outage} noticed")
            server.restart()
            wait_for(saw("Redis connection recovered", outage), f"recovery {outage}")
        proc.stdin.write("stop\n")
        proc.stdin.flush()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join(timeout=10)
    lines = [line.rstrip("\n") for line in lines]
    assert proc.returncode == 0, lines
    assert sum("connected successfully" in line for line in lines) == 1
    assert sum("Redis connection recovered" in line for line in lines) == 2
    assert sum("Redis connection problem" in line for line in lines) == 2
    assert lines[-1] == "status: ready"
    text = "\n".join(lines)
    assert "p@ss" not in text and quote(RESERVED, safe="") not in text
    # A SET in flight at the kill may see the reset first: the outage's first error varies.
    refused = "connect ECONNREFUSED 127.0.0.1:6379"
    text = re.sub(r"read ECONNRESET|connect ECONNREFUSED \S+", refused, text)
    capture(
        "client-ts-outage",
        text.replace(str(server.port), "6379"),
        normalised="port numbers (shown as 6379); the first error of an outage (ECONNRESET or "
        "ECONNREFUSED, depending on timing) shown as ECONNREFUSED",
        client="ioredis",
    )


def test_tls_with_the_ca_in_the_url(redis_factory):
    """rediss:// checks the certificate; ?ssl_ca_certs=FILE trusts a private CA (both clients)."""
    tls = harness.TLSFiles.create()
    server = redis_factory(password="Zq8vR2mWx7-tls", tls=tls)
    with_ca = server.url(username="default", query=f"ssl_ca_certs={quote(str(tls.ca_cert))}")
    run = run_ts("config/client.ts", env={"REDIS_URL": with_ca})
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == "PING -> PONG"
    assert run.stdout.startswith("Redis cache connected successfully: rediss://default:***@")

    # Without the CA: refused, the certificate cannot be verified.
    run = run_ts("config/client.ts", env={"REDIS_URL": server.url(username="default")})
    assert run.returncode == 1
    # (native TLS sends the CA in its chain; the harness's TLS front sends the leaf only)
    assert any(
        text in run.stderr
        for text in ("self-signed certificate in certificate chain", "unable to verify the first")
    ), run.stderr

    # Heroku's way: encrypted, certificate not checked (ssl_cert_reqs=none → rejectUnauthorized).
    heroku = server.url(username="default", query="ssl_cert_reqs=none")
    run = run_ts("config/client.ts", env={"REDIS_URL": heroku})
    assert run.returncode == 0 and run.stdout.splitlines()[-1] == "PING -> PONG", run.stderr
    assert "Zq8vR2mWx7" not in run.stdout + run.stderr


def test_queue_connection_options_for_bullmq(redis_factory):
    """The options BullMQ gets: maxRetriesPerRequest null, the app's server (never localhost)."""
    server = redis_factory()
    script = """
import { Queue } from 'bullmq';
import { queueConnectionOptions } from './config/client.ts';
const connection = queueConnectionOptions();
const queue = new Queue('tsconfig-probe', { connection, prefix: '{pharmacare}' });
const job = await queue.add('probe', { ok: true });
console.log(JSON.stringify({ max: connection.maxRetriesPerRequest, port: connection.port,
  waiting: await queue.getWaitingCount(), id: job.id }));
await queue.close();
"""
    run = run_script(script, {"REDIS_URL": server.url()})
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.splitlines()[-1])
    assert out == {"max": None, "port": server.port, "waiting": 1, "id": "1"}
    with server.admin() as admin:
        assert admin.llen("{pharmacare}:tsconfig-probe:wait") == 1


def test_connection_names_in_client_list(redis_factory):
    server = redis_factory()
    script = """
import { createRedis } from './config/client.ts';
const clients = ['cache', 'presence', 'reports'].map((p) => createRedis(p));
await Promise.all(clients.map((c) => c.ping()));
console.log(await clients[0].client('LIST'));
await Promise.all(clients.map((c) => c.quit()));
"""
    run = run_script(script, {"REDIS_URL": server.url()})
    assert run.returncode == 0, run.stderr
    names = sorted(
        field.split("=", 1)[1]
        for line in run.stdout.splitlines()
        for field in line.split()
        if field.startswith("name=pharmacare-")
    )
    assert names == ["pharmacare-cache", "pharmacare-presence", "pharmacare-reports"]
    assert "Redis reports client connected" in run.stdout


NODE_APP = """
import { Queue } from 'bullmq';
import { createRedis, queueConnectionOptions } from './config/client.ts';
const cache = createRedis('cache');
const queue = new Queue('budget', { connection: queueConnectionOptions(), prefix: '{pharmacare}' });
await Promise.all(Array.from({ length: 20 }, (_, i) => cache.get(`k${i}`))); // 20 at once
await queue.add('probe', {});
console.log('ready');
process.stdin.once('data', async () => {
  process.stdin.destroy();
  await queue.close();
  await cache.quit();
});
"""

NODE_WORKER = """
import { Worker } from 'bullmq';
import { queueConnectionOptions } from './config/client.ts';
const connection = queueConnectionOptions();
const options = { connection, prefix: '{pharmacare}', concurrency: 5 };
const worker = new Worker('budget', async () => 'done', options);
await worker.waitUntilReady();
console.log('ready');
process.stdin.once('data', async () => {
  process.stdin.destroy();
  await worker.close();
});
"""

PYTHON_APP = """
import sys, threading
from snippets.config.client import make_client
client = make_client("cache")
threads = [threading.Thread(target=client.blpop, args=(["budget:release"], 0)) for _ in range(20)]
for t in threads:
    t.start()
print("ready", flush=True)
sys.stdin.readline()
for t in threads:
    t.join()
client.close()
"""


def test_connection_budget_per_process(redis_factory, capture):
    """Connections each kind of process holds, counted with CLIENT LIST (not estimated)."""
    server = redis_factory()
    env = {"REDIS_URL": server.url()}
    admin = server.admin()
    own = admin.client_id()

    def others() -> list[dict]:
        return [c for c in admin.client_list() if int(c["id"]) != own]

    rows = []

    def measure(label, proc, steady, release=None):
        try:
            wait_for(lambda: proc.stdout.readline().startswith("ready"), f"{label} ready")
            wait_for(lambda: steady(others()), f"{label} at steady state")
            clients = others()
            names = sorted({c["name"] or "(no name)" for c in clients})
            rows.append((label, len(clients), names))
            if release:
                release()
            proc.stdin.write("stop\n")
            proc.stdin.flush()
            assert proc.wait(timeout=30) == 0, proc.stdout.read()
        finally:
            if proc.poll() is None:
                proc.kill()
        wait_for(lambda: not others(), f"{label} disconnected")

    measure(
        "Node.js web process: cache client + BullMQ Queue (20 concurrent GETs)",
        start_script(NODE_APP, env),
        lambda cs: len(cs) >= 2,
    )
    measure(
        "Node.js BullMQ worker (concurrency 5), waiting for jobs",
        start_script(NODE_WORKER, env),
        lambda cs: any(c["cmd"] in ("bzpopmin", "bzpopmax", "blmove") for c in cs),
    )
    python = subprocess.Popen(
        [sys.executable, "-c", PYTHON_APP],
        cwd=ROOT,
        env={**os.environ, **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    measure(
        "Python process: make_client('cache'), 20 concurrent blocking calls",
        python,
        lambda cs: sum(c["cmd"] == "blpop" for c in cs) >= 10,
        release=lambda: admin.lpush("budget:release", *range(20)),
    )

    by_label = {label: (count, names) for label, count, names in rows}
    node_app, node_worker, py = (by_label[label] for label, _, _ in rows)
    assert node_app[0] == 2 and "pharmacare-cache" in node_app[1]  # ioredis pipelines: 1 each
    assert node_worker[0] == 2  # BullMQ: its client + one blocking connection
    assert py == (10, ["pharmacare-cache"])  # the pool's POOL_SIZE, no more
    capture(
        "connection-budget",
        "\n".join(
            f"{label}: {count} connections ({', '.join(names)})" for label, count, names in rows
        ),
    )
