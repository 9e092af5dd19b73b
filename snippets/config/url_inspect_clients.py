"""How each client library reads the same REDIS_URL: redis-py and ioredis, side by side.

A Python worker and a Node backend often share one ``REDIS_URL``. The two libraries parse it
with different rules (``urllib.parse`` versus the WHATWG URL parser, plus their own option
handling), so the same string can mean another database, another password or no client at all.
``read_redis_py`` and ``read_ioredis`` reproduce, offline and without either library, what
``redis.ConnectionPool.from_url(url).make_connection()`` (redis-py 8) and
``new Redis(url, {lazyConnect: true}).options`` (ioredis 5/6) produce: the string is taken as
the app would pass it, with no whitespace stripped. tests/config/test_url_inspect_clients.py
checks both against the real libraries; docs/javascripts/redis-url.js implements the same rules.
Every loop below is a single pass over the input: no regular expression can backtrack.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from urllib.parse import parse_qs, unquote, urlsplit

CLIENTS = ("redis-py", "ioredis")
FIELDS = ("host", "port", "db", "username", "password_set", "tls", "tls_verify", "error")
MAX_SAFE = 2**53 - 1  # larger numbers do not survive JSON in JavaScript: reported as null

# ------------------------------------------------------------------ redis-py 8
# URL_QUERY_ARGUMENT_PARSERS in redis/connection.py: how a query value is converted.
PY_INT = {"db", "socket_read_size", "max_connections", "health_check_interval", "ssl_min_version",
          "protocol"}  # fmt: skip
PY_FLOAT = {"socket_timeout", "socket_connect_timeout", "timeout"}
PY_VERIFY_FLAGS = {"ssl_include_verify_flags", "ssl_exclude_verify_flags"}
VERIFY_FLAGS = {"VERIFY_DEFAULT", "VERIFY_CRL_CHECK_LEAF", "VERIFY_CRL_CHECK_CHAIN",
                "VERIFY_X509_STRICT", "VERIFY_X509_TRUSTED_FIRST", "VERIFY_ALLOW_PROXY_CERTS",
                "VERIFY_X509_PARTIAL_CHAIN"}  # fmt: skip
# Keyword arguments each connection class accepts (a test compares them with the signatures);
# anything else in the query is passed on and raises TypeError in make_connection().
ABSTRACT_KWARGS = {
    "db", "password", "socket_timeout", "socket_connect_timeout", "retry_on_timeout",
    "retry_on_error", "encoding", "encoding_errors", "decode_responses", "parser_class",
    "socket_read_size", "health_check_interval", "client_name", "lib_name", "lib_version",
    "driver_info", "username", "retry", "redis_connect_func", "credential_provider", "protocol",
    "legacy_responses", "command_packer", "event_dispatcher", "maint_notifications_config",
    "maint_notifications_pool_handler", "maintenance_state", "maintenance_notification_hash",
    "orig_host_address", "orig_socket_timeout", "orig_socket_connect_timeout",
    "oss_cluster_maint_notifications_handler", "himport_registry",
}  # fmt: skip
TCP_KWARGS = ABSTRACT_KWARGS | {"host", "port", "socket_keepalive", "socket_keepalive_options",
                                "socket_type"}  # fmt: skip
SSL_KWARGS = TCP_KWARGS | {
    "ssl_keyfile", "ssl_certfile", "ssl_cert_reqs", "ssl_include_verify_flags",
    "ssl_exclude_verify_flags", "ssl_ca_certs", "ssl_ca_data", "ssl_check_hostname",
    "ssl_ca_path", "ssl_password", "ssl_validate_ocsp", "ssl_validate_ocsp_stapled",
    "ssl_ocsp_context", "ssl_ocsp_expected_cert", "ssl_min_version", "ssl_ciphers",
}  # fmt: skip
UNIX_KWARGS = ABSTRACT_KWARGS | {"path"}
POOL_KWARGS = {"max_connections"}  # taken by ConnectionPool itself
CERT_REQS = {"none", "optional", "required"}


def _entry(**fields) -> dict:
    base = dict.fromkeys(FIELDS)
    base.update(password_set=False, tls=False)
    base.update(fields)
    return base


def _safe(n: int | None) -> int | None:
    return n if n is None or abs(n) <= MAX_SAFE else None


def _bad_flags(value: str) -> bool:
    """parse_ssl_verify_flags(): each comma-separated name must be an ssl.VerifyFlags member."""
    names = value.replace("[", "").replace("]", "").split(",")
    return any(name.strip() not in VERIFY_FLAGS for name in names)


def read_redis_py(url: str) -> dict:
    """What redis-py 8 connects to for ``url``: ConnectionPool.from_url(url).make_connection()."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return _entry(error="ValueError")
    try:
        parts = urlsplit(url)  # urlparse() without ;params: the same split for these schemes
        kwargs: dict = {}
        for name, values in parse_qs(parts.query).items():  # blank values are dropped
            value = values[0]  # the first one wins
            if name in PY_INT:
                kwargs[name] = int(value)  # int(): spaces, signs, "_" and any script's digits
            elif name in PY_FLOAT:
                kwargs[name] = float(value)
            elif name in PY_VERIFY_FLAGS and _bad_flags(value):
                raise ValueError(name)
            else:
                kwargs[name] = value
        if parts.username:  # user and password in the URL win over ?username= / ?password=
            kwargs["username"] = unquote(parts.username)
        if parts.password:
            kwargs["password"] = unquote(parts.password)
        scheme = url.partition("://")[0]
        if scheme == "unix":
            if parts.path:
                kwargs["path"] = unquote(parts.path)
            accepted = UNIX_KWARGS
        else:
            if parts.hostname:
                kwargs["host"] = unquote(parts.hostname)
            if parts.port:  # raises ValueError on a bad port; port 0 means "default"
                kwargs["port"] = parts.port
            if parts.path and "db" not in kwargs:
                with contextlib.suppress(ValueError):  # "/abc" or "/": silently database 0
                    kwargs["db"] = int(unquote(parts.path).replace("/", ""))
            accepted = SSL_KWARGS if scheme == "rediss" else TCP_KWARGS
        if (kwargs.pop("max_connections", None) or 100) < 0:
            raise ValueError("max_connections")
    except ValueError:
        return _entry(error="ValueError")
    # SSLConnection.__init__ checks ssl_cert_reqs, Connection.__init__ runs int(port), then
    # AbstractConnection.__init__ meets any unknown keyword, then checks the protocol.
    if scheme == "rediss" and kwargs.get("ssl_cert_reqs", "required") not in CERT_REQS:
        return _entry(error="RedisError")
    if scheme != "unix" and not isinstance(kwargs.get("port", 0), int):
        try:  # ?port=… arrives as text; Connection.__init__ calls int() on it
            kwargs["port"] = int(kwargs["port"])
        except ValueError:
            return _entry(error="ValueError")
    if any(name not in accepted for name in kwargs):
        return _entry(error="TypeError")  # an unexpected keyword argument
    if kwargs.get("protocol", 2) not in (2, 3):
        return _entry(error="ConnectionError")  # redis.exceptions.ConnectionError
    tls = scheme == "rediss"
    return _entry(
        host=None if scheme == "unix" else kwargs.get("host", "localhost"),
        port=None if scheme == "unix" else _safe(kwargs.get("port", 6379)),
        db=_safe(kwargs.get("db", 0)),
        username=kwargs.get("username") or None,
        password_set=bool(kwargs.get("password")),
        tls=tls,
        tls_verify=(kwargs.get("ssl_cert_reqs") != "none") if tls else None,
    )


