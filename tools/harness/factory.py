"""The factory tests use (one per test, through the ``redis_factory`` fixture) and the
context manager scripts use (``make redis``, ``make bench``)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

from tools.harness.kinds import Kind
from tools.harness.network import ClosedPort, Front, SilentEndpoint
from tools.harness.server import Server
from tools.harness.session import LOOPBACK, Stoppable
from tools.harness.topology import Cluster, ReplicatedCluster, Sentinel


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
