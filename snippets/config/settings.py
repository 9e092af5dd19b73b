"""Redis settings from the environment: REDIS_URL (Method 1) or REDIS_HOST & co (Method 2).

Shown on docs/setup/configuration.md. The precedence table on that page is generated from
``PRECEDENCE`` below, so the page and the code cannot disagree.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from snippets.checks import CHECKS
from snippets.config.redact import printable, redact, url_secrets
from snippets.config.url_inspect import describe, inspect, is_loopback

# Which variables are read, in order. The first source that is set wins; nothing is merged.
PRECEDENCE = (
    ("1", "REDIS_URL", "the whole URL: scheme, user, password, host, port, db, options"),
    (
        "2",
        "REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, REDIS_DB, REDIS_USERNAME",
        "individual parts (legacy); REDIS_HOST must be set for this method to apply",
    ),
    (
        "3",
        "(nothing set)",
        "redis://localhost:6379/0 — outside production only; "
        "with NODE_ENV=production (or APP_ENV) startup fails with config.missing",
    ),
)


class RedisConfigError(ValueError):
    """A configuration problem, with the check id the doctor and the docs use."""

    def __init__(self, check_id: str, detail: str = "") -> None:
        self.check_id = check_id
        message = CHECKS[check_id].summary + (f" ({detail})" if detail else "")
        super().__init__(f"{check_id}: {message}")


@dataclass(frozen=True)
class RedisSettings:
    """Where and how to connect. The password never appears in repr() or logs."""

    url: str = field(repr=False)  # the full URL, credentials included: pass it to redis-py only
    source: str  # "REDIS_URL", "REDIS_HOST" or "default"
    scheme: str
    host: str | None
    port: int | None
    db: int
    username: str | None = field(repr=False)  # may be a password pasted without ':'
    password_set: bool
    production: bool
    findings: tuple[str, ...] = ()  # warning ids, e.g. ("url.localhost",)

    @property
    def tls(self) -> bool:
        return self.scheme == "rediss"

    @property
    def target(self) -> str:
        """A printable description: scheme, user, host, port and db, password as ***."""
        username = self.username or ""
        if "url.password-as-username" in self.findings:
            username = "***"  # redis://SECRET@host: that "user name" is likely the password
        user = f"{username}:***@" if self.password_set else (f"{username}@" if username else "")
        where = f"{self.host}:{self.port}" if self.scheme != "unix" else (self.host or "")
        return printable(f"{self.scheme}://{user}{where}/{self.db}")




# --8<-- [start:load-settings]
def load_settings(env: Mapping[str, str] = os.environ) -> RedisSettings:
    """Resolve Redis settings exactly as the app does. Raises RedisConfigError."""
    # NODE_ENV is the Node app's convention (both languages read it); APP_ENV is an alias.
    marked = [n for n in ("NODE_ENV", "APP_ENV") if env.get(n, "").strip().lower() == "production"]
    production = bool(marked)
    if env.get("REDIS_URL", "").strip():
        url, source = env["REDIS_URL"], "REDIS_URL"
    elif env.get("REDIS_HOST", "").strip():
        url, source = _url_from_parts(env), "REDIS_HOST"
    elif production:
        raise RedisConfigError("config.missing", f"{marked[0]}=production and neither is set")
    else:
        url, source = "redis://localhost:6379/0", "default"

    parts = inspect(url)
    if parts["error"]:
        detail = describe(url, parts)  # names the culprit; redacted all the same
        detail = printable(redact(detail, url_secrets(url) | url_secrets(env.get("REDIS_URL"))))
        raise RedisConfigError(parts["error"], f"{source}: {detail}" if detail else source)
    # This resolver hands decoded parts to the client, in Python as in TypeScript: how a client
    # given the raw string would read it (url.clients-disagree) is the doctor's report.
    findings = tuple(f for f in parts["findings"] if f != "url.clients-disagree")
    if source == "REDIS_HOST":  # REDIS_USERNAME is a user name by definition
        findings = tuple(f for f in findings if f != "url.password-as-username")
        if any(env.get(n, "") != env.get(n, "").strip() for n in METHOD_2):
            findings += ("url.whitespace",)  # e.g. a newline pasted with REDIS_PASSWORD
    if production and parts["host"] and reaches_this_machine(parts["host"]):
        raise RedisConfigError("config.localhost-in-production", source)
    return RedisSettings(
        url="".join(url.split()),  # a newline pasted with a secret is not part of it
        source=source,
        scheme=parts["scheme"],
        host=parts["host"] or parts["path"],
        port=parts["port"],
        db=parts["db"],
        username=(env.get("REDIS_USERNAME", "").strip() or None)
        if source == "REDIS_HOST"  # a user name by definition: never masked
        else parts["username"],
        password_set=parts["password_set"],
        production=production,
        findings=findings,
    )


# --8<-- [end:load-settings]


METHOD_2 = ("REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_DB", "REDIS_USERNAME")


def reaches_this_machine(host: str) -> bool:
    """localhost in any spelling: localhost., *.localhost, 127.x, ::1, ::ffff:127.0.0.1,
    the unspecified addresses 0.0.0.0 and ::, and the legacy IPv4 forms (2130706433,
    0x7f000001, 127.1) that the C resolver still accepts."""
    name = host.lower().rstrip(".")
    if is_loopback(name) or name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.partition("%")[0])
    except ValueError:
        try:  # inet_aton: the forms getaddrinfo accepts for IPv4 (decimal, hex, octal, short)
            address = ipaddress.IPv4Address(socket.inet_aton(name))
        except (OSError, ValueError):
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def _url_from_parts(env: Mapping[str, str]) -> str:
    """Method 2: build the equivalent URL, percent-encoding user and password."""
    host = env["REDIS_HOST"].strip()
    port = env.get("REDIS_PORT", "6379").strip() or "6379"
    db = env.get("REDIS_DB", "0").strip() or "0"
    if not (port.isascii() and port.isdecimal() and len(port) <= 5 and 0 < int(port) < 65536):
        raise RedisConfigError("url.invalid-port", "REDIS_PORT")  # also "²", a digit to Python
    if not (db.isascii() and db.isdecimal() and len(db) <= 18):
        raise RedisConfigError("url.invalid-db", "REDIS_DB")
    user = quote(env.get("REDIS_USERNAME", "").strip(), safe="")
    password = quote(env.get("REDIS_PASSWORD", "").strip(), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = f"[{host}]" if ":" in host else host
    return f"redis://{auth}{host}:{port}/{db}"


if __name__ == "__main__":
    import sys

    try:
        settings = load_settings()
    except RedisConfigError as error:
        sys.exit(f"configuration error: {error}")
    print(f"{settings.target} (from {settings.source}; warnings: {list(settings.findings)})")
