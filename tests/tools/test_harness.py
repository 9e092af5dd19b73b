"""The disposable-server harness itself: kinds, options, TLS, faults, cluster, cleanup."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from redis.cluster import RedisCluster

from tools import harness
from tools.paths import ROOT


def test_server_answers_with_options(redis_factory):
    password = harness.random_password()
    server = redis_factory(
        password=password,
        maxmemory="8mb",
        maxmemory_policy="allkeys-lru",
        maxclients=50,
        config=("hz 20",),
    )
    with server.admin() as client:
        assert client.ping()
        assert client.config_get("maxmemory")["maxmemory"] == str(8 * 1024 * 1024)
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "allkeys-lru"
        assert client.config_get("maxclients")["maxclients"] == "50"
        assert client.config_get("hz")["hz"] == "20"
    with (
        pytest.raises(redis.AuthenticationError),
        redis.Redis(retry=harness.NO_RETRY, port=server.port) as anon,
    ):
        anon.set("k", "v")


def test_kind_is_identified_by_info(redis_server, server_kind):
    info = redis_server.info("server")
    if server_kind.name == "valkey":
        assert info["server_name"] == "valkey"
        assert info["valkey_version"] == server_kind.version
    else:
        assert "valkey_version" not in info
        assert info["redis_version"] == server_kind.version


def test_acl_users(redis_factory):
    server = redis_factory(acl_users=("app on >app-secret-123 ~app:* +@read +@write",))
    with redis.Redis(
        retry=harness.NO_RETRY, port=server.port, username="app", password="app-secret-123"
    ) as app:
        app.set("app:1", "x")
        with pytest.raises(redis.exceptions.NoPermissionError):
            app.set("other:1", "x")


def test_tls_endpoint(redis_factory, server_kind):
    tls = harness.TLSFiles.create()
    server = redis_factory(tls=tls, password=harness.random_password())
    url = server.url(tls=True)
    assert url.startswith("rediss://")
    with redis.Redis.from_url(url, retry=harness.NO_RETRY, ssl_ca_certs=str(tls.ca_cert)) as client:
        assert client.ping()
    # plaintext on the TLS port: the server (or front) drops the connection
    with (
        pytest.raises(redis.ConnectionError),
        redis.Redis(
            retry=harness.NO_RETRY, port=server.tls_port, password=server.password, socket_timeout=3
        ) as plain,
    ):
        plain.ping()
    # an untrusted CA fails verification
    with (
        pytest.raises(redis.ConnectionError, match="CERTIFICATE_VERIFY_FAILED"),
        redis.Redis.from_url(url, retry=harness.NO_RETRY) as untrusted,
    ):
        untrusted.ping()


def test_closed_port_and_silent_endpoint(redis_factory):
    closed = redis_factory.closed_port()
    with (
        pytest.raises(redis.ConnectionError, match="Connection refused"),
        redis.Redis(retry=harness.NO_RETRY, port=closed.port, socket_connect_timeout=1) as client,
    ):
        client.ping()
    silent = redis_factory.silent_endpoint()
    with (
        pytest.raises(redis.TimeoutError),
        redis.Redis(
            retry=harness.NO_RETRY, port=silent.port, socket_timeout=0.3, socket_connect_timeout=1
        ) as client,
    ):
        client.ping()


def test_front_adds_latency_and_drops(redis_factory):
    server = redis_factory()
    slow = redis_factory.front(server, delay=0.05)
    with redis.Redis(retry=harness.NO_RETRY, port=slow.port) as client:
        t0 = time.perf_counter()
        client.ping()
        assert time.perf_counter() - t0 >= 0.1  # one delay each way
    dropping = redis_factory.front(server, drop_after=0)
    with (
        pytest.raises(redis.ConnectionError),
        redis.Redis(retry=harness.NO_RETRY, port=dropping.port) as client,
    ):
        client.ping()


def test_kill9_and_restart_keep_the_data_dir(redis_factory):
    server = redis_factory(appendonly=True, appendfsync="always")
    with server.admin() as client:
        client.set("survives", "yes")
    server.kill9()
    assert server.proc.poll() == -signal.SIGKILL
    server.restart()
    with server.admin() as client:
        assert client.get("survives") == "yes"


def test_cluster_of_three_primaries(redis_factory):
    cluster = redis_factory.cluster()
    assert len(cluster.nodes) == 3
    with RedisCluster.from_url(cluster.url(), decode_responses=True) as rc:
        for i in range(30):
            rc.set(f"key:{i}", i)
        assert rc.get("key:29") == "29"
        assert len(rc.get_primaries()) == 3
    # a plain client meets MOVED for keys on other nodes
    with cluster.nodes[0].admin() as plain, pytest.raises(redis.exceptions.MovedError):
        for i in range(30):
            plain.get(f"key:{i}")


PROBE = ROOT / "tests" / "tools" / "harness_probe.py"


def _run_probe(tmp_path: Path, *, interrupt: signal.Signals | None) -> tuple[list[int], Path]:
    out = tmp_path / "pids.txt"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {
        **os.environ,
        "TMPDIR": str(tmp),
        "PCRG_PROBE_OUT": str(out),
        "PCRG_PROBE_HANG": "1" if interrupt else "",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--no-cov",
            str(PROBE),
            "-k",
            "valkey",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    if interrupt:
        # bounded, and generous: a child pytest starting servers on a busy machine is slow
        deadline = time.monotonic() + 120
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not out.exists():
            proc.kill()
            pytest.fail(f"the probe session wrote no server pids within 120 s: {proc.stdout}")
        time.sleep(0.2)
        proc.send_signal(interrupt)
    proc.wait(timeout=60 * harness.session.PATIENCE)
    return [int(p) for p in out.read_text().split()], tmp


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")  # a zombie is as good as gone
    return stat.exists() and stat.read_text().split()[2] != "Z"


@pytest.mark.parametrize(
    "interrupt", [None, signal.SIGINT, signal.SIGKILL], ids=["normal", "ctrl-c", "sigkill"]
)
def test_nothing_outlives_the_session(tmp_path, interrupt):
    if not harness.discover_kinds().get("valkey"):
        pytest.fail("the embedded valkey kind is always required")
    pids, tmp = _run_probe(tmp_path, interrupt=interrupt)
    assert len(pids) == 2
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids), "a server outlived its test session"
    if interrupt is not signal.SIGKILL:  # SIGKILL cannot clean files; PDEATHSIG still kills
        assert list(tmp.iterdir()) == [], "a temp dir outlived its test session"


def test_make_redis_entry_serves_until_stopped():
    """``make redis`` (python -m tools.harness): a server on the given port until SIGTERM."""
    port = harness.free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.harness", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        harness.wait_port(harness.LOOPBACK, port, timeout=30)
        with redis.Redis(port=port, retry=harness.NO_RETRY, socket_timeout=5) as client:
            assert client.ping()
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert f"listening on redis://127.0.0.1:{port}/0" in output and "stopped" in output
    with pytest.raises(OSError):
        harness.session.answers_ping(harness.LOOPBACK, port)


@pytest.mark.parametrize(
    ("value", "patience"), [("1", 1.0), ("2.5", 2.5), ("0.1", 1.0), ("x", 3.0)]
)
def test_patience_stretches_every_bound_never_shrinks_it(monkeypatch, value, patience):
    from tools.harness import session

    monkeypatch.setenv("TEST_PATIENCE", value)
    assert session._patience() == patience
    monkeypatch.setattr(session, "PATIENCE", 2.0)
    with pytest.raises(AssertionError, match=r"never not reached within 0\.2s"):
        session.wait_for(lambda: False, "never", timeout=0.1)
