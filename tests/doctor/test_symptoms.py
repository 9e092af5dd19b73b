"""Every symptom on the troubleshooting pages, reproduced: what the app sees, what the doctor says.

Each capture holds the last line of the app's traceback (the app's own client,
``make_client``) and the doctor's row for the same broken server. Ports are normalised to
6379 (cluster nodes to 7000-7002), temp paths to /path/to, timings to 0.1 ms, counts to N.
"""

from __future__ import annotations

import re

import pytest
import redis

from snippets.config.client import make_client
from snippets.doctor import cli
from snippets.doctor.report import MARKS
from tests.doctor.helpers import diagnose
from tools import harness

FAST = "socket_connect_timeout=1&socket_timeout=1"  # the URL's options win over the app's
TIMEOUT_SOON = "socket_connect_timeout=0.1&socket_timeout=0.1"  # where a timeout is the point
NORMALISED = "ports (shown as 6379), temp paths, timings, counts, CPython _ssl.c line numbers"


def app_error(monkeypatch, url: str, action=lambda c: c.set("pharmacare:k", "v")) -> str:
    """The app's client from REDIS_URL=url; the traceback's last line of what ``action`` raised."""
    monkeypatch.setenv("REDIS_URL", url)
    client = make_client()
    try:
        action(client)
    except redis.RedisError as error:
        return f"{type(error).__module__}.{type(error).__name__}: {error}"
    finally:
        client.close()
    raise AssertionError("no error")


def doctor_rows(report, *ids: str) -> str:
    width = max(len(i) for i in ids)
    return "\n".join(
        f"{MARKS[r.status]} {r.status:4}  {r.id:{width}}  {r.summary}"
        for r in report.checks
        if r.id in ids
    )


def normalise(text: str, *ports: int, tls: harness.TLSFiles | None = None) -> str:
    for port in ports:
        text = text.replace(f":{port}", ":6379").replace(f" {port}", " 6379")
    if tls is not None:
        text = text.replace(str(tls.ca_cert.parent), "/path/to")
    text = re.sub(r"\d+\.\d+ ms", "0.1 ms", text)
    return re.sub(r"_ssl\.c:\d+", "_ssl.c:NNNN", text)  # a line in CPython: varies by version


def symptom(capture, name: str, app: str, doctor: str, *ports: int, prefer="valkey", tls=None):
    body = f"# the app (make_client):\n{app}\n\n# redis-doctor:\n{doctor}"
    capture(name, normalise(body, *ports, tls=tls), normalised=NORMALISED, prefer=prefer)


# -- net ------------------------------------------------------------------------------


def test_refused_after_deploy_variable_not_set(redis_factory, monkeypatch, capture):
    closed = redis_factory.closed_port()  # stands in for "nothing on localhost:6379"
    url = f"redis://localhost:{closed.port}/0"
    app = app_error(monkeypatch, url)
    assert "Connection refused" in app
    report = diagnose(url)
    assert report.checks[-1].id == "net.refused"
    doctor = doctor_rows(report, "url.localhost", "net.refused")
    symptom(capture, "symptom-net-refused", app, doctor, closed.port)


def test_production_without_redis_url_fails_fast(capture):
    report = diagnose(APP_ENV="production")
    assert [r.id for r in report.checks] == ["config.missing"]
    capture("symptom-config-missing", doctor_rows(report, "config.missing"), offline=True)
    report = diagnose("redis://localhost:6379/0", APP_ENV="production")
    capture(
        "symptom-config-localhost-in-production",
        doctor_rows(report, "config.localhost-in-production"),
        offline=True,
    )


def test_new_config_and_url_findings(capture):
    report = diagnose("redis://127.0.0.1:6379/0", DISABLE_BACKGROUND_JOBS="sometimes")
    assert [r.id for r in report.checks] == ["config.invalid-switch"]
    capture(
        "symptom-config-invalid-switch",
        doctor_rows(report, "config.invalid-switch"),
        offline=True,
    )
    report = diagnose(f"redis://red-{'x' * 64}.oregon-keyvalue.render.com:6379/0")
    assert report.checks[-1].id == "url.invalid-host"
    capture("symptom-url-invalid-host", doctor_rows(report, "url.invalid-host"), offline=True)


