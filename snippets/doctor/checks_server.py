"""Doctor steps 5-7: authenticate, cluster, PING latency, INFO and the judgments.

Runs through redis-py with the URL's own options (like the app) but no retries and a
timeout on every call, so a run is bounded. A command the provider blocks (CONFIG, an INFO
section) or the ACL denies turns into a ``skip`` row with its reason, never a crash.
"""

from __future__ import annotations

import secrets
import statistics
import time

import redis
from redis.backoff import NoBackoff
from redis.connection import parse_url
from redis.retry import Retry

from snippets.config.client import redacting_connection
from snippets.config.settings import RedisSettings
from snippets.doctor import judgments
from snippets.doctor.checks_net import STEP, StepTimeout, bounded
from snippets.doctor.report import Result, found

INFO_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "keyspace")
# Three keys in three different hash slots: on a 3-primary cluster at least two are elsewhere.
CLUSTER_PROBE_KEYS = ("pharmacare:doctor:{a}", "pharmacare:doctor:{b}", "pharmacare:doctor:{c}")


def doctor_client(settings: RedisSettings, timeout: float) -> redis.Redis:
    """A client like the app's (the URL's options apply) that fails fast: no retries."""
    base = parse_url(settings.url).get("connection_class", redis.Connection)
    return redis.Redis.from_url(
        settings.url,
        connection_class=redacting_connection(base),  # errors never echo the password
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        client_name="pharmacare-doctor",
        decode_responses=True,
    )




def check_auth(client: redis.Redis, settings: RedisSettings, first_reply: str) -> Result:
    """AUTH happens when redis-py connects; its error text names the problem."""
    user = settings.username or "default"
    if "url.password-as-username" in settings.findings:
        user = "***"  # redis://SECRET@host: the "user name" is probably the password
    if first_reply.startswith("-NOAUTH") and not settings.password_set:
        return found("auth.required", "the URL has no password")
    try:
        client.ping()
    except redis.AuthenticationError as error:
        text = str(error)
        if not settings.password_set:  # NOAUTH (its text varies: PING, HELLO, …)
            return found("auth.required", text)
        return found("auth.wrongpass", f"user {user}: {text}")
    except redis.exceptions.NoPermissionError:
        pass  # authenticated, but PING is denied: reported by the latency check
    except redis.ResponseError as error:
        text = str(error).lower()
        if "unknown command 'hello'" in text:  # redis-py 8 speaks RESP3 unless told not to
            return found("server.no-hello", str(error))
        if "unknown command 'ping'" not in text:  # PING renamed away is fine, else not
            return found("net.closed", f"the server refused the session set-up: {error}")
    except redis.TimeoutError as error:
        return found("net.timeout", f"connected, then no reply: {error}")
    except redis.ConnectionError as error:
        if "max number of clients" in str(error):
            return found("server.maxclients", f"refused: {error}")
        return found("net.closed", str(error))
    if settings.password_set and user == "default" and first_reply.startswith("+"):
        # PING was answered before AUTH: the default user has no password, the URL's is
        # ignored (Redis 6+ accepts any password for a nopass user).
        return found("auth.not-required", "PING answered before AUTH")
    if settings.password_set:
        return Result("auth.wrongpass", "pass", f"authenticated as {user}")
    return Result("auth.required", "pass", "the server accepts clients without a password")




def denied(command: str, error: Exception) -> Result:
    """The ACL user may not run a command the doctor needs (NOPERM)."""
    return found("auth.noperm", f"{command}: {error}")


def check_sentinel(client: redis.Redis) -> Result | None:
    """A Sentinel answers PING and INFO, but holds no data: the app needs the primary."""
    try:
        server = client.info("server")
        mode = server.get("redis_mode") or server.get("server_mode")  # Valkey: server_mode
    except redis.ResponseError:  # INFO blocked or denied: judged later, with its reason
        return None
    if mode == "sentinel":
        return found("server.sentinel", "INFO server reports mode sentinel")
    return None




def check_cluster(client: redis.Redis) -> list[Result]:
    """A cluster node answers MOVED for keys in other nodes' slots; a plain client fails."""
    try:
        for key in CLUSTER_PROBE_KEYS:
            client.exists(key)
    except redis.exceptions.MovedError as error:
        return [found("cluster.moved", f"EXISTS {key} -> MOVED {error}")]
    except redis.exceptions.NoPermissionError as error:
        return [
            denied("EXISTS", error),
            Result("cluster.moved", "skip", "EXISTS is not allowed for this user"),
        ]
    except redis.ResponseError as error:  # e.g. EXISTS renamed away
        return [Result("cluster.moved", "skip", f"EXISTS failed: {error}")]
    return [Result("cluster.moved", "pass", "not a cluster: every key is served here")]




def check_latency(client: redis.Redis) -> list[Result]:
    """Several PINGs; the median is judged (one slow packet is not a slow server)."""
    times = []
    try:
        for _ in range(judgments.PINGS):
            start = time.perf_counter()
            client.ping()
            times.append((time.perf_counter() - start) * 1000)
    except redis.exceptions.NoPermissionError as error:
        return [denied("PING", error), Result("latency.high", "skip", "PING is not allowed")]
    except redis.ResponseError as error:  # e.g. PING renamed away
        return [Result("latency.high", "skip", f"PING failed: {error}")]
    return [judgments.latency(statistics.median(times))]




