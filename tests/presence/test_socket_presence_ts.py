"""snippets/presence/socket-presence.ts: Socket.io presence across two server processes.

Two Socket.io instances run as separate node processes on loopback ports, with the
@socket.io/redis-adapter; real socket.io-client connections join each. Every test runs on
both kinds as the app's least-privilege ACL user; every wait is bounded.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis

from snippets.config.client import make_client
from snippets.presence import presence as py_presence
from tests.nodejs import SNIPPETS, node_binary, node_env, run_ts, start_ts
from tools.harness import wait_for

MODULE = "presence/socket-presence.ts"
DRIVER = Path(__file__).with_name("presence_driver.mjs")
ONLINE = "pharmacare:presence:v1:online"
LAST_SEEN = "pharmacare:presence:v1:last-seen"
STATUS = "pharmacare:presence:v1:status"


class Instance:
    """One `--serve` process; its output collected by threads, its URL once listening."""

    def __init__(self, name: str, *extra: str) -> None:
        self.name = name
        self.proc = start_ts(MODULE, "--serve", "0", "--instance", name, *extra)
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(
                target=lambda s=stream, k=sink: k.extend(iter(s.readline, "")), daemon=True
            ).start()
        wait_for(lambda: self.url or self.proc.poll() is not None, what=f"{name} listening")
        assert self.url, "".join(self.err)

    @property
    def url(self) -> str | None:
        found = re.search(r" listening on (\S+)", "".join(self.out))
        return found.group(1) if found else None

    def text(self) -> str:
        return "".join(self.out + self.err)

    def stop(self) -> int:
        """SIGTERM: the instance closes its sockets and connections and exits normally."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - reported by the caller's assert
            self.proc.kill()
            return self.proc.wait()


@pytest.fixture
def instances(app):
    started: list[Instance] = []

    def start(name: str, *extra: str) -> Instance:
        started.append(Instance(name, *extra))
        return started[-1]

    yield start
    for instance in started:
        instance.stop()


def heard(stdout: str) -> list[dict]:
    return [
        json.loads(line.split("heard: ", 1)[1]) for line in stdout.splitlines() if "heard: " in line
    ]


def online_answers(stdout: str) -> list[list[str]]:
    return [
        json.loads(line.split(": ", 1)[1])
        for line in stdout.splitlines()
        if "online, asked" in line
    ]


