"""One real redis-server / valkey-server process on loopback, configured by options.

``port`` is the plaintext port the harness (and most tests) use. With ``tls`` set,
``tls_port`` is a TLS endpoint: native where the binary supports it, else a
:class:`~tools.harness.network.Front` terminating TLS in front of ``port``.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tools.harness.kinds import Kind
from tools.harness.network import Front, TLSFiles
from tools.harness.session import (
    LOOPBACK,
    Stoppable,
    die_with_parent,
    free_port,
    new_dir,
    wait_port,
)

NO_RETRY = Retry(NoBackoff(), 0)  # harness clients fail fast; redis-py 8 retries 10 times


@dataclass
class Server(Stoppable):
    """A real server process in its own directory, started by :meth:`start`."""

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
    directory: Path = field(default_factory=lambda: new_dir("server-"))
    port: int = 0
    tls_port: int | None = None
    proc: subprocess.Popen | None = None
    _front: Front | None = None

    CONF_NAME: ClassVar[str] = "redis.conf"
    EXTRA_ARGS: ClassVar[tuple[str, ...]] = ()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Server:
        for _attempt in range(5):
            if not self.port:
                self.port = free_port()
            if self.tls and self.kind.native_tls and not self.tls_port:
                self.tls_port = free_port()
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

    def _process_lines(self) -> list[str]:
        """Where and how the process runs: the same for data nodes and sentinels."""
        return [
            f"port {self.port}",
            f"bind {self.bind}",
            f'dir "{self.directory}"',
            "daemonize no",
            f'logfile "{self.directory / "server.log"}"',
        ]

    def config_lines(self) -> list[str]:
        """The server's configuration file, line by line, from the options."""
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
        for name, value in (
            ("maxmemory", self.maxmemory),
            ("maxmemory-policy", self.maxmemory_policy),
            ("maxclients", self.maxclients),
            ("appendfsync", self.appendfsync),
        ):
            if value:
                lines.append(f"{name} {value}")
        if self.tls and self.kind.native_tls:
            lines += [
                f"tls-port {self.tls_port}",
                f'tls-cert-file "{self.tls.cert}"',
                f'tls-key-file "{self.tls.key}"',
                f'tls-ca-cert-file "{self.tls.ca_cert}"',
                "tls-auth-clients no",
            ]
        return [*lines, *self.config]

    def _write_conf(self) -> None:
        (self.directory / self.CONF_NAME).write_text("\n".join(self.config_lines()) + "\n")

    def _spawn(self) -> None:
        self.proc = subprocess.Popen(
            [str(self.kind.binary), str(self.directory / self.CONF_NAME), *self.EXTRA_ARGS],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
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