def read_info(client: redis.Redis) -> tuple[dict[str, dict], dict[str, str], list[Result]]:
    """INFO section by section: one blocked section skips only the checks that need it."""
    info: dict[str, dict] = {}
    blocked: dict[str, str] = {}
    results: list[Result] = []
    for section in INFO_SECTIONS:
        try:
            info[section] = client.info(section)
        except redis.exceptions.NoPermissionError as error:
            blocked[section] = "INFO is not allowed for this user (NOPERM)"
            if not any(r.id == "auth.noperm" for r in results):
                results.append(denied(f"INFO {section}", error))
        except redis.ResponseError as error:  # renamed or disabled by the provider
            blocked[section] = f"INFO {section} is blocked here: {error}"
    return info, blocked, results


def config_get(client: redis.Redis, name: str) -> str | None:
    """CONFIG GET, or None where the provider blocks CONFIG (most managed services)."""
    try:
        return client.config_get(name).get(name)
    except redis.ResponseError:
        return None




def check_write(client: redis.Redis) -> list[Result]:
    """Write one short-lived key: the only sure way to see OOM (and a read-only user)."""
    key = f"pharmacare:doctor:probe:{secrets.token_hex(4)}"
    try:
        client.set(key, "1", px=10_000)
        client.delete(key)
    except redis.exceptions.OutOfMemoryError as error:
        return [found("memory.oom", f"OOM {error}")]
    except redis.exceptions.NoPermissionError as error:
        return [denied("SET", error), Result("memory.oom", "skip", "SET is not allowed")]
    except redis.ResponseError as error:  # e.g. READONLY on a replica
        return [Result("memory.oom", "skip", f"could not write a test key: {error}")]
    return [Result("memory.oom", "pass", "a test write succeeded (key deleted)")]




def judge(client: redis.Redis, jobs_enabled: bool, progress=print) -> list[Result]:
    """INFO, then every judgment; a missing section skips only what needs it."""
    progress("reading INFO (server, clients, memory, persistence, stats, keyspace)")
    info, blocked, results = read_info(client)

    def skipped(check_id: str, *sections: str) -> Result | None:
        for section in sections:
            if section in blocked:
                return Result(check_id, "skip", blocked[section])
        return None

    progress("judging memory (memory.*)")
    results += check_write(client)
    results.append(
        skipped("memory.pressure", "memory") or judgments.memory_pressure(info["memory"])
    )
    results.append(
        skipped("memory.policy-queue", "memory")
        or judgments.memory_policy_queue(info["memory"], jobs_enabled)
    )
    results.append(
        skipped("memory.evictions", "stats", "memory")
        or judgments.memory_evictions(info["stats"], info["memory"], info.get("keyspace"))
    )
    progress("judging connections (server.maxclients)")
    clients = skipped("server.maxclients", "clients", "stats")
    if clients is None:
        limit = info["clients"].get("maxclients") or config_get(client, "maxclients")
        if limit is None:
            clients = Result("server.maxclients", "skip", "maxclients is not readable here")
        else:
            clients = judgments.max_clients(info["clients"], info["stats"], int(limit))
    results.append(clients)
    progress("judging persistence (persistence.off)")
    persistence = skipped("persistence.off", "persistence")
    if persistence is None:
        save = None
        if jobs_enabled and not int(info["persistence"].get("aof_enabled", 0)):
            save = config_get(client, "save")
        persistence = judgments.persistence_off(info["persistence"], save, jobs_enabled)
    results.append(persistence)
    return results


def check_server(
    settings: RedisSettings, first_reply: str, timeout: float, jobs_enabled: bool, progress=print
) -> list[Result]:
    """Steps 5-7 on one client; stops after a failing authentication."""
    results: list[Result] = []
    with doctor_client(settings, timeout) as client:

        def step(run):  # each step within --timeout in total, however slowly replies drip
            return bounded(run, STEP * timeout, client.connection_pool.disconnect)

        try:
            progress("authenticating (auth.*)")
            what = "authentication"
            results.append(step(lambda: check_auth(client, settings, first_reply)))
            if results[-1].status == "fail":
                return results
            what = "INFO server"
            sentinel = step(lambda: check_sentinel(client))
            if sentinel is not None:
                return [*results, sentinel]
            progress("checking for a cluster (cluster.moved)")
            what = "the cluster probe"
            results += step(lambda: check_cluster(client))
            progress(f"PING x{judgments.PINGS} (latency.high)")
            what = "the PINGs"
            results += step(lambda: check_latency(client))
            what = "INFO and the judgments"
            results += step(lambda: judge(client, jobs_enabled, progress))
        except StepTimeout as error:  # e.g. a server that answers one byte a second
            results.append(found("net.timeout", f"{what}: {error}"))
        except (KeyError, ValueError) as error:  # an INFO field this server does not report
            results.append(Result("memory.pressure", "skip", f"INFO lacks {error}"))
        except redis.TimeoutError as error:  # the server stopped answering mid-run
            results.append(found("net.timeout", f"during the checks: {error}"))
        except redis.ConnectionError as error:
            results.append(found("net.closed", f"during the checks: {error}"))
    return results


if __name__ == "__main__":
    from snippets.config.settings import load_settings

    for row in check_server(load_settings(), "+PONG", timeout=5.0, jobs_enabled=True):
        print(f"{row.status:4}  {row.id:24} {row.summary}")