def driver(name: str) -> dict:
    out = subprocess.run(
        [node_binary(), str(DRIVER), name],
        cwd=SNIPPETS,
        env=node_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the Presence class


def test_connect_tabs_status_last_seen_and_disconnect(app):
    out = driver("basics")
    assert out["never"] == [None, None]
    assert out["first"] == [True, False]  # the second tab is not a second "online"
    assert out["online"] == ["patient-42", "pharmacist-7"]
    assert out["status"] == "At the counter"
    assert out["local"] == {
        "pharmacist-7": {"sockets": 2, "status": "In a consultation"},
        "patient-42": {"sockets": 1, "status": None},
    }
    assert out["closed"] == [False, ["patient-42", "pharmacist-7"]]  # one tab still open
    assert out["last"] == [True, ["patient-42"], False]
    assert out["lastSeenOk"] and out["statusAfter"] == "In a consultation"
    assert app.server.admin().hget(STATUS, "someone-elsewhere") == "Away"


def test_same_keys_as_the_python_side(app):
    py = py_presence.Presence(make_client("presence"))
    assert (py_presence.ONLINE, py_presence.LAST_SEEN, py_presence.STATUS) == (
        ONLINE,
        LAST_SEEN,
        STATUS,
    )
    driver("basics")
    assert py.online() == ["patient-42"]  # Node's users, read by the Python module
    assert py.status("pharmacist-7") == "In a consultation"


def test_10000_users_heartbeat_through_pipelines_and_are_swept_once(app):
    out = driver("beat10k")
    assert out["beats"] == [2500] * 4 and out["online"] == 10_000
    # 2,500 users per instance in batches of 500: 5 pipelines × 2 ZADDs, 4 instances
    assert out["zadds"] == 4 * 5 * 2
    assert sum(out["swept"]) == 10_000  # two sweepers at once: each ghost removed once
    admin = app.server.admin()
    assert admin.zcard(ONLINE) == 0 and admin.zcard(LAST_SEEN) == 10_000
    assert admin.hlen(STATUS) == 1_000


def test_a_failed_heartbeat_is_reported(app):
    app.server.admin().set(ONLINE, "not a sorted set")  # every ZADD on it fails
    assert "WRONGTYPE" in driver("beatFails")["error"]


# -- two Socket.io server processes, real clients


def test_a_user_online_on_one_instance_is_seen_on_the_other(app, instances):
    app1, app2 = instances("app-1"), instances("app-2")
    out = run_ts(MODULE, "--clients", app1.url, app2.url)
    assert out.returncode == 0, out.stderr
    events = heard(out.stdout)
    assert events == [
        {"event": "online", "user": "pharmacist-7", "instance": "app-1"},
        {
            "event": "status",
            "user": "pharmacist-7",
            "status": "In a consultation",
            "instance": "app-1",
        },
        {"event": "offline", "user": "pharmacist-7", "instance": "app-1"},
    ]
    # asked on app-2 (the patient's instance): app-1's user, then without them
    assert online_answers(out.stdout) == [["patient-42", "pharmacist-7"], ["patient-42"]]
    admin = app.server.admin()
    assert admin.zscore(LAST_SEEN, "pharmacist-7") is not None
    assert admin.hget(STATUS, "pharmacist-7") == "In a consultation"
    channels = admin.execute_command("PUBSUB", "SHARDCHANNELS", "pharmacare:socket.io*")
    assert channels, "the adapter's channels carry the pharmacare: prefix of the ACL user"
    for instance in (app1, app2):
        assert instance.stop() == 0, instance.text()
        assert app.app_password not in instance.text()


def test_the_classic_adapters_pattern_subscription_is_refused_to_the_app_user(app):
    """Why the snippet uses createShardedAdapter: createAdapter() PSUBSCRIBEs to
    "<key>#/#*", and a pattern must equal an allowed channel pattern (&pharmacare:*)."""
    pubsub = make_client("presence").pubsub()
    with pytest.raises(redis.exceptions.NoPermissionError):
        pubsub.psubscribe("pharmacare:socket.io#/#*")
        pubsub.get_message(timeout=5)
    pubsub.close()


def test_demo_starts_two_processes(app, capture):
    out = run_ts(MODULE, timeout=120)
    assert out.returncode == 0, out.stderr
    assert [e["event"] for e in heard(out.stdout)] == ["online", "status", "offline"]
    assert online_answers(out.stdout)[-1] == ["patient-42"]
    # what docs/usage/presence.md shows in its Node.js tab: nothing in it depends on timing
    capture("presence-demo-ts", out.stdout, client="ioredis")


def test_clients_give_up_after_a_bounded_wait():
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        out = run_ts(MODULE, "--clients", url, url)
    assert out.returncode == 1
    assert "timed out after 10000 ms waiting for patient-42 connected to app-2" in out.stderr


def test_demo_reports_an_instance_that_cannot_start():
    out = run_ts(MODULE, env={"REDIS_URL": "valkey://127.0.0.1:6379/0"})  # unsupported scheme
    assert out.returncode == 1
    assert "exited before listening" in out.stderr
    assert "url.unsupported-scheme" in out.stderr  # the instance's own configuration error


def test_ghosts_of_a_crashed_instance_are_removed_once(app, instances):
    admin = app.server.admin()
    long_ago = int(time.time() * 1000) - 60_000  # an instance that died a minute ago
    ghosts = {f"user-{n}": long_ago for n in range(200)}
    admin.zadd(ONLINE, ghosts)
    fast = ("--heartbeat-ms", "100", "--offline-after-ms", "2000")
    app1, app2 = instances("app-1", *fast), instances("app-2", *fast)
    wait_for(lambda: admin.zcard(ONLINE) == 0, what="both instances sweeping the ghosts")
    counted = lambda: sum(  # noqa: E731
        int(n) for i in (app1, app2) for n in re.findall(r"(\d+) ghost\(s\) removed", i.text())
    )
    wait_for(lambda: counted() == 200, what="the removals logged")
    time.sleep(0.3)  # a few more sweeps: nothing is removed twice
    assert counted() == 200


def test_instances_ride_out_a_redis_restart(app, instances):
    fast = ("--heartbeat-ms", "100")
    app1, app2 = instances("app-1", *fast), instances("app-2", *fast)
    app.server.kill9()
    for instance in (app1, app2):
        wait_for(
            lambda i=instance: "Redis unavailable" in i.text(), what=f"{instance.name} noticing"
        )
    time.sleep(0.3)  # a few more failed beats: still one line per instance
    app.server.restart()
    for instance in (app1, app2):
        wait_for(
            lambda i=instance: "Redis available again" in i.text(), what=f"{instance.name} back"
        )
    out = run_ts(MODULE, "--clients", app1.url, app2.url)  # events cross instances again
    assert out.returncode == 0, out.stderr
    assert [e["event"] for e in heard(out.stdout)] == ["online", "status", "offline"]
    for instance in (app1, app2):
        assert instance.text().count("Redis unavailable") == 1
        assert instance.text().count("Redis available again") == 1