def test_password_as_username(redis_factory, capture):
    server = redis_factory(password=harness.random_password())
    url = f"redis://{server.password}@127.0.0.1:{server.port}/0"  # the ':' forgotten
    report = diagnose(url)
    assert "url.password-as-username" in [r.id for r in report.checks]
    assert report.checks[-1].id == "auth.required"  # sent as a user name, with no password
    rows = doctor_rows(report, "url.password-as-username", "auth.required")
    assert server.password not in rows  # not even before the output's redaction
    capture("symptom-url-password-as-username", rows, prefer="valkey")


def test_timeout_silent_endpoint(redis_factory, monkeypatch, capture):
    silent = redis_factory.silent_endpoint()
    app = app_error(monkeypatch, f"redis://127.0.0.1:{silent.port}/0?{TIMEOUT_SOON}")
    assert "Timeout" in app
    report = diagnose(f"redis://127.0.0.1:{silent.port}/0", timeout=0.5)
    doctor = doctor_rows(report, "net.timeout")
    symptom(capture, "symptom-net-timeout", app, doctor, silent.port)


def test_dns_failure(redis_server, monkeypatch, capture):
    url = "redis://red-xxxxx.pharmacare.invalid:6379/0"
    app = app_error(monkeypatch, url)
    report = diagnose(url)
    assert report.checks[-1].id == "net.dns"
    symptom(capture, "symptom-net-dns", app, doctor_rows(report, "net.dns"))


def test_not_redis(redis_factory, monkeypatch, capture):
    server = redis_factory()
    http = redis_factory.front(server, reply=b"HTTP/1.1 400 Bad Request\r\n\r\n")
    app = app_error(monkeypatch, f"redis://127.0.0.1:{http.port}/0?{FAST}")
    report = diagnose(f"redis://127.0.0.1:{http.port}/0")
    assert report.checks[-1].id == "net.closed"
    symptom(capture, "symptom-net-closed", app, doctor_rows(report, "net.closed"), http.port)


# -- auth -----------------------------------------------------------------------------


def test_noauth(redis_factory, monkeypatch, capture):
    server = redis_factory(password=harness.random_password())
    app = app_error(monkeypatch, server.url(password=""))
    report = diagnose(server.url(password=""))
    assert report.checks[-1].id == "auth.required"
    symptom(capture, "symptom-auth-required", app, doctor_rows(report, "auth.required"))


def test_wrongpass(redis_factory, monkeypatch, capture):
    password = harness.random_password()
    server = redis_factory(password=password)
    wrong = server.url(password="old-" + harness.random_password())
    app = app_error(monkeypatch, wrong)
    assert "WRONGPASS" not in app and "invalid username-password pair" in app
    report = diagnose(wrong)
    symptom(capture, "symptom-auth-wrongpass", app, doctor_rows(report, "auth.wrongpass"))


def test_noperm(redis_factory, monkeypatch, capture):
    password = harness.random_password()
    server = redis_factory(acl_users=(f"app on >{password} ~* +@read +ping +hello +client",))
    url = server.url(username="app", password=password)
    app = app_error(monkeypatch, url)
    assert "NoPermissionError" in app
    report = diagnose(url)
    assert "auth.noperm" in [r.id for r in report.checks]
    symptom(capture, "symptom-auth-noperm", app, doctor_rows(report, "auth.noperm", "memory.oom"))


def test_allowlist(redis_factory, monkeypatch, capture):
    server = redis_factory()
    reply = b"-AUTH failed: Client IP address is not in the allowlist\r\n"
    front = redis_factory.front(server, reply=reply)
    app = app_error(monkeypatch, f"redis://127.0.0.1:{front.port}/0")
    report = diagnose(f"redis://127.0.0.1:{front.port}/0")
    symptom(capture, "symptom-auth-allowlist", app, doctor_rows(report, "auth.allowlist"))


