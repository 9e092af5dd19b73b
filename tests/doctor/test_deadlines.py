"""Every doctor step is bounded as a whole (issue 14): drip and silent endpoints at each step.

A drip front passes a real server's first N reply bytes on each connection, then one byte
per interval (or nothing: silent). Sweeping N puts the stall in every step in turn: the
first reply to PING, the HELLO/AUTH handshake, the cluster probe, the PINGs, INFO. A TLS
drip stalls the handshake; a FIFO as ``ssl_ca_certs`` would block the TLS set-up forever.
The tests assert the outcome (``net.timeout`` or the documented id, and that the run
ended), never a duration; the subprocess ceiling only turns a hang into a failure.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time

import pytest

from tests.doctor.helpers import diagnose, run_doctor

INTERVAL = 0.05  # a byte every 50 ms: no single read ever waits long enough to time out


class DripFront:
    """TCP front to ``backend``: the first ``allow`` reply bytes of each connection flow,
    then one byte per ``interval`` (``interval=None``: nothing more, a silent server)."""

    def __init__(self, backend_port: int, allow: int, interval: float | None = INTERVAL):
        self.backend_port, self.allow, self.interval = backend_port, allow, interval
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while not self.stopping.is_set():
                client, _ = self.sock.accept()
                backend = socket.create_connection(("127.0.0.1", self.backend_port))
                self.conns += [client, backend]
                threading.Thread(target=self._up, args=(client, backend), daemon=True).start()
                threading.Thread(target=self._down, args=(backend, client), daemon=True).start()

    def _up(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)

    def _down(self, src: socket.socket, dst: socket.socket) -> None:
        sent = 0
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if sent + len(data) <= self.allow:
                    dst.sendall(data)
                    sent += len(data)
                    continue
                dst.sendall(data[: max(0, self.allow - sent)])
                rest, sent = data[max(0, self.allow - sent) :], self.allow
                if self.interval is None:
                    self.stopping.wait()  # silent from here on
                    return
                for i in range(len(rest)):
                    if self.stopping.wait(self.interval):
                        return
                    dst.sendall(rest[i : i + 1])

    def stop(self) -> None:
        self.stopping.set()
        for s in [self.sock, *self.conns]:
            with contextlib.suppress(OSError):
                s.close()


@pytest.fixture
def drip(redis_factory):
    server = redis_factory()
    fronts: list[DripFront] = []

    def make(allow: int, interval: float | None = INTERVAL) -> DripFront:
        fronts.append(DripFront(server.port, allow, interval))
        return fronts[-1]

    yield make
    for front in fronts:
        front.stop()


# Reply bytes allowed before the stall, so that it falls in each step in turn: the first
# reply to PING (0, 3), the HELLO handshake (7 + a few), then later commands.
ALLOWANCES = (0, 3, 7, 40, 150, 400, 700, 1200, 2500, 5000)


@pytest.mark.parametrize("interval", [INTERVAL, None], ids=["drip", "silent"])
def test_every_step_ends_within_its_bound(drip, interval):
    steps = set()
    for allow in ALLOWANCES:
        front = drip(allow, interval)
        report = diagnose(f"redis://127.0.0.1:{front.port}/0", timeout=0.3)
        last = report.checks[-1]
        if last.status == "fail":  # the stall was in a step: it must end as a timeout
            assert last.id in {"net.timeout", "net.closed"}, (allow, report.checks)
            steps.add(last.summary.split("(", 1)[1].split(":")[0][:30])
        front.stop()
    assert len(steps) >= 3, steps  # the stall reached several different steps


class DripEndpoint:
    """Answers every connection with ``payload``, one byte per interval, and nothing else."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.sock.accept()
                threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            for i in range(len(self.payload)):
                if self.stopping.wait(INTERVAL):
                    return
                conn.sendall(self.payload[i : i + 1])

    def stop(self) -> None:
        self.stopping.set()
        self.sock.close()


