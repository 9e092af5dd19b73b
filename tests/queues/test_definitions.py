"""snippets/queues/definitions.py: connection options, prefix, startup check, on every kind."""

from __future__ import annotations

import asyncio
import logging
import os
import warnings
from pathlib import Path

import pytest
from bullmq import Worker
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot
from redis.exceptions import ClusterCrossSlotError
from redis.exceptions import ConnectionError as RedisConnectionError

from snippets.config.client import SOCKET_TIMEOUT
from snippets.config.settings import load_settings
from snippets.queues import definitions
from snippets.queues.definitions import (
    BLOCKING_WAIT,
    DEFAULT_JOB_OPTIONS,
    PREFIX,
    QUEUE_NAMES,
    QueueStartupError,
    check_queue_server,
    connection_options,
    make_queue,
    producer_client,
)
from snippets.queues.worker import close_workers
from tests.demos import run_demo
from tests.helpers import wait_until
from tools import harness

PAGE = Path(__file__).resolve().parents[2] / "docs" / "usage" / "queues.md"


def settings_for(url: str):
    return load_settings({"REDIS_URL": url})


def test_connection_options_from_the_url():
    url = "rediss://default:s3cret@cache.example.com:6380/2?ssl_cert_reqs=none&socket_timeout=2"
    options = connection_options(settings_for(url))
    assert options["host"] == "cache.example.com" and options["port"] == 6380
    assert options["db"] == 2 and options["username"] == "default"
    assert options["password"] == "s3cret" and options["ssl"] is True
    assert options["ssl_cert_reqs"] == "none"
    assert options["socket_timeout"] == BLOCKING_WAIT + 5  # never below the blocking wait
    assert "connection_class" not in options


def test_options_bullmq_sets_itself_are_removed():
    url = "redis://127.0.0.1:6379/0?decode_responses=False&socket_timeout=60"
    options = connection_options(settings_for(url))
    assert "decode_responses" not in options  # BullMQ passes decode_responses=True itself
    assert options["socket_timeout"] == 60  # a longer timeout from the URL is kept
    assert "ssl" not in options


def test_unix_socket_url(redis_factory):
    socket = harness.session_root() / f"queues-{os.getpid()}.sock"
    server = redis_factory(config=(f"unixsocket {socket}", "unixsocketperm 700"))
    settings = settings_for(f"unix://{socket}?db=0")
    options = connection_options(settings)
    assert options["unix_socket_path"] == str(socket)

    async def ping() -> bool:
        client = producer_client(settings)
        try:
            return await client.ping()
        finally:
            await client.aclose()

    assert asyncio.run(ping())
    assert server.port


def test_producer_client_fails_fast(redis_factory):
    closed = redis_factory.closed_port()
    client = producer_client(settings_for(f"redis://127.0.0.1:{closed.port}/0"))
    assert client.connection_pool.connection_kwargs["socket_timeout"] == SOCKET_TIMEOUT
    assert client.get_retry().get_retries() == 3

    async def ping():
        try:
            await client.ping()
        finally:
            await client.aclose()

    with pytest.raises(RedisConnectionError, match=r"connecting to 127\.0\.0\.1"):
        asyncio.run(ping())


def test_unknown_queue_name_is_refused():
    with pytest.raises(ValueError, match="unknown queue 'appointment-reminders'"):
        make_queue("appointment-reminders", settings_for("redis://127.0.0.1:6379/0"))


def test_every_key_shares_the_hash_tag(redis_server, monkeypatch):
    """All keys of all five queues start with {pharmacare}: one cluster slot."""
    settings = settings_for(redis_server.url())

    async def add_everywhere() -> None:
        for name in QUEUE_NAMES:
            queue = make_queue(name, settings)
            await queue.add("probe", {"appointmentId": "apt-1"}, {"delay": 60_000})
            await queue.add("probe", {"appointmentId": "apt-2"})
            await queue.close()

    asyncio.run(add_everywhere())
    with redis_server.admin() as admin:
        keys = list(admin.scan_iter(match="*"))
        assert len(keys) > 10
        assert all(key.startswith(f"{PREFIX}:") for key in keys)
    slots = {key_slot(key.encode()) for key in keys}  # the slot a cluster would use
    assert len(slots) == 1


def test_hash_tag_is_what_makes_a_cluster_work(redis_factory):
    """On a real 3-primary cluster: {pharmacare} works, a plain prefix is refused."""
    cluster = redis_factory.cluster()
    node = cluster.nodes[0]

    async def run(prefix: str) -> str:
        client = RedisCluster(host=harness.LOOPBACK, port=node.port, decode_responses=True)
        from bullmq import Queue

        queue = Queue("appointment-status", {"prefix": prefix, "connection": client})
        try:
            job = await queue.add("probe", {"appointmentId": "apt-1"})
            return job.id
        finally:
            await client.aclose()

    assert asyncio.run(run(PREFIX)) == "1"
    with pytest.raises(ClusterCrossSlotError, match="Keys in request don't hash to the same slot"):
        asyncio.run(run("bull"))


