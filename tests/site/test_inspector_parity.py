"""docs/javascripts/redis-url.js agrees with snippets/config/url_inspect.py, run under Node.

The shared vectors (tests/config/url_vectors.json) and random URL-shaped strings from
hypothesis go through both; any difference fails. Where the Python raises, the JS must
throw too (reported as {"raises": "ValueError"}).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from snippets.config import url_inspect, url_inspect_clients
from tests.config.test_url_inspect_clients import redis_urls as client_urls
from tests.helpers import need_binary
from tests.nodejs import NodeLines
from tests.demos import run_demo
from tools.paths import ROOT

RUNNER = Path(__file__).with_name("inspect_urls.mjs")
VECTORS = json.loads((ROOT / "tests" / "config" / "url_vectors.json").read_text())


def python_inspect(url: str) -> dict:
    try:
        return url_inspect.inspect(url)
    except ValueError as exc:
        return {"raises": type(exc).__name__}


@pytest.fixture(scope="module")
def node_inspect():
    inspector = NodeLines(RUNNER)
    yield inspector
    inspector.close()


@pytest.mark.parametrize("vector", VECTORS, ids=[repr(v["url"])[:60] for v in VECTORS])
def test_vectors_agree(node_inspect, vector):
    assert node_inspect(vector["url"]) == python_inspect(vector["url"])


@pytest.fixture(scope="module")
def node_words():
    inspector = NodeLines(RUNNER, "--words")
    yield inspector
    inspector.close()


def python_words(url: str) -> str:
    return url_inspect_clients.describe_differences(url_inspect.inspect(url)["clients"])


@pytest.mark.parametrize("vector", VECTORS, ids=[repr(v["url"])[:60] for v in VECTORS])
def test_vectors_words_agree(node_words, vector):
    """The widget's sentence and the doctor's summary say the same thing."""
    assert node_words(vector["url"]) == python_words(vector["url"])


@given(url=client_urls())
def test_client_urls_agree(node_inspect, node_words, url):
    """URLs shaped to make the clients disagree (tests/config/test_url_inspect_clients.py)."""
    assert node_inspect(url) == python_inspect(url), url
    assert node_words(url) == python_words(url), url


def test_unicode_tables_match_this_python():
    """The JS copies Python's isspace/isdecimal tables; regenerate them if this fails."""
    node = need_binary("node")
    out = subprocess.run(
        [node, str(RUNNER), "--tables"], capture_output=True, text=True, check=True, timeout=30
    )
    tables = json.loads(out.stdout)

    def ranges(pred) -> list[list[int]]:
        found: list[list[int]] = []
        for cp in range(sys.maxunicode + 1):
            if pred(chr(cp)):
                if found and found[-1][1] == cp - 1:
                    found[-1][1] = cp
                else:
                    found.append([cp, cp])
        return found

    assert tables["SPACE"] == ranges(str.isspace)
    assert tables["DECIMAL"] == ranges(str.isdecimal)


# ------------------------------------------------------------------ random URLs
# Characters whose handling differs between the rules: separators, percent, brackets,
# whitespace (ASCII and Unicode), digits of other scripts, superscripts, an NFKC expander.
SPECIAL = "@:/?#[]%+=&.-_ \t\n\u00a0\u2028é²٣℀ſK"
TEXT = st.text(alphabet=st.sampled_from("abcXYZ019" + SPECIAL), max_size=12)
KNOWN = (
    url_inspect.INT_OPTIONS
    | url_inspect.FLOAT_OPTIONS
    | url_inspect.BOOL_OPTIONS
    | url_inspect.STRING_OPTIONS
    | url_inspect.STRING_TRUTHY
    | url_inspect.TLS_ONLY
)
OPTIONS = [*sorted(KNOWN), "foo", "", "db%3D", "ssl_cert_reqs+"]
VALUES = [
    "0",
    "1",
    "2",
    "3",
    "-1",
    "+20",
    " 5 ",
    "٣",
    "²",
    "false",
    "False",
    "No",
    "off",
    "none",
    "None",
    "required",
    "optional",
    "2.5",
    "1e3",
    ".5",
    "5.",
    "inf",
    "",
    "%20",
    "9" * 30,
]
HOSTS = [
    "localhost",
    "127.0.0.1",
    "127.1.2.3",
    "0.0.0.0",
    "[::1]",
    "[::]",
    "[fd12:3456::1]",
    "[::ffff:8.8.8.8]",
    "[::ffff:10.0.0.1]",
    "[2001:db8::1]",
    "[2606:4700::1]",
    "[fe80::1%ETH0]",
    "[v1.x]",
    "[1.2.3.4]",
    "[nope]",
    "h.example.com",
    "red-xxxxx",
    "8.8.4.4",
    "10.0.0.1",
    "100.64.0.1",
    "203.0.113.5",
    "010.0.0.1",
    "redis.railway.internal",
    "svc.local.",
    "%4Aost",
    "H.Example.COM",
    "",
]


