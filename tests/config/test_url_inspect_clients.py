"""snippets/config/url_inspect_clients.py: each client's reading, checked against the real one.

redis-py: ``ConnectionPool.from_url(url).make_connection()`` (no connection is made);
ioredis: ``new Redis(url, {lazyConnect: true}).options`` in the real package from
snippets/node_modules (tests/config/ioredis_reading.mjs). Over the shared vectors, the issue's
known cases and hypothesis-generated URLs, the offline readings must equal the real ones.
"""

from __future__ import annotations

import json
import ssl
import subprocess
from pathlib import Path

import pytest
import redis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from redis.connection import (
    AbstractConnection,
    Connection,
    SSLConnection,
    UnixDomainSocketConnection,
)

from snippets.config import url_inspect_clients as uc
from tests.demos import run_demo
from tests.helpers import need_binary
from tests.nodejs import NodeLines

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
VECTORS = [v["url"] for v in json.loads((HERE / "url_vectors.json").read_text())]
# The cases of issue 13, measured again here rather than taken on trust.
ISSUE_CASES = {
    "redis://host/0?db=5": ["db"],
    "redis://host?username=app&password=Zq7secret": [],
    "redis://:100%@host": ["error"],
    "rediss://host?ssl_cert_reqs=none": ["tls_verify"],
    "unix://user:Zq7secret@/run/redis.sock": ["username", "password_set"],
    " redis://host": [],  # both refuse it: redis-py ValueError, ioredis TypeError
    "redis://default:pass word@host": [],  # a space inside the password: both accept it
    "redis://host/٣": ["db"],
    "redis://host?db=1&db=2": ["db"],
    "redis://[fe80::1%25eth0]:6379": ["error"],
    "redis://host?family=0": ["error"],  # redis-py: TypeError (unknown keyword)
    # the rows of docs/troubleshooting/url.md#url-clients-disagree and their fixes
    "redis://host/%35": ["db"],
    "redis://host/5": [],
    "redis://:100%25@host": [],
    "unix:///run/redis.sock?password=Zq7secret": [],
    "redis://:Zq7secret@host?username=app": ["username"],
    "redis://app:Zq7secret@host": [],
}


def real_redis_py(url: str) -> dict:
    try:
        conn = redis.ConnectionPool.from_url(url).make_connection()
    except Exception as exc:
        return uc._entry(error=type(exc).__name__)
    unix = isinstance(conn, UnixDomainSocketConnection)
    tls = isinstance(conn, SSLConnection)
    return uc._entry(
        host=None if unix else conn.host,
        port=None if unix else uc._safe(conn.port),
        db=uc._safe(conn.db),
        username=conn.username or None,
        password_set=bool(conn.password),
        tls=tls,
        tls_verify=conn.cert_reqs != ssl.CERT_NONE if tls else None,
    )


@pytest.fixture(scope="module")
def real_ioredis():
    reader = NodeLines(HERE / "ioredis_reading.mjs", env={"NODE_NO_WARNINGS": "1"})
    yield reader
    reader.close()


# Tallies for the report: URLs whose offline reading matched both real libraries.
MATCHED: dict[str, int] = {"vectors": 0, "generated": 0}


def check(url: str, real_ioredis) -> None:
    clients = uc.read_clients(url)
    assert clients["redis-py"] == real_redis_py(url), url
    assert clients["ioredis"] == real_ioredis(url), url


@pytest.mark.parametrize("url", VECTORS, ids=[repr(v)[:60] for v in VECTORS])
def test_vectors_read_as_the_real_clients_do(real_ioredis, url):
    check(url, real_ioredis)
    MATCHED["vectors"] += 1


@pytest.mark.parametrize("url", list(ISSUE_CASES), ids=repr)
def test_issue_cases(real_ioredis, url):
    check(url, real_ioredis)
    assert uc.differences(uc.read_clients(url)) == ISSUE_CASES[url]


