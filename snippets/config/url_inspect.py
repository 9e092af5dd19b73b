"""Offline Redis URL inspection: parse a URL the way redis-py will, and say what is wrong.

Pure and dependency-free on purpose: the browser inspector (docs/javascripts/redis-url.js)
implements the same rules and both run tests/config/url_vectors.json. Shown on
docs/setup/configuration.md and used by `python -m snippets.doctor --inspect URL`.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qs, quote, unquote, urlsplit

from snippets.config.url_inspect_clients import differences, read_clients

SCHEMES = ("redis", "rediss", "unix")

# Query options redis-py 8 parses from a URL, and how (its URL_QUERY_ARGUMENT_PARSERS).
INT_OPTIONS = {
    "db",
    "socket_read_size",
    "max_connections",
    "health_check_interval",
    "ssl_min_version",
    "protocol",
}
FLOAT_OPTIONS = {"socket_timeout", "socket_connect_timeout", "timeout"}
BOOL_OPTIONS = {"socket_keepalive", "retry_on_timeout", "ssl_check_hostname", "legacy_responses"}
# Passed through to the connection as *strings* (redis-py does not convert them).
STRING_OPTIONS = {
    "client_name",
    "ssl_cert_reqs",
    "ssl_ca_certs",
    "ssl_certfile",
    "ssl_keyfile",
    "retry_on_error",
    "ssl_include_verify_flags",
    "ssl_exclude_verify_flags",
    "username",
    "password",
}
# A boolean setting that arrives as a non-empty string, i.e. always truthy.
STRING_TRUTHY = {"decode_responses"}
# Options only a TLS (rediss://) connection accepts; elsewhere redis-py raises TypeError.
TLS_ONLY = {
    "ssl_cert_reqs",
    "ssl_ca_certs",
    "ssl_certfile",
    "ssl_keyfile",
    "ssl_check_hostname",
    "ssl_include_verify_flags",
    "ssl_exclude_verify_flags",
    "ssl_min_version",
}
CERT_REQS = {"none", "optional", "required"}
FALSE_WORDS = {"0", "f", "false", "n", "no"}  # redis-py's to_bool: anything else is True
INT_TEXT = re.compile(r"^\s*[+-]?(\d+)\s*$")
MAX_INT_DIGITS = 18  # longer whole numbers are never a valid db, port or option value
FLOAT_TEXT = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
PRIVATE_SUFFIXES = (".internal", ".local", ".localdomain", ".lan", ".svc", ".home.arpa")
LOCALHOST = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


def _result(**fields) -> dict:
    base = {
        "scheme": None,
        "tls": False,
        "host": None,
        "port": None,
        "path": None,
        "username": None,
        "password_set": False,
        "db": 0,
        "findings": [],
        "error": None,
    }
    base.update(fields)
    return base


def is_loopback(host: str) -> bool:
    return host.lower() in LOCALHOST or host.startswith("127.")


def is_public(host: str) -> bool:
    """Best offline guess whether a host is reached over the public internet."""
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        pass
    name = host.lower().rstrip(".")
    return "." in name and not name.endswith(PRIVATE_SUFFIXES)


def inspect(url: str) -> dict:
    """Return the parts of ``url`` and ``findings``/``error`` ids (DESIGN.md contract)."""
    result = _inspect(url)
    # How each client library reads the very same string (no whitespace stripped).
    result["clients"] = read_clients(url)
    if differences(result["clients"]):
        result["findings"].append("url.clients-disagree")
    if "url.password-as-username" in result["findings"]:  # the clients read it as a user name
        for reading in result["clients"].values():
            if reading["username"]:
                reading["username"] = "***"
    # A password with an unencoded '@', '/' or '#' can make a client read part of it as the
    # host: a host found in the credentials (between :// and the last '@') is never shown.
    start, at = url.find("://"), url.rfind("@")
    # Compared raw and percent-decoded, case-folded (redis-py lower-cases the host it reads;
    # ioredis percent-encodes a host that is not ASCII).
    credentials = url[start + 3 : at] if start >= 0 and at > start else ""
    secrets = {credentials.lower(), unquote(credentials).lower()} if credentials else set()
    for reading in result["clients"].values():
        host = reading["host"] or ""
        forms = {host.lower(), unquote(host).lower()} if host else set()
        if any(form in secret for form in forms for secret in secrets):
            reading["host"] = "***"
    result["findings"] = sorted(set(result["findings"]))  # one order, in Python and JS
    return result


def _inspect(url: str) -> dict:
    findings: list[str] = []
    if any(c.isspace() for c in url):
        findings.append("url.whitespace")
        url = "".join(url.split())  # what the user meant: nothing pasted around it
    if not url:
        return _result(findings=findings, error="url.malformed")
    if "://" not in url:
        return _result(findings=findings, error="url.missing-scheme")
    scheme = url.split("://", 1)[0]  # redis-py is case-sensitive: REDIS:// is rejected
    result = _result(scheme=scheme, tls=scheme == "rediss", findings=findings)
    if scheme not in SCHEMES:
        return {**result, "error": "url.unsupported-scheme"}

    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" (an IPv6 bracket, or one in a password)
        if any(c in url.split("://", 1)[1].rpartition("@")[0] for c in "[]"):
            findings.append("url.password-unencoded")
        return {**result, "error": "url.malformed"}
    # An unencoded '@', '/', '?' or '#' in the password moves the real host into the path,
    # query or fragment. Spot it before trusting anything else.
    authority = url.split("://", 1)[1]
    userinfo = authority.rpartition("@")[0]
    if "@" in parts.path or "@" in parts.query or "@" in parts.fragment:
        findings.append("url.password-unencoded")
        return {**result, "error": "url.malformed"}
    if "@" in userinfo:
        findings.append("url.password-unencoded")
    if parts.fragment:
        return {**result, "error": "url.malformed"}

    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    # redis-py also logs in with ?username=…&password=… (the URL's own user and password win)
    query = parse_qs(parts.query)
    username = username or query.get("username", [None])[0]
    password = password or query.get("password", [None])[0]
    result.update(username=username, password_set=bool(password))
    if parts.username and parts.password is None:  # redis://SECRET@host: no ':' before it
        findings.append("url.password-as-username")
        result["username"] = "***"  # most likely the password: never shown

    error = _check_query(parts.query, result, findings)
    if scheme == "unix":
        result.update(path=unquote(parts.path) or None)
        if not parts.path:
            error = error or "url.missing-host"
        return {**result, "error": error}

    host = parts.hostname
    if not host:
        return {**result, "error": "url.missing-host"}
    result["host"] = unquote(host)
    try:
        port = parts.port
    except ValueError:
        return {**result, "error": "url.invalid-port"}
    if port == 0 or (port is None and parts.netloc.rstrip("]").endswith(":")):
        return {**result, "error": "url.invalid-port"}
    result["port"] = port or 6379
    result["path"] = parts.path or None
    if parts.path not in ("", "/") and "db" not in parse_qs(parts.query):
        db_text = unquote(parts.path)[1:]
        if not db_text.isdecimal() or len(db_text) > MAX_INT_DIGITS:  # "²" is a digit, not decimal
            return {**result, "error": "url.invalid-db"}
        result["db"] = int(db_text)

    if is_loopback(result["host"]):
        findings.append("url.localhost")
    elif scheme == "redis" and is_public(result["host"]):
        findings.append("url.plaintext-remote")
    return {**result, "error": error}


def _check_query(query: str, result: dict, findings: list[str]) -> str | None:
    """Validate query options as redis-py 8 will read them; update db; return an error id."""
    try:
        options = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        return "url.invalid-option"
    error = None
    for name, values in options.items():
        value = values[0]
        if name in TLS_ONLY and not result["tls"]:
            error = error or "url.invalid-option"
        elif name in INT_OPTIONS:
            match = INT_TEXT.match(value)
            if not match or len(match.group(1)) > MAX_INT_DIGITS:
                error = error or ("url.invalid-db" if name == "db" else "url.invalid-option")
            elif name == "db":
                if int(value) < 0:
                    error = error or "url.invalid-db"
                result["db"] = int(value)
            elif (name == "protocol" and int(value) not in (2, 3)) or (
                name == "max_connections" and int(value) < 1
            ):
                error = error or "url.invalid-option"  # redis-py refuses these values
        elif name in FLOAT_OPTIONS:
            if not FLOAT_TEXT.match(value):
                error = error or "url.invalid-option"
        elif name in BOOL_OPTIONS:
            if name == "ssl_check_hostname" and value.lower() in FALSE_WORDS:
                findings.append("url.tls-verify-disabled")
        elif name == "ssl_cert_reqs":
            if value not in CERT_REQS:  # redis-py 8 rejects "None" (capital N)
                error = error or "url.invalid-option"
            elif value != "required":
                findings.append("url.tls-verify-disabled")
        elif name in STRING_TRUTHY:
            if value.lower() in FALSE_WORDS:
                findings.append("url.option-string-truthy")
        elif name not in STRING_OPTIONS:
            error = error or "url.invalid-option"  # redis-py would pass it on and fail
    return error


HINTS = {
    "ssl_cert_reqs": "use none, optional or required (lower case)",
    "decode_responses": "set it in code, not in the URL: any text here means True",
}


def describe(url: str, result: dict) -> str:
    """A detail for ``result["error"]`` that names the culprit, never the credentials."""
    error = result["error"]
    if "url.password-unencoded" in result["findings"]:
        return "the password contains @, /, ?, #, [ or ]: percent-encode it (%40 %2F %3F %23)"
    if error in ("url.invalid-option", "url.invalid-db"):
        query = "".join(url.split()).partition("?")[2]
        for name, values in parse_qs(query, keep_blank_values=True).items():
            if name.lower() == "password":  # what follows may be the rest of the password
                return "an option after password= is invalid: percent-encode & in it (%26)"
            probe = _inspect(f"{result['scheme'] or 'redis'}://h?{name}={quote(values[0])}")
            if not probe["error"]:
                continue
            if name == "family":  # pages used to suggest it for ioredis on IPv6 networks
                return (
                    "option 'family' is ioredis's and redis-py rejects it:"
                    " drop it (ioredis 6 defaults to family 0)"
                )
            if name not in INT_OPTIONS | FLOAT_OPTIONS | BOOL_OPTIONS | {"ssl_cert_reqs"}:
                known = name in STRING_OPTIONS
                where = "only valid with rediss://" if known else "unknown to redis-py"
                return f"option {name!r} is {where}"  # free text: the value is not shown
            hint = HINTS.get(name, "see the redis-py options on this page")
            return f"{name}={values[0]}: {hint}"
    if error == "url.unsupported-scheme":
        return f"{result['scheme']}:// is not one redis-py accepts"
    return ""


if __name__ == "__main__":
    import json
    import sys

    for arg in sys.argv[1:]:
        print(json.dumps(inspect(arg), indent=2))
