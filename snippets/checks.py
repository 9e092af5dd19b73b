"""The catalogue of check ids: default status, what it means, where the docs explain it.

One table (checks.json) used by the configuration resolver, the URL inspector, both doctors
(Python and Node) and the site (the troubleshooting index renders SYMPTOMS below through the
``symptom_table`` macro). Ids are a public contract: add, never rename. A check's docs anchor
is its id with "." replaced by "-", on the page of its group (``troubleshooting/<group>/``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple


class Check(NamedTuple):
    status: str  # default status when found: "fail" or "warn"
    summary: str  # one line a person can act on


# The catalogue lives in checks.json beside this file, so that the Node doctor
# (snippets/doctor/redis-doctor.mjs, which embeds a copy: tools/embed_catalogue.py) reads
# exactly the same ids, statuses and summaries.
CATALOGUE_FILE = Path(__file__).with_name("checks.json")
CATALOGUE = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
CHECKS: dict[str, Check] = {
    check_id: Check(entry["status"], entry["summary"])
    for check_id, entry in CATALOGUE["checks"].items()
}
DEFAULT_DOCS_BASE_URL: str = CATALOGUE["docs_base_url"]


class Symptom(NamedTuple):
    seen: str  # what you see (an error line, a behaviour)
    cause: str  # the likely cause
    check: str  # the doctor's check id, or "" when only the app can see it
    section: str  # the fix: page#anchor under troubleshooting/


# The troubleshooting index's table, in the order people meet the problems.
SYMPTOMS: tuple[Symptom, ...] = (
    Symptom(
        "`Connection refused` to `localhost:6379` right after a deploy "
        "(Node: `ECONNREFUSED 127.0.0.1:6379`)",
        "`REDIS_URL` is not set for this service, so the client used its default",
        "net.refused",
        "net.md#net-refused",
    ),
    Symptom(
        "`Timeout connecting to server`, `Timeout reading from socket`",
        "a private (internal) URL used from outside its network, a firewall, a stopped instance",
        "net.timeout",
        "net.md#net-timeout",
    ),
    Symptom(
        "`Name or service not known`, `getaddrinfo ENOTFOUND`",
        "a typo in the host, or an internal host name used outside its private network",
        "net.dns",
        "net.md#net-dns",
    ),
    Symptom(
        "`Protocol Error`, `Connection closed by server`",
        "something other than Redis answers on that port",
        "net.closed",
        "net.md#net-closed",
    ),
    Symptom(
        "`Authentication required.` (`NOAUTH`)",
        "the URL has no password",
        "auth.required",
        "auth.md#auth-required",
    ),
    Symptom(
        "`invalid username-password pair or user is disabled.` (`WRONGPASS`)",
        "a wrong, old or rotated password, or the wrong user",
        "auth.wrongpass",
        "auth.md#auth-wrongpass",
    ),
    Symptom(
        "`NoPermissionError: User … has no permissions to run the '…' command` (`NOPERM`)",
        "the ACL user lacks a command or key pattern",
        "auth.noperm",
        "auth.md#auth-noperm",
    ),
    Symptom(
        "`AUTH failed: Client IP address is not in the allowlist`",
        "Render: the caller's IP is not on the instance's allow list",
        "auth.allowlist",
        "auth.md#auth-allowlist",
    ),
    Symptom(
        "the app connects with any password at all",
        "the server has no password set",
        "auth.not-required",
        "auth.md#auth-not-required",
    ),
    Symptom(
        "`certificate verify failed: self-signed certificate in certificate chain`",
        "the server's CA is not trusted by the client",
        "tls.verify-failed",
        "tls.md#tls-verify-failed",
    ),
    Symptom(
        "`certificate is not valid for '…'`, `Hostname mismatch`",
        "the URL's host is not a name on the certificate",
        "tls.hostname-mismatch",
        "tls.md#tls-hostname-mismatch",
    ),
    Symptom(
        "`Connection reset by peer` with `redis://`",
        "a plaintext client on a TLS port",
        "tls.required",
        "tls.md#tls-required",
    ),
    Symptom(
        "`Timeout connecting to server` with `rediss://`",
        "a TLS client on a plaintext port",
        "tls.unexpected",
        "tls.md#tls-unexpected",
    ),
    Symptom(
        "`OutOfMemoryError: command not allowed when used memory > 'maxmemory'.`",
        "memory full and `maxmemory-policy noeviction`",
        "memory.oom",
        "memory.md#memory-oom",
    ),
    Symptom(
        "cache keys vanish before their TTL; jobs disappear",
        "the server evicts keys under memory pressure",
        "memory.evictions",
        "memory.md#memory-evictions",
    ),
    Symptom(
        "jobs lost while the cache looked healthy",
        "an evicting `maxmemory-policy` on the instance that holds queues",
        "memory.policy-queue",
        "memory.md#memory-policy-queue",
    ),
    Symptom(
        "memory graph close to the plan's limit",
        "data grows toward `maxmemory`",
        "memory.pressure",
        "memory.md#memory-pressure",
    ),
    Symptom(
        "`max number of clients reached`",
        "every connection slot is taken",
        "server.maxclients",
        "server.md#server-maxclients",
    ),
    Symptom(
        "`No connection available.`",
        "the app's own pool is exhausted (all its connections busy)",
        "",
        "server.md#pool-exhausted",
    ),
    Symptom(
        "`DENIED Redis is running in protected mode`",
        "a self-hosted Redis without a password reached from another machine",
        "server.protected-mode",
        "server.md#server-protected-mode",
    ),
    Symptom(
        "`EOF occurred in violation of protocol` with `rediss://` to a self-hosted server",
        "a self-hosted TLS Redis with `tls-auth-clients yes` (its default)",
        "tls.client-cert-required",
        "tls.md#tls-client-cert-required",
    ),
    Symptom(
        "`unknown command 'HELLO'` on every command",
        "redis-py 8 starts with `HELLO 3`; the server is older than Redis 6 or a proxy",
        "server.no-hello",
        "server.md#server-no-hello",
    ),
    Symptom(
        "`unknown command 'SET'`, although `PING` works",
        "`REDIS_URL` points at a Sentinel (port 26379), not at the data node",
        "server.sentinel",
        "server.md#server-sentinel",
    ),
    Symptom(
        "`MovedError: 15079 10.0.0.12:6379` (`MOVED`)",
        "the endpoint is a cluster; a plain client was used",
        "cluster.moved",
        "cluster.md#cluster-moved",
    ),
    Symptom(
        "slow pages, timeouts under load",
        "round trips to Redis are slow (another region, the external URL)",
        "latency.high",
        "latency.md#latency-high",
    ),
    Symptom(
        "all keys gone after a restart",
        "neither AOF nor RDB is on",
        "persistence.off",
        "persistence.md#persistence-off",
    ),
    Symptom(
        "startup fails: `config.missing`",
        "production with neither `REDIS_URL` nor `REDIS_HOST`",
        "config.missing",
        "config.md#config-missing",
    ),
    Symptom(
        "startup fails: `config.localhost-in-production`",
        "production points at localhost: the variable did not reach the app",
        "config.localhost-in-production",
        "config.md#config-localhost-in-production",
    ),
    Symptom(
        "startup fails: `url.malformed`",
        "extra text pasted, or an unencoded `@/?#` in the password",
        "url.malformed",
        "url.md#url-malformed",
    ),
    Symptom(
        "startup fails: `url.missing-scheme`",
        "`host:6379` without `redis://`",
        "url.missing-scheme",
        "url.md#url-missing-scheme",
    ),
    Symptom(
        "startup fails: `url.unsupported-scheme`",
        "`valkey://`, `http://` or a typo",
        "url.unsupported-scheme",
        "url.md#url-unsupported-scheme",
    ),
    Symptom(
        "startup fails: `url.missing-host`",
        "`redis://:6379`",
        "url.missing-host",
        "url.md#url-missing-host",
    ),
    Symptom(
        "startup fails: `url.invalid-port`",
        "a port outside 1–65535 or not a number",
        "url.invalid-port",
        "url.md#url-invalid-port",
    ),
    Symptom(
        "startup fails: `url.invalid-db`",
        "a database that is not a number",
        "url.invalid-db",
        "url.md#url-invalid-db",
    ),
    Symptom(
        "startup fails: `url.invalid-option`",
        "an unknown or invalid query option such as `ssl_cert_reqs=None`",
        "url.invalid-option",
        "url.md#url-invalid-option",
    ),
    Symptom(
        "doctor warning `url.localhost`",
        "the URL points at this machine",
        "url.localhost",
        "url.md#url-localhost",
    ),
    Symptom(
        "doctor warning `url.plaintext-remote`",
        "`redis://` to a public host",
        "url.plaintext-remote",
        "url.md#url-plaintext-remote",
    ),
    Symptom(
        "doctor warning `url.tls-verify-disabled`",
        "`ssl_cert_reqs=none` or `ssl_check_hostname=false`",
        "url.tls-verify-disabled",
        "url.md#url-tls-verify-disabled",
    ),
    Symptom(
        "doctor warning `url.whitespace`",
        "a space or newline pasted with the value",
        "url.whitespace",
        "url.md#url-whitespace",
    ),
    Symptom(
        "doctor warning `url.password-unencoded`",
        "`@`, `/`, `?` or `#` in the password",
        "url.password-unencoded",
        "url.md#url-password-unencoded",
    ),
    Symptom(
        "doctor warning `url.password-as-username`; `WRONGPASS` with a URL that looks right",
        "`redis://PASSWORD@host`: without `:` the password is read as a user name",
        "url.password-as-username",
        "url.md#url-password-as-username",
    ),
    Symptom(
        "doctor failure `url.invalid-host`",
        "a host name with an empty label (`a..b`), a label over 63 characters, or characters "
        "such as U+202E that no DNS name can hold",
        "url.invalid-host",
        "url.md#url-invalid-host",
    ),
    Symptom(
        "startup fails: `config.invalid-switch`",
        "`DISABLE_BACKGROUND_JOBS` or `CACHE_PROVIDER` holds a value outside the accepted list",
        "config.invalid-switch",
        "config.md#config-invalid-switch",
    ),
    Symptom(
        "doctor warning `url.option-string-truthy`",
        "`decode_responses=false` in the URL still means true",
        "url.option-string-truthy",
        "url.md#url-option-string-truthy",
    ),
    Symptom(
        "doctor `url.clients-disagree`",
        "a Node app and a Python worker read one `REDIS_URL` differently",
        "url.clients-disagree",
        "url.md#url-clients-disagree",
    ),
    Symptom("not connecting after a deployment", "see the checklist", "", "after-deploy.md"),
    Symptom(
        "a password leaked or must be rotated", "follow the procedure", "", "password-rotation.md"
    ),
)


def symptom_table() -> str:
    """The troubleshooting index's table (Markdown), links relative to troubleshooting/."""
    rows = ["| What you see | Likely cause | Check | Fix |", "|---|---|---|---|"]
    for s in SYMPTOMS:
        check = f"`{s.check}`" if s.check else "—"
        title = s.section.split("#")[-1].removesuffix(".md").replace("-", " ")
        rows.append(f"| {s.seen} | {s.cause} | {check} | [{title}]({s.section}) |")
    return "\n".join(rows) + "\n"


def docs_path(check_id: str) -> str:
    """Site-relative docs path for a check id, e.g. ``troubleshooting/tls/#tls-verify-failed``."""
    group = check_id.split(".", 1)[0]
    return f"troubleshooting/{group}/#{check_id.replace('.', '-')}"


def docs_url(check_id: str) -> str:
    """Absolute docs link, joined to ``DOCS_BASE_URL`` (default: the published latest)."""
    base = os.environ.get("DOCS_BASE_URL", DEFAULT_DOCS_BASE_URL)
    return base.rstrip("/") + "/" + docs_path(check_id)


if __name__ == "__main__":
    import sys

    if "--table" in sys.argv:  # the table the site's symptom_table macro renders
        print(symptom_table(), end="")
        raise SystemExit
    for check_id, check in CHECKS.items():
        print(f"{check.status:4}  {check_id:32} {docs_path(check_id)}")