# Corners of both parsers, each checked against the real libraries, with the words shown.
EDGE_CASES = {
    "redis://h?max_connections=-1": "redis-py throws ValueError when the client is created;"
    " ioredis connects to host h",
    "redis://h?port=abc": "redis-py throws ValueError when the client is created;"
    " ioredis connects to host h",
    "redis://:%80secret@h": "ioredis throws URIError when the client is created;"
    " redis-py connects to host h",
    "redis://:%C0%AFsecret@h": "ioredis throws URIError when the client is created;"
    " redis-py connects to host h",
    "redis://[1:2:3:4:5:6:7:8]/0/.": "",
    "redis://[::ffff:8.8.8.8]": "",
    "redis://h?db=%205": "",
    "redis://%4Aost": "ioredis connects to host %4Aost, redis-py connects to host Jost",
    "rediss://h?tls=": "ioredis uses no TLS, redis-py uses TLS",
    "rediss://h?ssl_cert_reqs=none": "ioredis verifies the certificate,"
    " redis-py skips certificate verification",
    "redis://h:0": "ioredis uses port 0, redis-py uses port 6379",
    "unix:///run/redis.sock?port=x": "redis-py throws TypeError when the client is created;"
    " ioredis connects to a Unix socket",
    "redis://h?path=/tmp/redis.sock": "redis-py throws TypeError when the client is created;"
    " ioredis connects to a Unix socket",
    "redis://:Zq7secret@h?username=app": "ioredis sends no username, redis-py sends a username",
    "redis://h/0?password=Zq7secret&db=3": "ioredis uses db 0, redis-py uses db 3",
}


@pytest.mark.parametrize("url", list(EDGE_CASES), ids=repr)
def test_edge_cases(real_ioredis, url):
    check(url, real_ioredis)
    clients = uc.read_clients(url)
    assert uc.describe_differences(clients) == EDGE_CASES[url]
    throws = EDGE_CASES[url].split(" ", 2)[1:2] == ["throws"]
    assert uc.status(clients) == ("fail" if throws else "warn" if EDGE_CASES[url] else None)


# ------------------------------------------------------------------ generated URLs
RESERVED = "@:/?#[]%+=&.;~!$'()*,\\ \t\n\u00a0"
DIGITS = "0123456789٣²７"  # ASCII, Arabic-Indic, superscript, fullwidth
TEXT = st.text(alphabet=st.sampled_from("abzXY" + DIGITS + RESERVED + "é_-"), max_size=10)
OPTIONS = [
    "db", "username", "password", "family", "ssl_cert_reqs", "ssl_check_hostname", "tls",
    "protocol", "socket_timeout", "decode_responses", "client_name", "max_connections",
    "ssl_include_verify_flags", "host", "port", "path", "foo",
]  # fmt: skip
VALUES = ["0", "1", "5", "15", "-1", "+2", " 3 ", "1_0", "٣", "²", "７", "0x1", "abc", "", "none",
          "None", "required", "optional", "false", "true", "2", "3", "4", "6", "1e1", "inf",
          "VERIFY_X509_STRICT", "VERIFY_NOPE", "/tmp/r.sock", "%", "%25", "%41", "Zq7secret",
          "99999999999999999999", "2.5"]  # fmt: skip
HOSTS = ["h", "localhost", "H.Example.COM", "127.0.0.1", "[::1]", "[::ffff:8.8.8.8]",
         "[FD12:3456::1]", "[fe80::1%25eth0]", "[fe80::1%eth0]", "[1.2.3.4]", "[::1", "é.x",
         "%4Aost", "h^x", "", "a b", "red-xxxxx", "h.example.com", "10.0.0.5"]  # fmt: skip
USERINFO = ["", "", "", "default:Zq7secret@", "u:p@", ":Zq7secret@", "default:100%@",
            "default:p%40ss@", "u:p@ss@", "default:pass word@", "Zq7secret@", ":%E2%82@",
            ":%C0%AF@", "u:@"]  # fmt: skip


def mostly(choices: list[str]) -> st.SearchStrategy[str]:
    """A listed value seven times in eight, else random text: URLs that mostly parse."""
    return st.one_of(*[st.sampled_from(choices)] * 7, TEXT)


