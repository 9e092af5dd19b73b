"""Redis settings from the environment: REDIS_URL (Method 1) or REDIS_HOST & co (Method 2).

Shown on docs/setup/configuration.md. The precedence table on that page is generated from
``PRECEDENCE`` below, so the page and the code cannot disagree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from snippets.checks import CHECKS
from snippets.config.url_inspect import describe, inspect, is_loopback

# --8<-- [start:precedence]
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
        "with APP_ENV=production startup fails with config.missing",
    ),
)
# --8<-- [end:precedence]


class RedisConfigError(ValueError):
    """A configuration problem, with the check id the doctor and the docs use."""

    def __init__(self, check_id: str, detail: str = "") -> None:
        self.check_id = check_id
        message = CHECKS[check_id].summary + (f" ({detail})" if detail else "")
        super().__init__(f"{check_id}: {message}")


# --8<-- [start:settings]
@dataclass(frozen=True)
class RedisSettings:
    """Where and how to connect. The password never appears in repr() or logs."""

    url: str = field(repr=False)  # the full URL, credentials included: pass it to redis-py only
    source: str  # "REDIS_URL", "REDIS_HOST" or "default"
    scheme: str
    host: str | None
    port: int | None
    db: int
    username: str | None
    password_set: bool
    production: bool
    findings: tuple[str, ...] = ()  # warning ids, e.g. ("url.localhost",)

    @property
    def tls(self) -> bool:
        return self.scheme == "rediss"

    @property
    def target(self) -> str:
        """A printable description: scheme, user, host, port and db, password as ***."""
        user = (
            f"{self.username or ''}:***@"
            if self.password_set
            else (f"{self.username}@" if self.username else "")
        )
        where = f"{self.host}:{self.port}" if self.scheme != "unix" else (self.host or "")
        return f"{self.scheme}://{user}{where}/{self.db}"


# --8<-- [end:settings]


# --8<-- [start:load-settings]
def load_settings(env: Mapping[str, str] = os.environ) -> RedisSettings:
    """Resolve Redis settings exactly as the app does. Raises RedisConfigError."""
    production = env.get("APP_ENV", "").strip().lower() == "production"
    if env.get("REDIS_URL", "").strip():
        url, source = env["REDIS_URL"], "REDIS_URL"
    elif env.get("REDIS_HOST", "").strip():
        url, source = _url_from_parts(env), "REDIS_HOST"
    elif production:
        raise RedisConfigError("config.missing", "APP_ENV=production and neither is set")
    else:
        url, source = "redis://localhost:6379/0", "default"

    parts = inspect(url)
    if parts["error"]:
        detail = describe(url, parts)
        raise RedisConfigError(parts["error"], f"{source}: {detail}" if detail else source)
    findings = tuple(parts["findings"])
    if source == "REDIS_HOST" and any(env.get(n, "") != env.get(n, "").strip() for n in METHOD_2):
        findings += ("url.whitespace",)  # e.g. a newline pasted with REDIS_PASSWORD
    if production and parts["host"] and is_loopback(parts["host"]):
        raise RedisConfigError("config.localhost-in-production", source)
    return RedisSettings(
        url="".join(url.split()),  # a newline pasted with a secret is not part of it
        source=source,
        scheme=parts["scheme"],
        host=parts["host"] or parts["path"],
        port=parts["port"],
        db=parts["db"],
        username=parts["username"],
        password_set=parts["password_set"],
        production=production,
        findings=findings,
    )


# --8<-- [end:load-settings]


METHOD_2 = ("REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_DB", "REDIS_USERNAME")


def _url_from_parts(env: Mapping[str, str]) -> str:
    """Method 2: build the equivalent URL, percent-encoding user and password."""
    host = env["REDIS_HOST"].strip()
    port = env.get("REDIS_PORT", "6379").strip() or "6379"
    db = env.get("REDIS_DB", "0").strip() or "0"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise RedisConfigError("url.invalid-port", "REDIS_PORT")
    if not db.isdigit():
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
