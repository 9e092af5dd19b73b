"""snippets/persistence/status.py and queue-instance.conf: what survives a restart with AOF,
with RDB, with neither — each written, restarted (SIGTERM and kill -9) and counted on real
servers of every kind."""

from __future__ import annotations

import os
import time

import pytest
import redis

from snippets.persistence import status as persistence
from tests.demos import run_demo
from tools import harness
from tools.paths import ROOT

# The shown files this module validates (the site's badge for them links here).
SHOWS = (
    "snippets/persistence/queue-instance.conf",
)

QUEUE_CONF = ROOT / "snippets" / "persistence" / "queue-instance.conf"

FIRST, LATER = 100, 50  # jobs written before and after the RDB snapshot

MODES = {  # row label → factory options
    'neither (save "", appendonly no)': {"save": "", "appendonly": False},
    "RDB only (save 3600 1)": {"save": "3600 1"},
    "AOF, appendfsync everysec": {"appendonly": True, "appendfsync": "everysec"},
    "AOF, appendfsync always": {"appendonly": True, "appendfsync": "always"},
}

EXPECTED = {  # row label → (after SIGTERM + start, after kill -9 + start)
    'neither (save "", appendonly no)': (0, 0),
    "RDB only (save 3600 1)": (FIRST + LATER, FIRST),
    "AOF, appendfsync everysec": (FIRST + LATER, FIRST + LATER),
    "AOF, appendfsync always": (FIRST + LATER, FIRST + LATER),
}


def count_after_start(server: harness.Server) -> int:
    """DBSIZE once the server has finished loading its files (bounded wait)."""
    deadline = time.monotonic() + 10
    with server.admin() as client:
        while True:
            try:
                return client.dbsize()
            except redis.BusyLoadingError:
                if time.monotonic() > deadline:  # pragma: no cover - a wedged load
                    raise
                time.sleep(0.01)


def write_jobs(client: redis.Redis, start: int, n: int) -> None:
    for i in range(start, start + n):
        client.hset(f"bull:appointment-reminder:{i}", mapping={"name": "remind", "data": "{}"})


def snapshot(client: redis.Redis) -> None:
    """BGSAVE and wait for it: stands in for a save point being reached."""
    client.bgsave()
    deadline = time.monotonic() + 10
    while client.info("persistence")["rdb_bgsave_in_progress"]:
        assert time.monotonic() < deadline, "BGSAVE did not finish"
        time.sleep(0.01)


def aof_written(client: redis.Redis) -> None:
    """Wait until the AOF buffer is empty: every write handed to the OS (bounded wait).

    With appendfsync everysec, Redis postpones writing the buffer (for up to 2 s) while the
    previous fsync is still running on a busy disk, yet it has already acknowledged those
    writes: a kill -9 in that window loses them. The suite saw it happen on a loaded machine.
    """
    deadline = time.monotonic() + 10
    while client.info("persistence")["aof_buffer_length"]:
        assert time.monotonic() < deadline, "the AOF buffer was never written"
        time.sleep(0.01)


def run_mode(redis_factory, options: dict, how: str) -> tuple[int, persistence.PersistenceStatus]:
    server = redis_factory(**options)
    with server.admin() as client:
        write_jobs(client, 0, FIRST)
        if options.get("save"):
            snapshot(client)
        write_jobs(client, FIRST, LATER)
        before = persistence.read_status(client)
        if options.get("appendonly"):
            aof_written(client)
    if how == "kill9":
        server.kill9()
    server.restart()
    return count_after_start(server), before


def test_what_survives_a_restart(redis_factory, capture):
    rows, said = [], []
    for label, options in MODES.items():
        graceful, status = run_mode(redis_factory, options, "restart")
        killed, _ = run_mode(redis_factory, options, "kill9")
        assert status.keys == FIRST + LATER
        assert (graceful, killed) == EXPECTED[label], label
        rows.append(f"{label:34} {FIRST + LATER:>7} {graceful:>14} {killed:>14}")
        said.append(f"{label:34} {status.restart_loses()}")
        if label.startswith("RDB"):
            # a change is a field written, not a key: each job hash here has two fields
            assert status.changes_since_snapshot == 2 * LATER
            assert FIRST + LATER - killed == LATER
    header = f"{'persistence':34} {'written':>7} {'SIGTERM, start':>14} {'kill -9, start':>14}"
    capture("persistence-restart-table", "\n".join([header, *rows]))
    capture("persistence-status-said", "\n".join(said))