@st.composite
def redis_urls(draw) -> str:
    schemes = [*["redis://"] * 5, *["rediss://"] * 4, "unix://", "REDIS://", "//", ""]
    url = draw(st.sampled_from(schemes)) + draw(mostly(USERINFO))
    url += draw(mostly(HOSTS))
    if draw(st.booleans()):
        url += ":" + draw(mostly(["0", "6379", "6380", "06380", "65536", "", "x"]))
    if draw(st.booleans()):
        url += "/" + draw(mostly(["0", "3", "15", "/1", "٣", "%35", "abc", "5abc", "..", "-1"]))
    if draw(st.booleans()):
        fields = st.tuples(mostly(OPTIONS), st.sampled_from(["=", "=", "=", ""]), mostly(VALUES))
        url += "?" + "&".join(n + s + v for n, s, v in draw(st.lists(fields, max_size=4)))
    if draw(st.integers(0, 19)) == 0:
        url += "#" + draw(TEXT)
    if draw(st.integers(0, 9)) == 0:
        url = draw(st.sampled_from([" ", "\n", "\t"])) + url + draw(st.sampled_from(["", " "]))
    return url


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(url=redis_urls())
@example(url="6380")
@example(url="/tmp/redis.sock?db=2&password=Zq7secret")
@example(url="valkey://h:1")
@example(url="redis://h/%2e%2e/7")
@example(url="redis:///0?host=x&port=12")
@example(url="redis://h?path=/tmp/s")
@example(url="rediss://h?tls=")
@example(url="redis://:pw@h?username=u")
@example(url="redis://h:1/" + "1" * 5000)
def test_generated_urls_read_as_the_real_clients_do(real_ioredis, url):
    check(url, real_ioredis)
    MATCHED["generated"] += 1


def test_report_counts(capsys):
    """Not an assertion on speed: prints how many URLs matched (for the issue's closing note)."""
    with capsys.disabled():
        print(f"\nper-client readings matching the real libraries: {MATCHED}")


# ------------------------------------------------------------------ the model's tables
def _params(cls) -> set[str]:
    import inspect

    return {p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "kwargs")}


def test_keyword_tables_match_redis_py():
    abstract = _params(AbstractConnection)
    assert abstract == uc.ABSTRACT_KWARGS
    assert abstract | _params(Connection) == uc.TCP_KWARGS
    assert uc.TCP_KWARGS | _params(SSLConnection) == uc.SSL_KWARGS
    assert abstract | _params(UnixDomainSocketConnection) - {"socket_timeout"} == uc.UNIX_KWARGS
    assert set(ssl.VerifyFlags.__members__) == uc.VERIFY_FLAGS


def test_words_name_the_fields_and_never_the_password():
    text = uc.describe_differences(uc.read_clients("redis://host/0?db=5"))
    assert text == "ioredis uses db 0, redis-py uses db 5"
    text = uc.describe_differences(uc.read_clients("redis://:100%Zq7secret@red-xxxxx"))
    assert (
        text
        == "ioredis throws URIError when the client is created; redis-py connects to host red-xxxxx"
    )
    text = uc.describe_differences(uc.read_clients("unix://app:Zq7secret@/run/redis.sock"))
    assert "Zq7secret" not in text and "app" not in text
    assert "ioredis sends no password, redis-py sends a password" in text
    assert uc.describe_differences(uc.read_clients("redis://h")) == ""


def test_demo_prints_both_readings():
    out = run_demo("snippets.config.url_inspect_clients", "redis://h/0?db=5", check=True)
    assert "ioredis uses db 0, redis-py uses db 5" in out.stdout
    assert run_demo("snippets.config.url_inspect_clients", check=True).returncode == 0


def test_ioredis_defaults_to_both_address_families():
    """The pages say ioredis 6 needs no family=0 on IPv6-only networks: its default is 0."""
    script = (
        "const { createRequire } = require('node:module');"
        "const req = createRequire(process.cwd() + '/package.json');"
        "const { Redis } = req('ioredis');"
        "const opts = (u) => new Redis(u, { lazyConnect: true }).options.family;"
        "const unix = new Redis('unix://app:pw@/run/redis.sock', { lazyConnect: true }).options;"
        "console.log(JSON.stringify([req('ioredis/package.json').version,"
        " opts('redis://h'), opts('redis://h?family=6'), unix.host, unix.path]));"
    )
    out = subprocess.run(
        [need_binary("node"), "-e", script],
        cwd=ROOT / "snippets",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    version, default, from_url, unix_host, unix_path = json.loads(out.stdout)
    # docs/troubleshooting/url.md: ioredis reads unix://USER:PASSWORD@/path as host "unix"
    # and a socket path that starts with the login
    assert (unix_host, unix_path) == ("unix", "//app:pw@/run/redis.sock")
    assert version.split(".")[0] == "6"
    assert default == 0
    assert from_url == 6  # ioredis does read family from the URL (parseURLQueryItem)