# ------------------------------------------------------------------ ioredis (utils.parseURL)
# The WHATWG URL parser as it treats redis:// (a "non-special" scheme): tabs and newlines
# vanish, the ends are trimmed, the host is opaque (kept as typed, percent-encoded).
FORBIDDEN_HOST = set("\x00\t\n\r #/:<>?@[\\]^|")
JS_SPACE = set("\t\n\x0b\x0c\r \xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {
    chr(c) for c in range(0x2000, 0x200B)
}
HEXDIGITS = set("0123456789abcdefABCDEF")


class InvalidURL(ValueError):
    """new URL() throws TypeError (ERR_INVALID_URL)."""


class URIErrorJS(ValueError):
    """decodeURIComponent() throws URIError."""


def _pct(text: str) -> str:
    """UTF-8 percent-encode every non-ASCII character (what the URL parser does to them)."""
    if text.isascii():
        return text
    return "".join(c if c.isascii() else "".join(f"%{b:02X}" for b in c.encode()) for c in text)


def _path_pct(segment: str) -> str:
    """The path percent-encode set: controls, space, " < > ` { } and non-ASCII."""
    return "".join(f"%{ord(c):02X}" if c <= " " or c in '"<>`{}\x7f' else c for c in _pct(segment))


def _escape_at(text: str, i: int) -> int | None:
    """The byte of a "%XX" escape at ``text[i]``, or None."""
    if (
        i + 2 < len(text)
        and text[i] == "%"
        and text[i + 1] in HEXDIGITS
        and text[i + 2] in HEXDIGITS
    ):
        return int(text[i + 1 : i + 3], 16)
    return None


