"""Network fronts and fake endpoints: TLS material, a relaying front, closed and silent ports.

- :class:`TLSFiles` — a test CA (trustme) and one server certificate on disk.
- :class:`Front` — a TCP relay to a backend that can terminate TLS (for binaries without
  native TLS), add latency, drop connections, or answer with fixed bytes.
- :class:`SourceFront` — a relay whose backend connections come from a chosen source address.
- :class:`ClosedPort` — refuses connections; :class:`SilentEndpoint` — accepts and never answers.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tools.harness.session import LOOPBACK, Stoppable, new_dir


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

        directory = directory or new_dir("tls-")
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


def _listener(host: str = LOOPBACK, backlog: int | None = None) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    if backlog is not None:
        sock.listen(backlog)
    return sock


def _close_listener(sock: socket.socket) -> None:
    """Close a listening socket; the shutdown wakes a thread blocked in accept() (Linux)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


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
        self.sock = _listener(host)
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

    def _connect_backend(self) -> socket.socket:
        return socket.create_connection(self.backend, timeout=10)

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
            backend = self._connect_backend()
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
        _close_listener(self.sock)
        with self._conns_lock:
            conns, self._conns = list(self._conns), set()
        for s in conns:
            with contextlib.suppress(OSError):
                s.close()
        self._untrack()


class SourceFront(Front):
    """A plain relay whose connections to the backend come FROM ``source`` (e.g. 127.0.0.2).

    Linux picks 127.0.0.1 as the source for any 127.x destination, so a server sees a
    non-loopback-looking client (protected mode's DENIED) only when the source is bound.
    """

    def __init__(self, backend_host: str, backend_port: int, *, source: str) -> None:
        super().__init__(backend_host, backend_port)
        self.source = source

    def _connect_backend(self) -> socket.socket:
        return socket.create_connection(self.backend, timeout=10, source_address=(self.source, 0))


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
    """Accepts TCP connections, counts them in ``accepted`` and never answers a byte
    (a hung server: connect succeeds, every read times out)."""

    def __init__(self) -> None:
        self.sock = _listener(backlog=64)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True, name="silent-accept").start()
        self._track()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self.accepted.append(self.sock.accept()[0])

    def stop(self) -> None:
        _close_listener(self.sock)
        for conn in self.accepted:
            with contextlib.suppress(OSError):
                conn.close()
        self._untrack()

    close = stop