def test_default_job_options():
    assert DEFAULT_JOB_OPTIONS["attempts"] == 3
    assert DEFAULT_JOB_OPTIONS["backoff"]["type"] == "exponential"
    assert DEFAULT_JOB_OPTIONS["removeOnComplete"]["count"] > 0
    assert (
        DEFAULT_JOB_OPTIONS["removeOnFail"]["age"] >= DEFAULT_JOB_OPTIONS["removeOnComplete"]["age"]
    )


def test_page_table_lists_the_queues():
    """The queues table on the page names exactly QUEUE_NAMES, each with 3 tries."""
    rows = [line for line in PAGE.read_text().splitlines() if line.startswith("| `")]
    names = [row.split("`")[1] for row in rows if row.split("`")[1] in QUEUE_NAMES]
    assert names == list(QUEUE_NAMES)
    assert all("3 tries" in row for row in rows if row.split("`")[1] in QUEUE_NAMES)


async def startup_check(settings) -> None:
    """The worker's startup check on a fresh producer client, closed afterwards."""
    client = producer_client(settings)
    try:
        await check_queue_server(client, settings)
    finally:
        await client.aclose()


def test_startup_check_passes_noeviction_and_logs(redis_server, caplog):
    caplog.set_level(logging.INFO, logger="pharmacare.queues")
    settings = settings_for(redis_server.url())

    asyncio.run(startup_check(settings))
    assert caplog.messages == [f"Queue Redis client connected: {settings.target}"]


def test_startup_check_refuses_an_evicting_policy(redis_factory, capture):
    server = redis_factory(maxmemory="64mb", maxmemory_policy="allkeys-lru")
    settings = settings_for(server.url())

    with pytest.raises(QueueStartupError) as error:
        asyncio.run(startup_check(settings))
    assert error.value.check_id == "memory.policy-queue"
    text = f"{type(error.value).__name__}: {error.value}"
    assert "maxmemory-policy is allkeys-lru; set it to noeviction" in text
    capture("queue-policy-refused", text)


def test_worker_over_tls(redis_factory):
    """rediss:// with the URL's own CA option: a producer and a worker process a job."""
    tls = harness.TLSFiles.create()
    server = redis_factory(tls=tls)
    settings = settings_for(server.url(tls=True, query=f"ssl_ca_certs={tls.ca_cert}"))
    assert settings.tls

    async def roundtrip():
        queue = make_queue("appointment-status", settings)
        done = asyncio.Event()

        async def processor(job, token):
            done.set()
            return job.data["appointmentId"]

        worker = Worker(
            "appointment-status",
            processor,
            {"prefix": PREFIX, "connection": connection_options(settings)},
        )
        await queue.add("update-status", {"appointmentId": "apt-7", "status": "confirmed"})
        await asyncio.wait_for(done.wait(), 15)
        await wait_until(lambda: queue.getCompletedCount(), what="the job to complete")
        (job,) = await queue.getCompleted()
        await close_workers([worker])
        await queue.close()
        return job.returnvalue

    assert asyncio.run(roundtrip()) == "apt-7"


def test_idle_worker_keeps_its_connection(redis_server):
    """An idle worker blocks 6 s per wait, longer than the app's 5 s socket timeout: with
    these options it keeps its connections (a 5 s timeout would reconnect on every wait)."""
    settings = settings_for(redis_server.url())
    errors: list[Exception] = []

    async def idle() -> int:
        queue = make_queue("appointment-status", settings)

        async def processor(job, token):
            return "ok"

        worker = Worker(
            "appointment-status",
            processor,
            {"prefix": PREFIX, "connection": connection_options(settings), "drainDelay": 6},
        )
        worker.on("error", errors.append)
        await asyncio.sleep(1)
        before = redis_server.info("stats")["total_connections_received"]
        await asyncio.sleep(7)  # one full blocking wait longer than SOCKET_TIMEOUT
        after = redis_server.info("stats")["total_connections_received"]
        await queue.add("update-status", {"appointmentId": "apt-1", "status": "confirmed"})
        await wait_until(lambda: queue.getCompletedCount(), what="the job to complete")
        await close_workers([worker])
        await queue.close()
        return after - before - 1  # minus the INFO call's own connection

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reconnects = asyncio.run(idle())
    assert reconnects == 0
    assert errors == []


def test_demo_runs(redis_server):
    env = {**os.environ, "REDIS_URL": redis_server.url()}
    out = run_demo("snippets.queues.definitions", env=env)
    assert out.returncode == 0, out.stderr
    assert "{pharmacare}:appointment-status: {" in out.stdout
    assert "Queue Redis client connected" in out.stderr


def test_demo_refuses_an_evicting_server(redis_factory):
    server = redis_factory(maxmemory="64mb", maxmemory_policy="volatile-lru")
    env = {**os.environ, "REDIS_URL": server.url()}
    out = run_demo("snippets.queues.definitions", env=env)
    assert out.returncode == 1
    assert "refusing to use the queues: memory.policy-queue" in out.stderr
    assert definitions.PREFIX in ("{pharmacare}",)
