"""The catalogue of check ids: default status, what it means, where the docs explain it.

One table used by the configuration resolver, the URL inspector, the doctor and the site
(the troubleshooting index is generated from it). Ids are a public contract: add, never rename.
A check's docs anchor is its id with "." replaced by "-", on the page of its group
(``troubleshooting/<group>/``).
"""

from __future__ import annotations

import os
from typing import NamedTuple

DEFAULT_DOCS_BASE_URL = "https://pharmacare-redis-guide.netlify.app/latest/"


class Check(NamedTuple):
    status: str  # default status when found: "fail" or "warn"
    summary: str  # one line a person can act on


CHECKS: dict[str, Check] = {
    # -- configuration and URL errors
    "url.malformed": Check("fail", "the Redis URL cannot be parsed; check for pasted extra text"),
    "url.missing-scheme": Check(
        "fail", "the URL has no scheme; write redis://HOST:PORT (or rediss:// for TLS)"
    ),
    "url.unsupported-scheme": Check(
        "fail", "use redis://, rediss:// (TLS) or unix://; redis-py rejects valkey:// and others"
    ),
    "url.missing-host": Check("fail", "the URL names no host (or socket path)"),
    "url.invalid-port": Check("fail", "the port must be a number from 1 to 65535"),
    "url.invalid-db": Check("fail", "the database must be a whole number such as /0"),
    "url.invalid-option": Check(
        "fail", "a query option is unknown to redis-py or has a value it rejects"
    ),
    "config.missing": Check(
        "fail",
        "no Redis configured: set REDIS_URL (or REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, REDIS_DB)",
    ),
    # -- connection errors
    "net.dns": Check("fail", "the host name does not resolve from here"),
    "net.refused": Check("fail", "nothing is listening at that host and port"),
    "net.timeout": Check("fail", "the endpoint did not answer in time"),
    "net.closed": Check(
        "fail", "the server closed the connection (or answered) without speaking Redis"
    ),
    "tls.required": Check("fail", "the server expects TLS: use rediss://"),
    "tls.unexpected": Check("fail", "the server does not speak TLS on this port: use redis://"),
    "tls.verify-failed": Check("fail", "the server's certificate is not trusted by this client"),
    "tls.hostname-mismatch": Check("fail", "the certificate is not valid for this host name"),
    "auth.required": Check("fail", "the server requires a password and none was sent"),
    "auth.wrongpass": Check("fail", "the user name or password is wrong (or the user is off)"),
    "auth.allowlist": Check("fail", "this client's IP address is not on the allow list"),
    "server.maxclients": Check("fail", "the server is at (or near) its connection limit"),
    "server.protected-mode": Check(
        "fail", "protected mode refuses non-loopback clients without a password"
    ),
    "cluster.moved": Check("fail", "this is a cluster: connect with RedisCluster"),
    "memory.oom": Check("fail", "the server is at maxmemory and refuses writes"),
    # -- warnings
    "url.localhost": Check("warn", "the URL points at this machine (localhost)"),
    "url.plaintext-remote": Check("warn", "plaintext redis:// to a public host: use rediss://"),
    "url.tls-verify-disabled": Check("warn", "TLS certificate verification is turned off"),
    "url.whitespace": Check("warn", "spaces or line breaks were pasted with the value"),
    "url.password-unencoded": Check(
        "warn", "the password has @, /, ? or # unencoded: percent-encode it (%40, %2F, %3F, %23)"
    ),
    "url.option-string-truthy": Check(
        "warn", "a boolean option in the URL arrives as a string, so 'False' means true"
    ),
    "config.localhost-in-production": Check(
        "warn",
        "production is configured to use localhost; REDIS_URL probably did not reach the app",
    ),
    "auth.not-required": Check(
        "warn", "the server has no password: anyone who reaches the port can use it"
    ),
    "auth.noperm": Check("warn", "the user may not run this command (ACL)"),
    "memory.pressure": Check("warn", "memory use is above 80 % of maxmemory"),
    "memory.policy-queue": Check(
        "warn", "maxmemory-policy is not noeviction, so queued jobs can be evicted"
    ),
    "memory.evictions": Check("warn", "the server has evicted keys"),
    "persistence.off": Check("warn", "neither AOF nor RDB is on: a restart loses all data"),
    "latency.high": Check("warn", "PING round trips are slow"),
}


def docs_path(check_id: str) -> str:
    """Site-relative docs path for a check id, e.g. ``troubleshooting/tls/#tls-verify-failed``."""
    group = check_id.split(".", 1)[0]
    return f"troubleshooting/{group}/#{check_id.replace('.', '-')}"


def docs_url(check_id: str) -> str:
    """Absolute docs link, joined to ``DOCS_BASE_URL`` (default: the published latest)."""
    base = os.environ.get("DOCS_BASE_URL", DEFAULT_DOCS_BASE_URL)
    return base.rstrip("/") + "/" + docs_path(check_id)


if __name__ == "__main__":
    for check_id, check in CHECKS.items():
        print(f"{check.status:4}  {check_id:32} {docs_path(check_id)}")