def test_tls_handshake_drip_is_bounded():
    """A server that starts a 16 kB TLS record and sends it a byte at a time."""
    endpoint = DripEndpoint(b"\x16\x03\x03\x40\x00" + b"\x02" * 16384)
    try:
        report = diagnose(f"rediss://127.0.0.1:{endpoint.port}/0", timeout=0.3)
    finally:
        endpoint.stop()
    assert report.checks[-1].id == "net.timeout" and "TLS" in report.checks[-1].summary


def test_fifo_as_ssl_ca_certs(redis_factory, tmp_path):
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    server = redis_factory()
    report = diagnose(f"rediss://127.0.0.1:{server.port}/0?ssl_ca_certs={fifo}", timeout=0.5)
    assert report.checks[-1].id == "url.invalid-option"
    assert "not a regular file" in report.checks[-1].summary


def test_cli_against_a_drip_endpoint(drip):
    """The real CLI, --timeout 2, the stall in the first reply: ends with net.timeout."""
    front = drip(3)
    started = time.monotonic()
    run = run_doctor("--url", f"redis://127.0.0.1:{front.port}/0", "--timeout", "2", timeout=120)
    print(f"doctor --timeout 2 against a drip endpoint: {time.monotonic() - started:.1f} s")
    assert run.code == 1 and "net.timeout" in run.stdout


def test_bounded_passes_results_and_errors_through():
    from snippets.doctor.checks_net import StepTimeout, bounded

    assert bounded(lambda: 42, 5, lambda: None) == 42
    with pytest.raises(KeyError):
        bounded(lambda: {}["x"], 5, lambda: None)
    stopped = threading.Event()
    with pytest.raises(StepTimeout):
        bounded(lambda: stopped.wait(30), 0.05, stopped.set)
    assert stopped.is_set()


def test_invalid_hosts_are_a_finding(redis_factory):
    for host in ("a..b", "x" * 64 + ".example.com", "red\u202exxxxx"):
        report = diagnose(f"redis://{host}:6379/0", timeout=0.5)
        assert report.checks[-1].id == "url.invalid-host", (host, report.checks)


@pytest.mark.parametrize("step", ["open_tcp", "open_tls", "first_reply"])
def test_a_step_past_its_deadline_is_abandoned_as_a_timeout(redis_server, monkeypatch, step):
    """Deterministic, whatever the machine's load: the step itself never finishes (it blocks
    reading a real server that has nothing to say), so only the step's deadline can end it —
    by shutting the step's socket (``abandon``) — and the row is net.timeout."""
    from snippets.config.settings import load_settings
    from snippets.doctor import checks_net

    released = threading.Event()
    real_open_tcp = checks_net.open_tcp

    def blocks_reading(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.recv(1)  # a Redis server sends nothing unasked: returns only once shut
        released.set()
        time.sleep(60)  # never hand back a result: the deadline has already passed

    def stalled_tcp(settings, timeout):
        sock, _ = real_open_tcp(settings, timeout)
        released.wait(60)  # no socket handed over yet: nothing to shut, the wait ends below
        return sock, None

    scheme = "rediss" if step == "open_tls" else "redis"
    settings = load_settings({"REDIS_URL": f"{scheme}://127.0.0.1:{redis_server.port}/0"})
    if step == "open_tcp":
        monkeypatch.setattr(checks_net, "open_tcp", stalled_tcp)
    elif step == "open_tls":
        monkeypatch.setattr(checks_net, "open_tls", lambda raw, s, t: blocks_reading(raw))
    else:
        monkeypatch.setattr(checks_net, "first_reply", lambda sock, s, t: blocks_reading(sock))
    reply, rows = checks_net.check_network(settings, timeout=0.2, progress=lambda _: None)
    released.set()  # let a stalled TCP step's thread end
    assert reply is None
    assert rows[-1].id == "net.timeout" and rows[-1].status == "fail", rows
    if step != "open_tcp":
        assert released.wait(10), "the abandoned step's socket was not shut"


def test_shutting_an_already_closed_socket_is_harmless():
    from snippets.doctor.checks_net import shut

    closed = socket.socket()
    closed.close()
    shut(closed)  # the step may have closed it itself before its deadline passed
    shut(None)