def test_no_password_on_the_server(redis_server, capture):
    report = diagnose(redis_server.url(password=harness.random_password()))
    capture(
        "symptom-auth-not-required",
        doctor_rows(report, "auth.not-required"),
        normalised=NORMALISED,
    )


# -- tls ------------------------------------------------------------------------------


def test_tls_verify_failed(redis_factory, monkeypatch, capture):
    server = redis_factory(tls=harness.TLSFiles.create())
    app = app_error(monkeypatch, server.url())
    report = diagnose(server.url())
    doctor = doctor_rows(report, "tls.verify-failed")
    symptom(capture, "symptom-tls-verify-failed", app, doctor, server.tls_port, prefer="redis")


def test_tls_hostname_mismatch(redis_factory, monkeypatch, capture):
    tls = harness.TLSFiles.create("red-xxxxx.oregon-keyvalue.render.com")
    server = redis_factory(tls=tls)
    url = server.url(query=f"ssl_ca_certs={tls.ca_cert}")
    app = app_error(monkeypatch, url)
    report = diagnose(url)
    doctor = doctor_rows(report, "tls.hostname-mismatch")
    symptom(
        capture,
        "symptom-tls-hostname-mismatch",
        app,
        doctor,
        server.tls_port,
        prefer="redis",
        tls=tls,
    )


def test_plaintext_client_on_tls_port(redis_factory, monkeypatch, capture):
    server = redis_factory(tls=harness.TLSFiles.create())
    url = f"redis://127.0.0.1:{server.tls_port}/0?{FAST}"
    app = app_error(monkeypatch, url)
    report = diagnose(url)
    doctor = doctor_rows(report, "tls.required")
    symptom(capture, "symptom-tls-required", app, doctor, server.tls_port, prefer="redis")


def test_tls_client_on_plaintext_port(redis_server, monkeypatch, capture):
    app = app_error(monkeypatch, f"rediss://127.0.0.1:{redis_server.port}/0?{TIMEOUT_SOON}")
    report = diagnose(f"rediss://127.0.0.1:{redis_server.port}/0", timeout=0.5)
    doctor = doctor_rows(report, "tls.unexpected")
    symptom(capture, "symptom-tls-unexpected", app, doctor, redis_server.port)


# -- server ---------------------------------------------------------------------------


def test_maxclients(redis_factory, monkeypatch, capture):
    server = redis_factory(maxclients=2)
    held = [server.admin(), server.admin()]
    for client in held:
        client.ping()
    app = app_error(monkeypatch, server.url())
    report = diagnose(server.url())
    symptom(capture, "symptom-server-maxclients", app, doctor_rows(report, "server.maxclients"))
    for client in held:
        client.close()


def test_pool_exhausted(redis_server, monkeypatch, capture):
    url = redis_server.url(query="max_connections=1&timeout=0.2")  # a pool of one
    monkeypatch.setenv("REDIS_URL", url)
    client = make_client()
    held = client.connection_pool.get_connection()  # e.g. a worker blocked in BLPOP
    try:
        with pytest.raises(redis.ConnectionError) as error:
            client.get("pharmacare:k")  # waits `timeout` seconds for a free connection
    finally:
        client.connection_pool.release(held)
        client.close()
    app = f"{type(error.value).__module__}.{type(error.value).__name__}: {error.value}"
    assert app == "redis.exceptions.ConnectionError: No connection available."
    capture("symptom-pool-exhausted", f"# the app (make_client):\n{app}", normalised=NORMALISED)


@pytest.mark.kinds("redis")
def test_protected_mode(redis_factory, monkeypatch, capture):
    server = redis_factory(bind="127.0.0.1 127.0.0.2")
    front = harness.SourceFront("127.0.0.2", server.port, source="127.0.0.2").start()
    try:
        app = app_error(monkeypatch, f"redis://127.0.0.1:{front.port}/0")
        report = diagnose(f"redis://127.0.0.1:{front.port}/0")
    finally:
        front.stop()
    assert "DENIED" in app or "protected mode" in app
    doctor = doctor_rows(report, "server.protected-mode")
    symptom(capture, "symptom-server-protected-mode", app, doctor, front.port, prefer="redis")