def test_status_texts(redis_factory):
    server = redis_factory(save="", appendonly=False)
    with server.admin() as client:
        write_jobs(client, 0, 3)
        status = persistence.read_status(client)
    assert status == persistence.PersistenceStatus(False, "everysec", "", 6, True, 3)
    assert status.restart_loses() == "everything: AOF and RDB are both off (3 keys)"
    for fsync in ("always", "everysec", "no"):
        server = redis_factory(appendonly=True, appendfsync=fsync)
        with server.admin() as client:
            status = persistence.read_status(client)
        assert status.aof and status.appendfsync == fsync
        assert status.restart_loses() == persistence.AOF_LOSES[fsync]


def test_blocked_config_and_info_are_unknown_not_fatal(redis_factory):
    # Managed services (ElastiCache, …) block CONFIG; some users may not run INFO either.
    for aof, expected in (
        (True, persistence.AOF_LOSES[None]),
        (False, "unknown: AOF is off; RDB snapshots unknown (CONFIG blocked); 0 keys"),
    ):
        server = redis_factory(appendonly=aof, config=('rename-command CONFIG ""',))
        with server.admin() as client:
            status = persistence.read_status(client)
        assert status.appendfsync is None and status.save is None
        assert status.restart_loses() == expected
    password = harness.random_password()
    server = redis_factory(acl_users=(f"ops on >{password} ~* +@all -info -config",))
    with server.admin(username="ops", password=password) as client:
        status = persistence.read_status(client)
    assert status.aof is None and status.last_write_ok is None
    assert status.restart_loses() == "unknown: the server does not report its persistence settings"
    assert password not in repr(status)


def test_failed_snapshot_is_reported_and_blocks_writes(redis_factory, capture):
    # The snapshot cannot be renamed into place (a directory sits where dump.rdb goes):
    # the same failure as a full or read-only disk.
    server = redis_factory(save="3600 1")
    (server.directory / "dump.rdb").mkdir()
    with server.admin() as client:
        client.set("report:daily-sales:1", "{}")
        client.bgsave()
        deadline = time.monotonic() + 10
        while client.info("persistence")["rdb_last_bgsave_status"] != "err":
            assert time.monotonic() < deadline, "BGSAVE did not fail"
            time.sleep(0.01)
        status = persistence.read_status(client)
        assert status.last_write_ok is False
        with pytest.raises(redis.ResponseError, match="MISCONF") as error:
            client.set("report:daily-sales:2", "{}")
        (server.directory / "dump.rdb").rmdir()  # the disk is fixed
        snapshot(client)
        assert client.set("report:daily-sales:2", "{}")  # the next good snapshot: writes again
        assert persistence.read_status(client).last_write_ok is True
    capture("persistence-misconf", f"{type(error.value).__name__}: {error.value}")


def queue_conf_lines() -> tuple[str, ...]:
    lines = QUEUE_CONF.read_text().splitlines()
    return tuple(line for line in lines if line.strip() and not line.startswith("#"))


def test_queue_instance_conf_keeps_jobs_through_kill9(redis_factory):
    # queue-instance.conf, applied after the harness defaults so that its lines win.
    server = redis_factory(config=queue_conf_lines())
    with server.admin() as client:
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("save") == {"save": "3600 1 300 100 60 10000"}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        write_jobs(client, 0, FIRST)
        status = persistence.read_status(client)
        aof_written(client)
    assert status.restart_loses() == persistence.AOF_LOSES["everysec"]
    server.kill9()
    server.restart()
    assert count_after_start(server) == FIRST


def test_demo_runs(redis_server):
    out = run_demo(
        "snippets.persistence.status", env={**os.environ, "REDIS_URL": redis_server.url()}
    )
    assert out.returncode == 0, out.stderr
    assert "a restart now loses: everything: AOF and RDB are both off (0 keys)" in out.stdout