@st.composite
def redis_urls(draw) -> str:
    scheme = draw(st.sampled_from(["redis", "rediss", "unix", "valkey", "REDIS", ""]))
    url = scheme + draw(st.sampled_from(["://", "://", "://", ":/", ""]))
    if draw(st.booleans()):
        user = draw(TEXT)
        if draw(st.booleans()):
            user += ":" + draw(TEXT)
        url += user + "@"
    url += draw(st.one_of(st.sampled_from(HOSTS), TEXT))
    if draw(st.booleans()):
        port = st.integers(min_value=0, max_value=70000).map(str)
        edges = st.sampled_from(["0", "00", "1", "6379", "65535", "65536", "+1", "-1", "", "٣"])
        url += ":" + draw(st.one_of(edges, port, TEXT))
    if draw(st.booleans()):
        url += "/" + draw(st.one_of(st.sampled_from(["0", "3", "15", "abc", "²", "٣"]), TEXT))
    if draw(st.booleans()):
        fields = draw(
            st.lists(
                st.tuples(
                    st.one_of(st.sampled_from(OPTIONS), TEXT),
                    st.sampled_from(["=", "=", ""]),
                    st.one_of(st.sampled_from(VALUES), TEXT),
                ),
                max_size=4,
            )
        )
        url += "?" + draw(st.sampled_from(["&", "&&"])).join(n + s + v for n, s, v in fields)
    if draw(st.integers(0, 9)) == 0:
        url += "#" + draw(TEXT)
    if draw(st.integers(0, 4)) == 0:
        url = draw(st.sampled_from([" ", "\n", "\t", "\u00a0"])) + url + draw(TEXT)
    return url


@given(url=redis_urls())
@example(url="redis://h/²")
@example(url="redis://[fe80::1%ETH0]:1")
@example(url="redis://h:65535")
@example(url="redis://h:65536")
@example(url="redis://[::1:6379")
@example(url="redis://u[x]@h:1")
@example(url="redis://h℀x:1")
@example(url="redis://h:1/" + "1" * 5000)
@example(url="redis://h:1?protocol=" + "1" * 5000)
def test_random_urls_agree(node_inspect, url):
    assert node_inspect(url) == python_inspect(url), url


@given(url=st.text(alphabet=st.sampled_from("redis:/unx0-9" + SPECIAL), max_size=40))
def test_random_text_agrees(node_inspect, url):
    assert node_inspect(url) == python_inspect(url), url


@pytest.mark.parametrize(
    "url",
    [
        "rediss://default:PASSWORD@us1-example-12345.upstash.io:6379",
        "redis://default:p@ss@red-xxxxx:6379",
        "redis://localhost:6379/0?decode_responses=False",
        "valkey://localhost:6379",
        "redis://[::1:6379",
    ],
)
def test_js_matches_the_runbook_cli(node_inspect, url):
    """The contract as operators see it: `python -m snippets.doctor --inspect URL --json`."""
    out = run_demo("snippets.doctor", "--inspect", url, "--json", cwd=ROOT)
    cli = json.loads(out.stdout)
    assert out.returncode == (1 if cli["error"] else 0)
    assert node_inspect(url) == cli