def test_cluster_moved(redis_factory, monkeypatch, capture):
    cluster = redis_factory.cluster()
    ports = [n.port for n in cluster.nodes]
    app = app_error(monkeypatch, cluster.url(), lambda c: c.set("pharmacare:report:daily", "…"))
    assert "MovedError" in app
    report = diagnose(cluster.url())
    doctor = doctor_rows(report, "cluster.moved")
    body = f"# the app (make_client):\n{app}\n\n# redis-doctor:\n{doctor}"
    for i, port in enumerate(ports):
        body = body.replace(f":{port}", f":{7000 + i}")
    capture("symptom-cluster-moved", body, normalised="node ports (shown as 7000-7002)")


# -- memory ---------------------------------------------------------------------------


def test_oom(redis_factory, monkeypatch, capture):
    server = redis_factory(maxmemory="1mb", maxmemory_policy="noeviction")
    with server.admin() as admin, pytest.raises(redis.exceptions.OutOfMemoryError):
        for i in range(5000):
            admin.set(f"fill:{i}", "x" * 1000)
    app = app_error(monkeypatch, server.url())
    report = diagnose(server.url())
    doctor = re.sub(
        r"\d+\.\d MB of 1\.0 MB \(\d+%\)",
        "N MB of 1.0 MB (N%)",
        doctor_rows(report, "memory.oom", "memory.pressure"),
    )
    symptom(capture, "symptom-memory-oom", app, doctor)


def test_evictions_and_vanished_keys(redis_factory, capture):
    server = redis_factory(maxmemory="2mb", maxmemory_policy="allkeys-lru")
    keys = [f"pharmacare:report:{i}" for i in range(3000)]
    with server.admin() as admin:
        for key in keys:
            admin.set(key, "x" * 1000)
        pipe = admin.pipeline()
        for key in keys:
            pipe.exists(key)
        missing = sum(1 for found in pipe.execute() if not found)
        evicted = admin.info("stats")["evicted_keys"]
    assert missing == evicted > 0  # every vanished report was evicted, none expired
    report = diagnose(server.url())
    doctor = doctor_rows(report, "memory.policy-queue", "memory.evictions")
    doctor = re.sub(r"\(\d+ keys since start", "(N keys since start", doctor)
    body = (
        "# wrote 3000 reports of 1 kB (no TTL) into maxmemory 2mb, allkeys-lru:\n"
        "EXISTS on each report -> N of 3000 are gone\n\n# redis-doctor:\n" + doctor
    )
    capture("symptom-memory-evictions", body, normalised="the number of evicted keys (N)")


def test_latency_high(redis_factory, capture):
    server = redis_factory()
    front = redis_factory.front(server, delay=0.04)
    report = diagnose(f"redis://127.0.0.1:{front.port}/0")
    doctor = re.sub(
        r"median PING \d+\.\d ms", "median PING N ms", doctor_rows(report, "latency.high")
    )
    capture("symptom-latency-high", doctor, normalised="the measured median (shown as N)")


def test_persistence_off(redis_server, capture):
    report = diagnose(redis_server.url())
    capture("symptom-persistence-off", doctor_rows(report, "persistence.off"))


# -- url ------------------------------------------------------------------------------

