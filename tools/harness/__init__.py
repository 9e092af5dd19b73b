"""Disposable Redis and Valkey servers: real processes on loopback, always cleaned up.

The modules, by topic:

- :mod:`~tools.harness.session`  the session root, cleanup, free ports, bounded polling
- :mod:`~tools.harness.kinds`    which server binaries this machine has (valkey, redis)
- :mod:`~tools.harness.server`   one server process and its options
- :mod:`~tools.harness.network`  TLS material, fronts (TLS, latency, drops), closed/silent ports
- :mod:`~tools.harness.topology` a cluster (with replicas) and a Sentinel group
- :mod:`~tools.harness.factory`  the per-test factory and ``started()`` for scripts
- ``python -m tools.harness``    ``make redis``

Tests import the package (``from tools import harness``); the names below are its API.
"""

from tools.harness.factory import ServerFactory, random_password, started
from tools.harness.kinds import ALL_KIND_NAMES, Kind, discover_kinds
from tools.harness.network import ClosedPort, Front, SilentEndpoint, SourceFront, TLSFiles
from tools.harness.server import NO_RETRY, Server
from tools.harness.session import (
    LOOPBACK,
    START_TIMEOUT,
    Stoppable,
    cleanup_all,
    free_port,
    new_dir,
    session_root,
    wait_for,
    wait_port,
)
from tools.harness.topology import Cluster, ReplicatedCluster, Sentinel, SentinelNode

__all__ = [
    "ALL_KIND_NAMES",
    "LOOPBACK",
    "NO_RETRY",
    "START_TIMEOUT",
    "ClosedPort",
    "Cluster",
    "Front",
    "Kind",
    "ReplicatedCluster",
    "Sentinel",
    "SentinelNode",
    "Server",
    "ServerFactory",
    "SilentEndpoint",
    "SourceFront",
    "Stoppable",
    "TLSFiles",
    "cleanup_all",
    "discover_kinds",
    "free_port",
    "new_dir",
    "random_password",
    "session_root",
    "started",
    "wait_for",
    "wait_port",
]
