"""Hostile passwords and the leak check every output path is held to (issue 14).

A password is drawn from the whole printable range plus whitespace and URL-reserved
characters, 8+ characters, and is *novel*: none of its 4-character pieces occurs in the
text the tools print anyway (the check catalogue, the docs links, the fixed words of the
outputs) or in the rest of the input. Then any 4-character piece of it (raw, without the
spaces the app strips, percent-encoded) found in an output is a leak.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from hypothesis import assume
from hypothesis import strategies as st

from snippets.checks import CHECKS, docs_url

RESERVED = ":/?#[]@!$&'()*+,;=%\"<>\\^`{|}~"
WHITESPACE = " \t\n\r\x0b\x0c\u00a0\u2028"
PIECE = 4

# Text every run may print whatever the password: ids, summaries, links, the table's and
# the inspector's own words, hosts, users and numbers of the test inputs.
VOCABULARY = "\n".join(
    [
        *(f"{i} {c.status} {c.summary} {docs_url(i)}" for i, c in CHECKS.items()),
        "redis-doctor: redis rediss unix default pharmacare-app 127.0.0.1 localhost",
        "PROBLEMS FOUND OK failing, warnings, passed, skipped scheme tls host port path",
        "username password_set db findings error True False None null true false",
        "unknown command 'HELLO', with args beginning with: '3' 'AUTH' *** WRONGPASS",
        "invalid username-password pair or user is disabled. NOAUTH Authentication required",
        "Traceback (most recent call last): File line in raise redis.exceptions Error",
        # the doctor's JSON keys and the per-client readings (url.clients-disagree) in words
        "target ok checks id status summary docs clients redis-py ioredis tls_verify",
        "connects to uses sends a Unix socket no port no db a username no username a password",
        "no password TLS no TLS verifies the certificate skips certificate verification",
        "throws ValueError TypeError URIError when the client is created refuses the URL",
    ]
)

CHARS = st.one_of(
    st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs")),  # printable
    st.characters(min_codepoint=0x21, max_codepoint=0x7E),  # ASCII, often
    st.sampled_from(RESERVED + WHITESPACE),
)


def pieces(text: str) -> set[str]:
    return {text[i : i + PIECE] for i in range(len(text) - PIECE + 1)}


def forms(password: str) -> set[str]:
    """How a password can show up: raw, as the app reads it (no whitespace), encoded."""
    out = {password, password.strip(), "".join(password.split())}
    return out | {quote(f, safe="") for f in out}


def password_pieces(password: str) -> set[str]:
    return set().union(*(pieces(f) for f in forms(password)))


def _source_pieces() -> frozenset[str]:
    """Every 4-character piece of the text the tools can print whatever the password: the
    vocabulary above plus the source of the snippets and inspectors (their messages, labels
    and JSON keys: "first reply", "docs", …). A password sharing such a piece is not drawn."""
    root = Path(__file__).resolve().parents[2]
    files = [*(root / "snippets").rglob("*.py"), root / "snippets" / "checks.json"]
    files.append(root / "docs" / "javascripts" / "redis-url.js")
    text = VOCABULARY + "\n".join(f.read_text(encoding="utf-8") for f in files)
    return frozenset(pieces(text))


SOURCE_PIECES = _source_pieces()


def novel(password: str, *context: str) -> bool:
    """No piece of ``password`` is text the tools print anyway, or part of the input."""
    if len("".join(password.split())) < 8:
        return False
    corpus = "\n".join(context)
    for piece in password_pieces(password):
        numeric = all(c.isdigit() or c in ". :" for c in piece)
        if piece in SOURCE_PIECES or piece in corpus or numeric:
            return False  # a port, a timing or an address can look like this piece
    return True


DRAWN = st.text(CHARS, min_size=8, max_size=20)  # before the novelty filter


@st.composite
def passwords(draw, *context: str) -> str:
    password = draw(DRAWN)
    assume(novel(password, *context))
    return password


def leaked(password: str, *outputs: str) -> list[str]:
    """The 4-character pieces of ``password`` found in ``outputs`` (should be none)."""
    text = "\n".join(outputs)
    return sorted(p for p in password_pieces(password) if p in text)


def assert_no_leak(password: str, **outputs: str) -> None:
    for name, text in outputs.items():
        found = leaked(password, text)
        assert not found, f"{name} shows pieces {found} of the password: {text[:2000]!r}"


PLACEMENTS = (
    "userinfo",
    "userinfo-encoded",
    "no-user",
    "as-username",  # redis://SECRET@host: the ':' forgotten
    "query",
    "query-encoded",
    "method-2",
)


def environment(placement: str, password: str, host: str, port: int) -> dict[str, str]:
    """The app environment with ``password`` put where ``placement`` says."""
    where = f"{host}:{port}/0"
    if placement == "method-2":
        return {"REDIS_HOST": host, "REDIS_PORT": str(port), "REDIS_PASSWORD": password}
    url = {
        "userinfo": f"redis://default:{password}@{where}",
        "userinfo-encoded": f"redis://default:{quote(password, safe='')}@{where}",
        "no-user": f"redis://:{password}@{where}",
        "as-username": f"redis://{quote(password, safe='')}@{where}",
        "query": f"redis://{where}?password={password}",
        "query-encoded": f"redis://{where}?password={quote(password, safe='')}",
    }[placement]
    return {"REDIS_URL": url}
