"""Topologies of several servers: a cluster (optionally with replicas) and a Sentinel group."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import redis

from tools.harness.kinds import Kind
from tools.harness.network import TLSFiles
from tools.harness.server import Server
from tools.harness.session import LOOPBACK, Stoppable, free_port, wait_for

NODE_TIMEOUT_MS = 2000  # cluster-node-timeout: how soon a dead primary's replica takes over
BELOW_BUS = 55536  # a cluster node's bus port is its port + 10000: keep it below 65536


def _until(ready, message: str, timeout: float = 30.0) -> None:
    """Wait for a topology condition; a node still starting counts as "not yet"."""
    wait_for(ready, message, timeout, ignore=(redis.RedisError,))


def _cluster_info(node: Server) -> str:
    with node.admin() as c:
        return c.execute_command("CLUSTER", "INFO")


@dataclass
class Cluster(Stoppable):
    """A cluster of ``primaries`` primaries on loopback, slots split evenly, state ok."""

    kind: Kind
    primaries: int = 3
    password: str | None = None
    tls: TLSFiles | None = None
    config: tuple[str, ...] = ()
    nodes: list[Server] = field(default_factory=list)

    @property
    def _native_tls(self) -> bool:
        return bool(self.tls) and self.kind.native_tls

    def node_config(self, *extra: str) -> tuple[str, ...]:
        """The config lines every node of this cluster runs with (plus ``extra``)."""
        lines = ("cluster-enabled yes", f"cluster-node-timeout {NODE_TIMEOUT_MS}", *self.config)
        if self.password:
            lines += (f"masterauth {self.password}",)
        return (*lines, *extra)

    def start(self) -> Cluster:
        extra = self.node_config(*(("tls-cluster yes",) if self._native_tls else ()))
        for _ in range(self.primaries):
            node = Server(
                self.kind,
                password=self.password,
                tls=self.tls,
                config=extra,
                port=free_port(below=BELOW_BUS),
                # with tls-cluster the bus port is tls-port + 10000: keep it below 65536 too
                tls_port=free_port(below=BELOW_BUS) if self._native_tls else None,
            )
            self.nodes.append(node.start())
        per = 16384 // self.primaries
        for i, node in enumerate(self.nodes):
            last = 16383 if i == self.primaries - 1 else (i + 1) * per - 1
            with node.admin() as c:
                c.execute_command("CLUSTER", "ADDSLOTSRANGE", i * per, last)
        with self.nodes[0].admin() as c:
            for node in self.nodes[1:]:
                c.execute_command(
                    "CLUSTER", "MEET", LOOPBACK, node.tls_port if self._native_tls else node.port
                )
        wait_for(lambda: self._all_ok(self.nodes), "cluster state ok", 20.0)
        self._track()
        return self

    def _all_ok(self, nodes: list[Server]) -> bool:
        def ok(info: str) -> bool:
            return "cluster_state:ok" in info and f"cluster_known_nodes:{len(nodes)}" in info

        return all(ok(_cluster_info(n)) for n in nodes)

    def url(self, **kwargs) -> str:
        return self.nodes[0].url(**kwargs)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        self._untrack()


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
        extra = self.node_config("repl-diskless-sync-delay 0")
        for primary in self.nodes:
            with primary.admin() as c:
                primary_id = c.execute_command("CLUSTER", "MYID")
                c.config_set("repl-diskless-sync-delay", 0)  # default: wait 5 s to sync
            for _ in range(self.replicas_per_primary):
                node = Server(
                    self.kind, password=self.password, config=extra, port=free_port(below=BELOW_BUS)
                ).start()
                self.replicas.append(node)
                with node.admin() as c:
                    c.execute_command("CLUSTER", "MEET", LOOPBACK, primary.port)
                _until(lambda n=node, p=primary_id: self._knows(n, p), "replica MEET")
                with node.admin() as c:
                    c.execute_command("CLUSTER", "REPLICATE", primary_id)
        _until(self._replicas_ready, "replicas did not sync")
        return self

    @staticmethod
    def _knows(node: Server, node_id: str) -> bool:
        with node.admin() as c:
            return node_id in c.execute_command("CLUSTER", "NODES")

    def _replicas_ready(self) -> bool:
        return self._all_ok([*self.nodes, *self.replicas]) and all(
            r.info("replication").get("master_link_status") == "up" for r in self.replicas
        )

    def stop(self) -> None:
        for node in self.replicas:
            node.stop()
        super().stop()


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

    def config_lines(self) -> list[str]:
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
        return [*lines, *self.config]

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
        _until(self._replica_synced, "the replica did not sync")
        with self.primary.admin() as c:  # the first WAIT after a sync can take ~1 s: do it now
            c.set("harness:warm-up", "1")
            c.delete("harness:warm-up")
            c.wait(1, 5000)
        name = self.master_name
        peers = [(free_port(), secrets.token_hex(20)) for _ in range(self.sentinel_count)]
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
        _until(self._sentinels_ready, "the sentinels did not discover each other")
        self._track()
        return self

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
