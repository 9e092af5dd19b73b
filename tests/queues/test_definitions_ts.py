"""snippets/queues/definitions.ts: prefix, explicit connection, startup check, on every kind."""

from __future__ import annotations

import json
import re
import socket
import subprocess

from redis.crc import key_slot

from snippets.queues.definitions import DEFAULT_JOB_OPTIONS, PREFIX, QUEUE_NAMES
from tests.nodejs import SNIPPETS, node_env, run_ts
from tests.queues.node_queues import _command, driver, run_driver
from tools import harness


def test_demo_runs(redis_server):
    out = run_ts("queues/definitions.ts", env={"REDIS_URL": redis_server.url()})
    assert out.returncode == 0, out.stderr
    assert "{pharmacare}:appointment-status: {" in out.stdout
    assert "Queue Redis client connected: redis://127.0.0.1:" in out.stdout


def test_demo_refuses_an_evicting_server(redis_factory, capture):
    server = redis_factory(maxmemory="64mb", maxmemory_policy="volatile-lru")
    out = run_ts("queues/definitions.ts", env={"REDIS_URL": server.url()})
    assert out.returncode == 1
    line = out.stderr.strip().splitlines()[-1]
    assert line.startswith("refusing to use the queues: memory.policy-queue: ")
    assert "maxmemory-policy is volatile-lru; set it to noeviction" in line
    assert line.endswith("troubleshooting/memory/#memory-policy-queue")
    capture("queue-policy-refused-ts", line, client="ioredis")


def test_same_names_prefix_and_job_options_as_python(redis_server):
    """The TypeScript definitions are the Python ones: a job added by the TS producer carries
    exactly DEFAULT_JOB_OPTIONS of definitions.py (so the page's table is true of both)."""
    names = driver("names", url=redis_server.url())
    assert names["processors"] == list(QUEUE_NAMES)
    assert names["error"].startswith("unknown queue 'appointment-reminders'; the queues are ")
    driver("produce", url=redis_server.url())
    with redis_server.admin() as admin:
        opts = json.loads(admin.hget(f"{PREFIX}:appointment-status:1", "opts"))
    assert opts["attempts"] == DEFAULT_JOB_OPTIONS["attempts"] == 3
    assert opts["backoff"] == DEFAULT_JOB_OPTIONS["backoff"]
    assert opts["removeOnComplete"] == DEFAULT_JOB_OPTIONS["removeOnComplete"]
    assert opts["removeOnFail"] == DEFAULT_JOB_OPTIONS["removeOnFail"]


def test_every_key_shares_the_hash_tag(redis_server):
    driver("produce", url=redis_server.url())
    with redis_server.admin() as admin:
        keys = list(admin.scan_iter(match="*"))
    assert len(keys) > 10
    assert all(key.startswith(f"{PREFIX}:") for key in keys), keys
    assert len({key_slot(key.encode()) for key in keys}) == 1


def test_explicit_connection_follows_redis_url_and_fails_fast(redis_factory):
    """The producer's queue uses REDIS_URL (never 127.0.0.1:6379): against a closed port the
    startup check fails within its retries, naming that port, not 6379."""
    closed = redis_factory.closed_port()
    out = run_ts(
        "queues/definitions.ts", env={"REDIS_URL": f"redis://127.0.0.1:{closed.port}/0"}, timeout=60
    )
    assert out.returncode != 0
    assert f"127.0.0.1:{closed.port}" in out.stdout + out.stderr
    assert "6379" not in out.stdout + out.stderr


def _port_6379_refuses() -> socket.socket | None:
    """Hold 127.0.0.1:6379 bound but not listening (the harness's closed-port trick on the
    default port): connections are refused, and nobody else can listen there meanwhile."""
    sock = socket.socket()
    try:
        sock.bind((harness.LOOPBACK, 6379))
    except OSError:
        sock.close()
        return None
    return sock


def test_missing_connection_is_econnrefused_127_0_0_1_6379(redis_server, capture):
    """The old guide's mistake: a Queue without `connection`. BullMQ falls back to
    127.0.0.1:6379, whatever REDIS_URL says (a real server is running at REDIS_URL here)."""
    held = _port_6379_refuses()
    if held is None:  # something listens on 6379 here: run in a fresh network namespace
        proc = _in_own_network(redis_server.url())
    else:
        try:
            proc = run_driver("missing-connection", url=redis_server.url(), timeout=60)
        finally:
            held.close()
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == {"outcome": "still waiting after 3 s"}
    errors = [block for block in proc.stderr.split("Error: ")[1:] if block.strip()]
    assert errors, proc.stderr
    assert all(block.startswith("connect ECONNREFUSED 127.0.0.1:6379") for block in errors)
    with redis_server.admin() as admin:
        assert admin.dbsize() == 0  # the server at REDIS_URL never got the job
    # What the reader sees: the same error again on every reconnect, and add() never returns.
    first = re.sub(r"node:net:\d+:\d+", "node:net:…", "Error: " + errors[0].rstrip())
    shown = f"{first}\n… (the same error on every reconnect attempt; queue.add() still waiting)"
    capture(
        "queue-econnrefused-ts",
        shown,
        offline=True,
        normalised="node:net line numbers",
        client="ioredis",
    )


def _in_own_network(url: str) -> subprocess.CompletedProcess:
    command = ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]
    return subprocess.run(
        command + _command("missing-connection"),
        cwd=SNIPPETS,
        env=node_env({"REDIS_URL": url}),
        capture_output=True,
        text=True,
        timeout=60,
    )
