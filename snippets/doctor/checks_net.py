"""Doctor steps 2-4: DNS, TCP, TLS and the first reply, on raw sockets with a timeout each.

Raw sockets, not redis-py, so that each failure keeps its real cause: a refused port, a
silent endpoint, an untrusted certificate and a server that speaks the other protocol look
alike once redis-py has wrapped them into ConnectionError. Shown on
docs/troubleshooting/doctor.md.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import stat
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from redis.connection import parse_url

from snippets.config.settings import RedisSettings
from snippets.doctor.report import Result, found

# X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
NAME_MISMATCH_CODES = {62, 64}
T = TypeVar("T")
# A step may include a probe after a failed read (is it plaintext? TLS?), each bounded by
# the timeout: so a step as a whole gets twice the timeout, and never more.
STEP = 2


# --8<-- [start:bounded]
class StepTimeout(Exception):
    """A whole step ran out of time (not one read: a server dripping a byte a second
    never trips a per-read timeout)."""


def bounded(step: Callable[[], T], seconds: float, on_timeout: Callable[[], object]) -> T:
    """Run ``step`` with a total deadline. When it passes, ``on_timeout`` shuts the step's
    sockets (so its thread ends soon) and StepTimeout is raised."""
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["value"] = step()
        except BaseException as error:  # handed to the caller below
            box["error"] = error

    worker = threading.Thread(target=work, daemon=True, name="doctor-step")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        on_timeout()
        raise StepTimeout(f"no complete answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def shut(sock: socket.socket | None) -> None:
    """End a blocked read from another thread: shut the descriptor down (not the TLS layer)."""
    try:
        if sock is not None:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


# --8<-- [end:bounded]


def _ms(start: float) -> str:
    return f"{(time.perf_counter() - start) * 1000:.1f} ms"


def check_dns(host: str, port: int, timeout: float) -> Result:
    """Resolve the host, bounded by ``timeout`` (getaddrinfo itself has no timeout)."""
    try:
        ipaddress.ip_address(host)
        return Result("net.dns", "pass", f"{host} is an IP address: nothing to resolve")
    except ValueError:
        pass
    try:  # what getaddrinfo does first: an empty or 64+ character label, U+202E … fail here
        host.encode("idna")
    except UnicodeError as error:
        return found("url.invalid-host", f"{host!r}: {error}")
    answer: dict[str, object] = {}

    def lookup() -> None:
        try:
            answer["ok"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            answer["error"] = error

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(timeout)
    if "ok" in answer:
        addresses = sorted({info[4][0] for info in answer["ok"]})  # type: ignore[union-attr]
        return Result("net.dns", "pass", f"{host} resolves to {', '.join(addresses)}")
    if "error" in answer:
        return found("net.dns", f"{host}: {answer['error']}")
    return found("net.dns", f"{host}: no answer within {timeout:g} s")




def open_tcp(settings: RedisSettings, timeout: float) -> tuple[socket.socket | None, Result]:
    """Open the TCP (or Unix socket) connection: refused and timeout are different fixes."""
    where = settings.host if settings.scheme == "unix" else f"{settings.host}:{settings.port}"
    start = time.perf_counter()
    try:
        if settings.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(settings.host or "")
            except OSError:
                sock.close()
                raise
        else:
            sock = socket.create_connection((settings.host, settings.port), timeout=timeout)
    except (ConnectionRefusedError, FileNotFoundError):
        return None, found("net.refused", where)
    except TimeoutError:
        return None, found("net.timeout", f"TCP connect to {where}: no answer in {timeout:g} s")
    except OSError as error:  # no route to host, network unreachable: a firewall or VPC
        return None, found("net.timeout", f"{where}: {error.strerror or error}")
    sock.settimeout(timeout)
    return sock, Result("net.refused", "pass", f"TCP connect to {where} in {_ms(start)}")




def tls_context(url: str) -> ssl.SSLContext:
    """The context redis-py builds for this URL: verification on unless the URL says not."""
    options = parse_url(url)
    for name in ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
        path = options.get(name)
        if path and not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block forever
            raise OSError(f"{name} is not a regular file: {path}")
    context = ssl.create_default_context(cafile=options.get("ssl_ca_certs"))
    if options.get("ssl_cert_reqs", "required") in ("none", "optional"):
        context.check_hostname = False
        if options.get("ssl_cert_reqs") == "none":
            context.verify_mode = ssl.CERT_NONE
    if options.get("ssl_check_hostname") is False:
        context.check_hostname = False
    if options.get("ssl_certfile"):  # a client certificate, for tls-auth-clients servers
        context.load_cert_chain(options["ssl_certfile"], options.get("ssl_keyfile"))
    return context


def open_tls(
    sock: socket.socket, settings: RedisSettings, timeout: float
) -> tuple[ssl.SSLSocket | None, Result]:
    """TLS handshake; a plaintext server on this port shows up as a failed handshake."""
    try:
        context = tls_context(settings.url)
    except (OSError, ssl.SSLError) as error:  # ssl_ca_certs / ssl_certfile unreadable
        sock.close()
        return None, found("url.invalid-option", f"TLS files in the URL: {error}")
    start = time.perf_counter()
    try:
        tls = context.wrap_socket(sock, server_hostname=settings.host)
    except ssl.SSLCertVerificationError as error:
        sock.close()
        check_id = (
            "tls.hostname-mismatch"
            if error.verify_code in NAME_MISMATCH_CODES
            else "tls.verify-failed"
        )
        return None, found(check_id, error.verify_message)
    except (OSError, ssl.SSLError) as error:
        sock.close()
        if speaks_plaintext(settings, timeout):
            return None, found("tls.unexpected", f"handshake failed: {error}")
        if isinstance(error, TimeoutError):
            return None, found("net.timeout", f"no TLS handshake within {timeout:g} s")
        return None, found("tls.unexpected", f"handshake failed: {error}")
    verified = context.verify_mode == ssl.CERT_REQUIRED
    how = "certificate verified" if verified else "certificate NOT verified"
    name = f" for {settings.host}" if context.check_hostname else ""
    summary = f"{tls.version()} in {_ms(start)}, {how}{name}"
    return tls, Result("tls.verify-failed", "pass", summary)




def speaks_plaintext(settings: RedisSettings, timeout: float) -> bool:
    """Does this port answer a plaintext PING with a Redis reply?"""
    try:
        with socket.create_connection((settings.host, settings.port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"PING\r\n")
            return s.recv(1)[:1] in (b"+", b"-")
    except OSError:
        return False


def speaks_tls(settings: RedisSettings, timeout: float) -> bool:
    """Does this port complete a TLS handshake (certificate not checked: only the protocol)?"""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        raw = socket.create_connection((settings.host, settings.port), timeout=timeout)
        with raw, context.wrap_socket(raw, server_hostname=settings.host):
            return True
    except (OSError, ssl.SSLError):
        return False


def read_line(sock: socket.socket) -> bytes:
    """Bytes up to the first CRLF (or whatever arrived before the server closed)."""
    data, chunk = b"", b"?"
    while chunk and b"\r\n" not in data and len(data) < 4096:
        chunk = sock.recv(4096)  # b"" once the server has closed
        data += chunk
    return data.split(b"\r\n", 1)[0]


def first_reply(
    sock: socket.socket, settings: RedisSettings, timeout: float
) -> tuple[str | None, Result | None]:
    """Send PING before any AUTH and read what the server says first.

    Refusals arrive here, before authentication: protected mode (-DENIED), the connection
    limit (-ERR max number of clients reached), an allow list (-AUTH failed: …). Returns
    (reply, None) when the server answered like Redis, else (None, failing row).
    """
    try:
        sock.sendall(b"PING\r\n")
        line = read_line(sock).decode("utf-8", "replace")
    except TimeoutError:
        return None, found("net.timeout", f"connected, but no reply to PING in {timeout:g} s")
    except ssl.SSLError as error:  # TLS 1.3: the server checks client certificates now
        detail = f"the server ended the TLS session before any reply: {error}"
        return None, found("tls.client-cert-required", detail)
    except OSError as error:  # reset by peer
        line = f"<{error.strerror or error}>"
    finally:
        sock.close()
    if line.startswith("-DENIED"):
        return None, found("server.protected-mode", line[1:].split(". ")[0])
    if "max number of clients" in line or "max concurrent connections" in line:
        return None, found("server.maxclients", f"refused: {line[1:]}")
    if "allowlist" in line.lower() or "allow list" in line.lower():
        return None, found("auth.allowlist", line[1:])
    if line[:1] in ("+", "-"):
        return line, None
    if not settings.tls and speaks_tls(settings, timeout):
        return None, found("tls.required", "this port answered a TLS handshake")
    answer = repr(line[:40]) if line else "nothing"
    return None, found("net.closed", f"sent PING, got {answer}")




def check_network(
    settings: RedisSettings, timeout: float, progress=print
) -> tuple[str | None, list[Result]]:
    """DNS → TCP → TLS → first reply. Returns (first reply, rows); reply None on failure."""
    results: list[Result] = []
    if settings.scheme != "unix":
        progress("resolving the host name (net.dns)")
        results.append(check_dns(settings.host or "", settings.port or 6379, timeout))
        if results[-1].status == "fail":
            return None, results
    where = settings.host if settings.scheme == "unix" else f"{settings.host}:{settings.port}"
    progress("opening a TCP connection (net.refused, net.timeout)")
    opened: list[socket.socket] = []  # what a step that ran out of time must shut
    limit = STEP * timeout  # a whole step, however slowly its bytes drip in

    def abandon() -> None:
        for sock in opened:
            shut(sock)

    def keep(pair: tuple[socket.socket | None, Result]) -> tuple[socket.socket | None, Result]:
        if pair[0] is not None:
            opened.append(pair[0])
        return pair

    try:  # every address of the name, each with its own timeout: bounded as a whole
        sock, result = bounded(lambda: keep(open_tcp(settings, timeout)), limit, abandon)
    except StepTimeout:
        results.append(found("net.timeout", f"TCP connect to {where}: no answer in {timeout:g} s"))
        return None, results
    results.append(result)
    if sock is None:
        return None, results
    if settings.tls:
        progress("TLS handshake (tls.*)")
        raw = sock
        try:  # a server dripping handshake bytes, a FIFO as ssl_ca_certs: bounded too
            sock, result = bounded(lambda: keep(open_tls(raw, settings, timeout)), limit, abandon)
        except StepTimeout:
            raw.close()
            results.append(found("net.timeout", f"no TLS handshake within {timeout:g} s"))
            return None, results
        results.append(result)
        if sock is None:
            return None, results
    progress("first reply to PING (tls.required, server.protected-mode, auth.allowlist)")
    try:
        reply, failure = bounded(lambda: first_reply(sock, settings, timeout), limit, abandon)
    except StepTimeout:
        sock.close()
        detail = f"connected, but no reply to PING in {timeout:g} s"
        return None, [*results, found("net.timeout", detail)]
    if failure is not None:
        results.append(failure)
    elif not settings.tls:
        results.append(Result("tls.required", "pass", "the server speaks plaintext Redis here"))
    return reply, results


if __name__ == "__main__":
    from snippets.config.settings import load_settings

    reply, rows = check_network(load_settings(), timeout=5.0)
    for row in rows:
        print(f"{row.status:4}  {row.id:24} {row.summary}")
    print("first reply:", reply)