def decode_uri_component(text: str) -> str:
    """JavaScript's decodeURIComponent: strict UTF-8, a bare '%' raises URIError."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] != "%":
            out.append(text[i])
            i += 1
            continue
        lead = _escape_at(text, i)
        if lead is None:
            raise URIErrorJS("URI malformed")
        i += 3
        # the number of leading 1 bits: 0 is ASCII; 2, 3 or 4 start a multi-byte sequence
        need = 1 if lead < 0x80 else 2 if lead >> 5 == 6 else 3 if lead >> 4 == 14 \
            else 4 if lead >> 3 == 30 else 0  # fmt: skip
        if need == 0:
            raise URIErrorJS("URI malformed")
        seq = bytearray([lead])
        while len(seq) < need:
            byte = _escape_at(text, i)
            if byte is None or byte >> 6 != 2:
                raise URIErrorJS("URI malformed")
            seq.append(byte)
            i += 3
        try:
            out.append(seq.decode("utf-8"))  # rejects overlong forms, surrogates, > U+10FFFF
        except UnicodeDecodeError:
            raise URIErrorJS("URI malformed") from None
    return "".join(out)


def _form_decode(text: str) -> str:
    """application/x-www-form-urlencoded decoding of one name or value (URLSearchParams)."""
    raw = text.replace("+", " ").encode("utf-8", "surrogatepass")
    if b"%" not in raw:
        return raw.decode("utf-8", "replace")
    out = bytearray()
    i, n = 0, len(raw)
    while i < n:
        if raw[i] == 0x25 and i + 2 < n and all(chr(x) in HEXDIGITS for x in raw[i + 1 : i + 3]):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "replace")


def search_params(query: str) -> dict[str, str]:
    """URLSearchParams(query) collected the way ioredis does: the last value of a name wins."""
    options: dict[str, str] = {}
    for field in query.split("&"):
        if field:
            name, _, value = field.partition("=")
            options[_form_decode(name)] = _form_decode(value)
    return options


def _ipv6(text: str) -> str:
    """The WHATWG IPv6 parser and serializer (compressed, lower case), or InvalidURL."""
    if "%" in text or "." in text.rpartition(":")[0]:  # no zone ids; IPv4 only at the end
        raise InvalidURL("IPv6")
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        raise InvalidURL("IPv6") from None
    pieces = [int(address) >> (112 - 16 * k) & 0xFFFF for k in range(8)]
    best, best_len, k = -1, 1, 0  # the longest run of two or more zero pieces
    while k < 8:
        if pieces[k] == 0:
            start = k
            while k < 8 and pieces[k] == 0:
                k += 1
            if k - start > best_len:
                best, best_len = start, k - start
        else:
            k += 1
    hexes = [f"{p:x}" for p in pieces]
    if best < 0:
        return ":".join(hexes)
    return ":".join(hexes[:best]) + "::" + ":".join(hexes[best + best_len :])


def _dot_segment(segment: str) -> int:
    """2 for "..", 1 for ".", else 0 (percent-encoded dots count: %2e)."""
    low = segment.lower()
    if low in ("..", ".%2e", "%2e.", "%2e%2e"):
        return 2
    return 1 if low in (".", "%2e") else 0


def whatwg_parse(url: str) -> dict:
    """new URL(url) for a redis:/rediss: URL: username, password, hostname, port, pathname,
    search (without '?'); raises InvalidURL where the URL constructor throws."""
    hi = len(url)  # callers pass "redis…": only the end can hold controls or spaces to trim
    while hi > 0 and url[hi - 1] <= " ":
        hi -= 1
    url = url[:hi]
    if "\t" in url or "\n" in url or "\r" in url:
        url = url.replace("\t", "").replace("\n", "").replace("\r", "")
    rest = url.partition(":")[2][2:]  # after "redis://" (callers ensure the "//")
    end = len(rest)
    for c in "/?#":
        k = rest.find(c)
        if k >= 0:
            end = min(end, k)
    authority, rest = rest[:end], rest[end:]
    rest = rest.partition("#")[0]
    path, _, query = rest.partition("?")
    userinfo, at, hostport = authority.rpartition("@")
    if at and not hostport:
        raise InvalidURL("credentials without a host")
    username, _, password = userinfo.partition(":")
    # The host ends at the first ':' outside [brackets]; the port is digits only.
    inside, cut = False, len(hostport)
    for k, c in enumerate(hostport):
        if c == "[":
            inside = True
        elif c == "]":
            inside = False
        elif c == ":" and not inside:
            cut = k
            break
    host, port_text = hostport[:cut], hostport[cut + 1 :]
    if cut < len(hostport) and not host:
        raise InvalidURL("port without a host")
    port = None
    if port_text:
        if not all("0" <= c <= "9" for c in port_text):
            raise InvalidURL("port")
        port = int(port_text.lstrip("0") or "0") if len(port_text.lstrip("0")) <= 5 else 65536
        if port > 65535:
            raise InvalidURL("port")
    if host.startswith("["):
        if not host.endswith("]"):
            raise InvalidURL("IPv6")
        host = "[" + _ipv6(host[1:-1]) + "]"
    elif any(c in FORBIDDEN_HOST for c in host):
        raise InvalidURL("host")
    else:
        host = "".join(f"%{ord(c):02X}" if c < " " or c == "\x7f" else c for c in _pct(host))
    segments: list[str] = []
    pieces = path.split("/")[1:] if path else []
    for k, segment in enumerate(pieces):
        last = k == len(pieces) - 1
        kind = _dot_segment(segment)
        if kind == 2:
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif kind == 1:
            if last:
                segments.append("")
        else:
            segments.append(_path_pct(segment))
    pathname = "/" + "/".join(segments) if pieces else ""
    return {
        "username": username,
        "password": password,
        "hostname": host,
        "port": port,
        "pathname": pathname,
        "search": query,
    }


def parse_int(text: str) -> int | None:
    """JavaScript's parseInt(text, 10); None for NaN."""
    k, n = 0, len(text)
    while k < n and text[k] in JS_SPACE:
        k += 1
    sign = 1
    if k < n and text[k] in "+-":
        sign = -1 if text[k] == "-" else 1
        k += 1
    start = k
    while k < n and "0" <= text[k] <= "9":
        k += 1
    if k == start:
        return None
    digits = text[start:k].lstrip("0") or "0"
    if len(digits) > 16:  # beyond 2**53: JavaScript rounds it; never a usable db or port
        return MAX_SAFE + 1
    return sign * int(digits)