BAD_URLS = {
    "url.malformed": "redis://:pa@ss/word@red-xxxxx:6379/0",
    "url.missing-scheme": "red-xxxxx:6379",
    "url.unsupported-scheme": "valkey://red-xxxxx:6379/0",
    "url.missing-host": "redis://:6379/0",
    "url.invalid-port": "redis://red-xxxxx:99999/0",
    "url.invalid-db": "redis://red-xxxxx:6379/cache",
    "url.invalid-option": "rediss://red-xxxxx:6379/0?ssl_cert_reqs=None",
}
WARN_URLS = {
    "url.localhost": "redis://localhost:6379/0",
    "url.plaintext-remote": "redis://default:PASSWORD@redis.example.com:6379/0",
    "url.tls-verify-disabled": "rediss://default:PASSWORD@redis.example.com:6379?ssl_cert_reqs=none",
    "url.whitespace": "redis://red-xxxxx:6379/0\n",
    "url.password-unencoded": "redis://default:p@ss@red-xxxxx:6379/0",
    "url.option-string-truthy": "redis://red-xxxxx:6379/0?decode_responses=false",
    "url.clients-disagree": "redis://red-xxxxx:6379/0?db=5",
}


def test_url_errors_as_the_app_sees_them(monkeypatch, capture):
    from snippets.config.settings import RedisConfigError

    lines = []
    for check_id, url in BAD_URLS.items():
        monkeypatch.setenv("REDIS_URL", url)
        with pytest.raises(RedisConfigError) as error:
            make_client()
        assert error.value.check_id == check_id
        lines += [f"REDIS_URL={url}", f"  snippets.config.settings.RedisConfigError: {error.value}"]
    capture("symptom-url-errors", "\n".join(lines), offline=True)


def test_url_warnings_as_the_doctor_sees_them(capture):
    from snippets.config.url_inspect import inspect

    lines = []
    for check_id, url in WARN_URLS.items():
        result = inspect(url)
        assert check_id in result["findings"] and result["error"] is None
        lines.append(f"{url!r:75} -> {', '.join(result['findings'])}")
    capture("symptom-url-warnings", "\n".join(lines), offline=True)


def test_sentinel_port_instead_of_the_primary(redis_factory, monkeypatch, capture):
    group = redis_factory.sentinel()
    port = group.sentinels[0].port
    app = app_error(monkeypatch, f"redis://127.0.0.1:{port}/0")
    assert "unknown command" in app
    report = diagnose(f"redis://127.0.0.1:{port}/0")
    symptom(capture, "symptom-server-sentinel", app, doctor_rows(report, "server.sentinel"), port)


@pytest.mark.kinds("redis")
def test_client_certificate_required(redis_factory, monkeypatch, capture):
    tls = harness.TLSFiles.create()
    server = redis_factory(tls=tls, config=("tls-auth-clients yes",))
    url = server.url(query=f"ssl_ca_certs={tls.ca_cert}&{FAST}")
    app = app_error(monkeypatch, url)
    report = diagnose(url)
    doctor = doctor_rows(report, "tls.client-cert-required")
    # Whether the app is writing or reading, and whether the server's alert or its EOF
    # arrives first, varies from run to run: the capture keeps what does not.
    assert "CERTIFICATE_REQUIRED" in app or "EOF occurred" in app
    app = "redis.exceptions.ConnectionError: Error … socket … " + ALERT_OR_EOF
    doctor = re.sub(r"before any reply: .*\)$", f"before any reply: {ALERT_OR_EOF})", doctor)
    body = f"# the app (make_client):\n{app}\n\n# redis-doctor:\n{doctor}"
    note = "whether the app was reading or writing, and alert or EOF (both seen)"
    capture("symptom-tls-client-cert-required", body, normalised=note, prefer="redis")


ALERT_OR_EOF = (
    "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required"
    " | EOF occurred in violation of protocol"
)


def test_server_without_hello(redis_factory, monkeypatch, capture):
    server = redis_factory(  # as a pre-6 server answers; the echo would hold the password
        password=harness.random_password(), config=('rename-command HELLO ""',)
    )
    app = app_error(monkeypatch, server.url())
    assert "unknown command 'HELLO'" in app and "'AUTH' ***" in app
    assert server.password not in app
    report = diagnose(server.url())
    assert server.password not in report.table(cli.redactor_for({"REDIS_URL": server.url()}))
    symptom(capture, "symptom-server-no-hello", app, doctor_rows(report, "server.no-hello"))
