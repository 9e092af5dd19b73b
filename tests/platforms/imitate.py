"""Helpers for the platform imitations: read the shown files, point their URLs at loopback.

An imitation keeps everything in a platform's URL (scheme, user, TLS mode, db, query) and
replaces only the host and port (and the PASSWORD placeholder) with the local server's.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from urllib.parse import quote

import redis

from tools import harness
from tools.harness.session import PATIENCE
from tools.paths import ROOT

PLATFORMS = ROOT / "snippets" / "platforms"
PLACEHOLDER_PASSWORD = "PASSWORD"


def read_env(name: str) -> dict[str, str]:
    """KEY=VALUE lines of snippets/platforms/<name> (comments and blanks skipped)."""
    values = {}
    for line in (PLATFORMS / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", key), f"{name}: bad line {line!r}"
        values[key] = value
    return values


def localize(url: str, port: int, *, password: str | None = None, host: str = "127.0.0.1") -> str:
    """The platform URL with host:port replaced by a loopback endpoint, PASSWORD filled in."""
    scheme, rest = url.split("://", 1)
    authority, slash, tail = rest.partition("/")
    if "?" in authority:  # no path: rediss://…:6379?opt=…
        authority, _, query = authority.partition("?")
        tail, slash = "?" + query, ""
    userinfo, at, _hostport = authority.rpartition("@")
    if password is not None:
        userinfo = userinfo.replace(PLACEHOLDER_PASSWORD, quote(password, safe=""))
    hostpart = f"[{host}]" if ":" in host else host
    return f"{scheme}://{userinfo}{at}{hostpart}:{port}{slash}{tail}"


def self_signed(*names: str) -> harness.TLSFiles:
    """A TLS identity whose certificate signs itself (Heroku's kind): no CA can vouch for it."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    names = names or ("127.0.0.1",)
    directory = harness.new_dir("selfsigned-")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imitation")])
    sans = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return harness.TLSFiles(cert_path, cert_path, key_path, names)


def error_line(error: BaseException) -> str:
    """How the error reads in a traceback's last line."""
    cls = type(error)
    return f"{cls.__module__}.{cls.__qualname__}: {error}"


def normalise(text: str, ports: dict[int, int | str]) -> str:
    """Replace each local port with the platform's (or a placeholder)."""
    for local, shown in ports.items():
        text = re.sub(rf"(?<=:){local}\b", str(shown), text)
    return text


def run_module(
    module: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess:
    """``python -m module`` with exactly the app's variables plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REDIS_")}
    clean.pop("APP_ENV", None)
    clean.pop("SSL_CERT_FILE", None)
    return subprocess.run(
        [sys.executable, "-m", module],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout * PATIENCE,
    )


def first_error(client: redis.Redis) -> BaseException:
    """The exception a PING raises (the test asserts there is one)."""
    try:
        client.ping()
    except Exception as error:
        return error
    raise AssertionError("PING succeeded, but the imitation should have refused it")
