"""One redaction for every output: passwords become ***, wherever and however they were written.

Used by the settings (``RedisConfigError``, ``target``), the clients the snippets build (their
exceptions), the doctor (text, JSON, progress) and ``--inspect``. Shown on
docs/troubleshooting/doctor.md.

Two layers, both linear in the length of the text:

- known secrets: every form of the configured password (raw, trimmed, without the spaces
  a paste added, percent-encoded), found in ``REDIS_URL`` (userinfo or ``?password=``) or
  ``REDIS_PASSWORD``, is replaced wherever it appears;
- shapes that carry a password even when we do not know it: the userinfo of any URL,
  ``?password=…`` to the end of the URL, and the arguments after ``AUTH`` in a server's
  "unknown command" echo (``HELLO 3 AUTH user password`` on a server without HELLO; the
  server cuts long arguments, so the password may appear only in part).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus, unquote, urlsplit

REDACTED = "***"
MIN_SECRET = 3  # shorter "secrets" would blank out ordinary text; the shapes still apply

# The arguments a server echoes after AUTH, to the end of the line: 'AUTH' quoted (redis-py
# and Valkey: "with args beginning with: '3' 'AUTH' 'user' 'pass'", or "unknown command
# 'AUTH', with args …"), or a bare "HELLO 3 AUTH user pass". A proxy's "AUTH failed: not on
# the allow list" and Redis's "AUTH <password> called without …" name no password: kept.
_AUTH_ECHO = re.compile(r"'auth',?[ \t]+|\bhello[ \t]+\S+[ \t]+auth[ \t]+", re.IGNORECASE)
# ?password=… (also &password=, ;password=) to the end of the URL: a raw '&' may be in it.
_QUERY_PASSWORD = re.compile(r"([?&;]password=)\S*", re.IGNORECASE)
_SPACES = re.compile(r"(\s+)")


def secret_forms(secret: str | None) -> set[str]:
    """The ways a secret can be written: raw, trimmed, without spaces, encoded, decoded."""
    if not secret:
        return set()
    forms: set[str] = set()
    for text in (secret, unquote(secret)):
        forms |= {text, text.strip(), "".join(text.split())}
    for form in list(forms):
        forms |= {quote(form, safe=""), quote(form), quote_plus(form)}
    return {f for f in forms if len(f) >= MIN_SECRET}


def url_secrets(url: str | None) -> set[str]:
    """Every string of ``url`` that may be a password: userinfo and ``password=`` values.

    Generous on purpose: a password with an unencoded '@', '/', '[' or a space breaks URL
    parsing, so the candidates come from several readings (the last '@', urlsplit, the raw
    text with and without whitespace).
    """
    found: set[str] = set()
    if not url:
        return found
    for text in {url, "".join(url.split())}:
        rest = text.partition("://")[2] or text
        creds, at, _ = rest.rpartition("@")
        if at:
            user, colon, password = creds.partition(":")
            found.add(password if colon else user)  # no ':': the "user" may be a password
            first = rest.partition("@")[0]
            found.add(first.partition(":")[2] or first)
        lowered = text.lower()
        start = lowered.find("password=")
        while start >= 0:
            value = text[start + len("password=") :]
            found |= {value, value.partition("&")[0], value.partition("#")[0]}
            start = lowered.find("password=", start + 1)
        try:
            parts = urlsplit(text)
            found.add(parts.password or parts.username or "")
        except ValueError:
            pass
    return set().union(*(secret_forms(s) for s in found))


def env_secrets(env: Mapping[str, str]) -> set[str]:
    """The secrets an app environment holds (Method 1 and Method 2)."""
    return url_secrets(env.get("REDIS_URL")) | secret_forms(env.get("REDIS_PASSWORD"))


def _redact_urls(text: str) -> str:
    """scheme://user:PASSWORD@host → scheme://user:***@host, for every URL in ``text``."""
    pieces = _SPACES.split(text)
    for i, piece in enumerate(pieces):
        if "://" not in piece:
            continue
        parts = piece.split("://")
        for j in range(1, len(parts)):
            creds, at, rest = parts[j].rpartition("@")
            user, colon, _ = creds.partition(":")
            if at and colon:
                parts[j] = f"{user}:{REDACTED}@{rest}"
        pieces[i] = "://".join(parts)
    return "".join(pieces)


def _blank(text: str, secrets: set[str]) -> str:
    """Every occurrence of every secret, found in the original text, replaced once: two
    secrets may overlap (replacing one first would hide the other from a later search)."""
    spans: list[tuple[int, int]] = []
    for secret in secrets:
        at = text.find(secret)
        while at >= 0:
            spans.append((at, at + len(secret)))
            at = text.find(secret, at + len(secret))
    if not spans:
        return text
    spans.sort()
    out, done = [], 0
    for start, end in spans:
        if start > done:
            out += [text[done:start], REDACTED]
        elif not out:
            out.append(REDACTED)
        done = max(done, end)
    out.append(text[done:])
    return "".join(out)


def _redact_auth_echo(text: str) -> str:
    if "auth" not in text.lower():
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        match = _AUTH_ECHO.search(line)
        if match:
            lines[i] = line[: match.end()] + REDACTED
    return "\n".join(lines)


# --8<-- [start:redact]
def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every known secret, URL password and AUTH argument replaced by ***."""
    text = _blank(text, {s for s in secrets if len(s) >= MIN_SECRET})
    text = _redact_auth_echo(text)
    text = _QUERY_PASSWORD.sub(rf"\g<1>{REDACTED}", text)
    return _redact_urls(text)


def redact_url(url: str) -> str:
    """A URL fit to print: its own password (wherever it was put) replaced by ***."""
    return printable(redact(url, url_secrets(url)))


def printable(text: str) -> str:
    """Control and format characters (terminal escapes, bidi overrides) shown as \\x1b etc."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


# --8<-- [end:redact]


def redact_exception(error: BaseException, secrets: Iterable[str] = ()) -> BaseException:
    """Redact the messages of ``error`` and of every exception chained to it, in place."""
    secrets = tuple(secrets)
    seen: set[int] = set()
    current: BaseException | None = error
    stack = [error]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if not isinstance(current, OSError):  # OSError's str() is its errno and strerror
            current.args = tuple(
                redact(a, secrets) if isinstance(a, str) else a for a in current.args
            )
        stack += [current.__cause__, current.__context__]
    return error


class Redactor:
    """A callable redaction bound to one environment's secrets (what the doctor prints)."""

    def __init__(self, *secrets: str | None) -> None:
        self.secrets = set().union(*(secret_forms(s) for s in secrets))

    @classmethod
    def for_env(cls, env: Mapping[str, str]) -> Redactor:
        return cls(*env_secrets(env))

    def __call__(self, text: str) -> str:
        return printable(redact(text, self.secrets))


if __name__ == "__main__":
    example = "redis://default:s3cr%40t@red-xxxxx:6379/0?password=s3cr@t"
    print(redact_url(example))
    print(redact("unknown command 'HELLO', with args beginning with: '3' 'AUTH' 'u' 'p4ss'"))
