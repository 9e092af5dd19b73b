"""snippets/doctor/checks_net.py: DNS, TCP, TLS and the first reply against real endpoints."""

from __future__ import annotations

import os
import socket
import time

import pytest

from snippets.config.settings import load_settings
from snippets.doctor import checks_net
from tests.demos import run_demo
from tests.doctor.helpers import diagnose, failing, statuses
from tools import harness

ALLOWLIST_REPLY = b"-AUTH failed: Client IP address is not in the allowlist\r\n"


def test_dns_failure_for_an_invalid_name(redis_server):
    report = diagnose(f"redis://redis.pharmacare.invalid:{redis_server.port}/0")
    assert failing(report) == ["net.dns"]
    assert statuses(report)["url.plaintext-remote"] == "warn"
    assert "redis.pharmacare.invalid" in report.checks[-1].summary


def test_dns_pass_for_a_name(redis_server):
    report = diagnose(f"redis://localhost:{redis_server.port}/0")
    dns = next(r for r in report.checks if r.id == "net.dns")
    assert dns.status == "pass" and "localhost resolves to" in dns.summary
    assert report.ok


def test_dns_lookup_is_bounded(monkeypatch):
    def hanging_resolver(*args, **kwargs):
        time.sleep(2)
        raise OSError("too late")

    monkeypatch.setattr(socket, "getaddrinfo", hanging_resolver)
    start = time.monotonic()
    result = checks_net.check_dns("slow.pharmacare.invalid", 6379, timeout=0.2)
    assert time.monotonic() - start < 1.5
    assert (result.id, result.status) == ("net.dns", "fail")
    assert "no answer within 0.2 s" in result.summary


def test_refused(redis_factory):
    closed = redis_factory.closed_port()
    report = diagnose(f"redis://127.0.0.1:{closed.port}/0")
    assert failing(report) == ["net.refused"]


def test_refused_on_a_missing_unix_socket(tmp_path):
    report = diagnose(f"unix://{tmp_path}/redis.sock")
    assert failing(report) == ["net.refused"]
    assert "net.dns" not in statuses(report)


def test_unix_socket_works(redis_factory, tmp_path):
    path = tmp_path / "redis.sock"
    redis_factory(config=(f"unixsocket {path}", "unixsocketperm 700"))
    report = diagnose(f"unix://{path}")
    assert report.ok, report.checks
    assert statuses(report)["net.refused"] == "pass"


def test_silent_endpoint_times_out(redis_factory):
    silent = redis_factory.silent_endpoint()
    start = time.monotonic()
    report = diagnose(f"redis://127.0.0.1:{silent.port}/0", timeout=0.5)
    assert time.monotonic() - start < 5
    assert failing(report) == ["net.timeout"]
    assert "no reply to PING" in report.checks[-1].summary


def test_tcp_connect_timeout_and_unreachable(monkeypatch, redis_server):
    settings = load_settings({"REDIS_URL": redis_server.url()})

    def connect(error):
        def fail(*args, **kwargs):
            raise error

        return fail

    monkeypatch.setattr(socket, "create_connection", connect(TimeoutError()))
    assert checks_net.open_tcp(settings, 0.1)[1].id == "net.timeout"
    monkeypatch.setattr(socket, "create_connection", connect(OSError(113, "No route to host")))
    sock, result = checks_net.open_tcp(settings, 0.1)
    assert sock is None and result.id == "net.timeout" and "No route to host" in result.summary


def test_tls_verify_failed_without_the_ca(redis_factory):
    server = redis_factory(tls=harness.TLSFiles.create())
    report = diagnose(server.url())  # rediss://, system CAs only: the test CA is unknown
    assert failing(report) == ["tls.verify-failed"]
    assert "self-signed" in report.checks[-1].summary or "issuer" in report.checks[-1].summary


def test_tls_ok_with_the_ca(redis_factory):
    tls = harness.TLSFiles.create()
    server = redis_factory(tls=tls)
    report = diagnose(server.url(query=f"ssl_ca_certs={tls.ca_cert}"))
    assert report.ok, report.checks
    row = next(r for r in report.checks if r.id == "tls.verify-failed")
    assert row.status == "pass" and "certificate verified for 127.0.0.1" in row.summary


def test_tls_unverified_is_reported_as_such(redis_factory):
    server = redis_factory(tls=harness.TLSFiles.create())
    report = diagnose(server.url(query="ssl_cert_reqs=none"))
    assert report.ok
    assert statuses(report)["url.tls-verify-disabled"] == "warn"
    row = next(r for r in report.checks if r.id == "tls.verify-failed")
    assert "NOT verified" in row.summary


def test_tls_hostname_mismatch(redis_factory):
    tls = harness.TLSFiles.create("redis.other.example")
    server = redis_factory(tls=tls)
    report = diagnose(server.url(query=f"ssl_ca_certs={tls.ca_cert}"))
    assert failing(report) == ["tls.hostname-mismatch"]
    report = diagnose(server.url(host="localhost", query=f"ssl_ca_certs={tls.ca_cert}"))
    assert failing(report) == ["tls.hostname-mismatch"]
    unchecked = f"ssl_ca_certs={tls.ca_cert}&ssl_check_hostname=false"
    report = diagnose(server.url(query=unchecked))
    assert report.ok and statuses(report)["url.tls-verify-disabled"] == "warn"