JS_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
JS_PREFIXED = re.compile(r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+")


def _js_trim(text: str, end: bool = True) -> str:
    k, n = 0, len(text)
    while k < n and text[k] in JS_SPACE:
        k += 1
    while end and n > k and text[n - 1] in JS_SPACE:
        n -= 1
    return text[k:n]


def _js_float(text: str) -> float:
    return float(text.replace("Infinity", "inf"))


def _js_number_is_int(text: str) -> bool:
    """ioredis isInt(): !isNaN(text) && (parseFloat(text) | 0) === parseFloat(text)."""
    body = _js_trim(text)
    if body and not (JS_DECIMAL.fullmatch(body) or JS_PREFIXED.fullmatch(body)):
        return False  # Number(text) is NaN ("" is 0, but parseFloat("") is NaN below)
    prefix = JS_DECIMAL.match(_js_trim(text, end=False))
    if not prefix:
        return False
    value = _js_float(prefix.group())
    return value.is_integer() and -(2**31) <= value < 2**31


def read_ioredis(url: str) -> dict:
    """What ioredis puts in ``new Redis(url, {lazyConnect: true}).options``."""
    options: dict = {}
    try:
        if _js_number_is_int(url):
            options["port"] = url
        elif url[:1] == "/" and url[:2] != "//":
            path, mark, query = url.partition("?")
            options["path"] = path
            if mark:
                options = {**search_params(query), **options}
        else:
            lower = url[:9].lower()
            protocol = lower.startswith("redis://") or lower.startswith("rediss://")
            relative = url.startswith("//")
            parts = whatwg_parse(
                url if protocol else "redis:" + url if relative else "redis://" + url
            )
            if parts["username"] or parts["password"]:
                options["username"] = decode_uri_component(_pct(parts["username"]))
                options["password"] = decode_uri_component(_pct(parts["password"]))
            if parts["pathname"] and parts["pathname"] != "/":
                if protocol or relative:
                    options["db"] = parts["pathname"][1:]
                else:
                    options["path"] = parts["pathname"]
            if parts["hostname"]:
                host = parts["hostname"]
                options["host"] = host[1:-1] if host.startswith("[") else host
            if parts["port"] is not None:
                options["port"] = str(parts["port"])
            for name, value in search_params(parts["search"]).items():
                options.setdefault(name, value)  # lodash defaults(): the URL's parts win
    except InvalidURL:
        return _entry(error="TypeError")
    except URIErrorJS:
        return _entry(error="URIError")
    tls = bool(options.get("tls")) or ("tls" not in options and url.startswith("rediss://"))
    if options.get("path"):
        host = port = None  # a Unix socket: host and port are not used
    else:
        host = options.get("host", "localhost")
        port = options.get("port", 6379)
        port = parse_int(port) if isinstance(port, str) else port
    db = options.get("db", 0)
    db = parse_int(db) if isinstance(db, str) else db
    return _entry(
        host=host,
        port=_safe(port),
        db=0 if db is None else _safe(db),  # NaN: ioredis sends no SELECT, so database 0
        username=options.get("username") or None,
        password_set=bool(options.get("password")),
        tls=tls,
        tls_verify=True if tls else None,  # a URL cannot turn off ioredis's verification
    )


# ------------------------------------------------------------------ comparing the readings
def _ascii_lower(text: str) -> str:
    return text.translate({c: c + 32 for c in range(65, 91)})


def _same_host(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is b
    if _ascii_lower(a) == _ascii_lower(b):
        return True  # host names are case-insensitive
    try:  # "::ffff:8.8.8.8" and "::ffff:808:808" are one address
        return ipaddress.IPv6Address(a) == ipaddress.IPv6Address(b)
    except ValueError:
        return False


def differences(clients: dict) -> list[str]:
    """The fields in which the clients' readings differ (only "error" when one raises)."""
    py, node = clients["redis-py"], clients["ioredis"]
    if bool(py["error"]) != bool(node["error"]):
        return ["error"]
    if py["error"]:
        return []  # both refuse the URL: they agree it is unusable
    return [
        f
        for f in FIELDS[:-1]
        if not (_same_host(py[f], node[f]) if f == "host" else py[f] == node[f])
    ]


def status(clients: dict) -> str | None:
    """url.clients-disagree's status: "fail" where one client throws, else "warn"; None if
    the clients agree."""
    fields = differences(clients)
    return None if not fields else "fail" if fields == ["error"] else "warn"


def read_clients(url: str) -> dict:
    return {"redis-py": read_redis_py(url), "ioredis": read_ioredis(url)}


def _say(field: str, entry: dict) -> str:
    value = entry[field]
    if field == "host":
        return "a Unix socket" if value is None else f"host {value}"
    if field in ("port", "db"):
        return f"no {field}" if value is None else f"{field} {value}"
    if field == "username":
        return "a username" if value else "no username"
    if field == "password_set":
        return "a password" if value else "no password"
    if field == "tls":
        return "TLS" if value else "no TLS"
    return "verifies the certificate" if value else "skips certificate verification"


VERBS = {"host": "connects to", "port": "uses", "db": "uses", "username": "sends",
         "password_set": "sends", "tls": "uses", "tls_verify": ""}  # fmt: skip


def describe_differences(clients: dict) -> str:
    """The disagreement in words, e.g. "ioredis uses db 0, redis-py uses db 5".

    Never a password; no username either (it may be a pasted secret)."""
    fields = differences(clients)
    node, py = clients["ioredis"], clients["redis-py"]
    if fields == ["error"]:
        bad, good = ("ioredis", "redis-py") if node["error"] else ("redis-py", "ioredis")
        kind, other = clients[bad]["error"], clients[good]
        target = "a Unix socket" if other["host"] is None else f"host {other['host']}"
        return f"{bad} throws {kind} when the client is created; {good} connects to {target}"
    phrases = []
    for field in [f for f in fields if not (f == "tls_verify" and "tls" in fields)]:
        verb = VERBS[field]
        left = f"ioredis {verb} {_say(field, node)}".replace("  ", " ")
        right = f"redis-py {verb} {_say(field, py)}".replace("  ", " ")
        phrases.append(f"{left}, {right}")
    return "; ".join(phrases)


if __name__ == "__main__":
    import json
    import sys

    for arg in sys.argv[1:] or ["redis://localhost:6379/0?db=5"]:
        clients = read_clients(arg)
        print(json.dumps(clients, indent=2))
        print(describe_differences(clients) or "the clients agree")