def test_tls_client_on_a_plaintext_port(redis_server):
    report = diagnose(redis_server.url(tls=False).replace("redis://", "rediss://"))
    assert failing(report) == ["tls.unexpected"]


def test_tls_client_on_something_else(redis_factory):
    server = redis_factory()
    silent = redis_factory.silent_endpoint()
    settings = load_settings({"REDIS_URL": f"rediss://127.0.0.1:{silent.port}/0"})
    sock, _ = checks_net.open_tcp(settings, 0.3)
    assert checks_net.open_tls(sock, settings, 0.3)[1].id == "net.timeout"
    garbage = redis_factory.front(server, reply=b"HTTP/1.1 400 Bad Request\r\n\r\n")
    settings = load_settings({"REDIS_URL": f"rediss://127.0.0.1:{garbage.port}/0"})
    sock, _ = checks_net.open_tcp(settings, 0.5)
    result = checks_net.open_tls(sock, settings, 0.5)[1]
    assert result.id == "tls.unexpected" and "handshake failed" in result.summary


def test_plaintext_client_on_a_tls_port(redis_factory):
    server = redis_factory(tls=harness.TLSFiles.create())
    report = diagnose(f"redis://127.0.0.1:{server.tls_port}/0")
    assert failing(report) == ["tls.required"]


def test_something_that_is_not_redis(redis_factory):
    server = redis_factory()
    http = redis_factory.front(server, reply=b"HTTP/1.1 400 Bad Request\r\n\r\n")
    report = diagnose(f"redis://127.0.0.1:{http.port}/0")
    assert failing(report) == ["net.closed"]
    assert "HTTP/1.1 400" in report.checks[-1].summary
    gone = redis_factory()
    hangup = redis_factory.front(gone)  # accepts, then closes: its backend is dead
    gone.kill9()
    report = diagnose(f"redis://127.0.0.1:{hangup.port}/0")
    assert failing(report) == ["net.closed"] and "sent PING, got" in report.checks[-1].summary


def test_allowlist_refusal(redis_factory):
    server = redis_factory()
    front = redis_factory.front(server, reply=ALLOWLIST_REPLY)
    report = diagnose(f"redis://127.0.0.1:{front.port}/0")
    assert failing(report) == ["auth.allowlist"]
    assert "not in the allowlist" in report.checks[-1].summary


def test_maxclients_refusal(redis_factory):
    server = redis_factory(maxclients=2)
    held = [server.admin(), server.admin()]
    for client in held:
        client.ping()
    report = diagnose(server.url())
    assert failing(report) == ["server.maxclients"]
    assert "max number of clients reached" in report.checks[-1].summary
    for client in held:
        client.close()


@pytest.mark.kinds("redis")
def test_protected_mode_denied(redis_factory):
    server = redis_factory(bind="127.0.0.1 127.0.0.2")
    front = harness.SourceFront("127.0.0.2", server.port, source="127.0.0.2").start()
    try:
        report = diagnose(f"redis://127.0.0.1:{front.port}/0")
    finally:
        front.stop()
    assert failing(report) == ["server.protected-mode"]
    assert report.checks[-1].summary.endswith("no password is set for the default user)")


def test_reset_during_first_reply(redis_server):
    settings = load_settings({"REDIS_URL": redis_server.url()})
    sock, _ = checks_net.open_tcp(settings, 1.0)
    sock.close()  # sending on a closed socket: the OSError path
    reply, result = checks_net.first_reply(sock, settings, 1.0)
    assert reply is None and result.id == "net.closed"


def test_demo_runs(redis_server):
    env = {**os.environ, "REDIS_URL": redis_server.url()}
    out = run_demo("snippets.doctor.checks_net", env=env, check=True)
    assert "first reply: +PONG" in out.stdout


@pytest.mark.kinds("redis")  # the Valkey kind's TLS is a harness front without client auth
def test_client_certificate_required(redis_factory):
    tls = harness.TLSFiles.create()
    server = redis_factory(tls=tls, config=("tls-auth-clients yes",))
    report = diagnose(server.url(query=f"ssl_ca_certs={tls.ca_cert}"))
    assert failing(report) == ["tls.client-cert-required"]
    with_cert = f"ssl_ca_certs={tls.ca_cert}&ssl_certfile={tls.cert}&ssl_keyfile={tls.key}"
    report = diagnose(server.url(query=with_cert))
    assert report.ok, report.checks


def test_provider_connection_limit_text(redis_factory):
    """Upstash's wording of the same refusal."""
    server = redis_factory()
    front = redis_factory.front(server, reply=b"-ERR max concurrent connections exceeded\r\n")
    report = diagnose(f"redis://127.0.0.1:{front.port}/0")
    assert failing(report) == ["server.maxclients"]


def test_missing_ca_file_in_the_url(redis_factory, tmp_path):
    server = redis_factory(tls=harness.TLSFiles.create())
    report = diagnose(server.url(query=f"ssl_ca_certs={tmp_path}/no-such-ca.pem"))
    assert failing(report) == ["url.invalid-option"]
    assert "No such file" in report.checks[-1].summary


def test_ipv6_loopback(redis_server):
    report = diagnose(redis_server.url(host="::1"))
    assert report.ok, report.checks
    assert "TCP connect to ::1:" in next(r.summary for r in report.checks if r.id == "net.refused")
