"""A redis-py client built from the environment: pool, timeouts, retries, logged connects.

Shown on docs/quickstart/digitalocean.md, docs/quickstart/elasticache.md,
docs/quickstart/heroku.md, docs/quickstart/railway.md, docs/quickstart/render.md,
docs/quickstart/self-hosted.md, docs/quickstart/upstash.md, docs/setup/configuration.md and
docs/setup/connections.md.
Run ``python -m snippets.config.client`` to connect with your environment and PING.
"""

from __future__ import annotations

import logging
import threading
from contextvars import ContextVar

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import AuthenticationError
from redis.retry import Retry

from snippets.config.redact import redact_exception, secret_forms
from snippets.config.settings import RedisSettings, load_settings

log = logging.getLogger("pharmacare.redis")

# --8<-- [start:options]
POOL_SIZE = 10  # connections per process; processes × POOL_SIZE ≤ your plan's limit
POOL_TIMEOUT = 5.0  # seconds to wait for a free connection, then "No connection available."
CONNECT_TIMEOUT = 5.0  # seconds for TCP + TLS + AUTH
SOCKET_TIMEOUT = 5.0  # seconds to wait for a reply (blocking commands need more)
HEALTH_CHECK_INTERVAL = 30  # PING an idle connection before reuse, if idle this long
RETRIES = 3  # retries after the first try, for connection errors and timeouts only
# --8<-- [end:options]

CONNECTED = {
    "cache": "Redis cache connected successfully",
    "queue": "Queue Redis client connected",
    "presence": "Presence Redis client connected",
}


# --8<-- [start:retry]
_retrying: ContextVar[bool] = ContextVar("pharmacare_redis_retrying", default=False)


class ConnectionRetry(Retry):
    """redis-py's Retry with two corrections, so "3 retries" means 4 attempts in all:

    - redis-py nests retries (a command's retry reconnects with a retry of its own, whose
      handshake runs a health-check PING with yet another): only the outermost loop retries;
      a nested call gets one attempt, and the outer loop tries again.
    - AuthenticationError is a ConnectionError subclass in redis-py, but a wrong password
      does not get better by trying again: it is never retried.
    """

    def call_with_retry(self, do, fail, is_retryable=None, with_failure_count=False):
        def retryable(error: Exception) -> bool:
            if isinstance(error, AuthenticationError):
                return False
            return is_retryable is None or is_retryable(error)

        if _retrying.get():  # nested: a single attempt, cleaned up like redis-py would
            try:
                return do()
            except self._supported_errors as error:
                fail(error, 1) if with_failure_count else fail(error)
                raise
        token = _retrying.set(True)
        try:
            return super().call_with_retry(do, fail, retryable, with_failure_count)
        finally:
            _retrying.reset(token)


def make_retry() -> Retry:
    # backoff: random(0, 0.1 s × 2^n), capped at 2 s — exponential with full jitter
    backoff = ExponentialWithJitterBackoff(base=0.1, cap=2.0)
    return ConnectionRetry(backoff, retries=RETRIES)


# --8<-- [end:retry]


class _ConnectLog:
    """Logs the first connect and each recovery once per client — never per command."""

    def __init__(self, message: str, target: str) -> None:
        self.message, self.target = message, target
        self.up, self.generation = False, 0
        self.lock = threading.Lock()

    def connected(self, conn: redis.Connection) -> None:
        with self.lock:
            if not self.up:
                verb = self.message if self.generation == 0 else "Redis connection recovered"
                log.info("%s: %s", verb, self.target)
                self.up, self.generation = True, self.generation + 1
            conn._pc_generation = self.generation

    def failed(self, conn: redis.Connection) -> None:
        with self.lock:  # an error on a connection from before the last recovery is stale
            if getattr(conn, "_pc_generation", self.generation) == self.generation:
                self.up = False


network_errors = (redis.ConnectionError, redis.TimeoutError, OSError)


def redacted(connection: redis.Connection, error: BaseException) -> BaseException:
    """``error`` without the connection's password in it (nor in its chained errors).

    A server without HELLO answers redis-py's ``HELLO 3 AUTH user password`` with an
    "unknown command" error that echoes the arguments: the password included.
    """
    return redact_exception(error, secret_forms(getattr(connection, "password", None)))


def redacting_connection(base: type) -> type:
    """``base`` raising errors without its password, for clients built without make_client
    (the doctor's): the same redaction as LoggingConnection below."""

    class RedactingConnection(base):
        def connect_check_health(self, *args, **kwargs):
            try:
                super().connect_check_health(*args, **kwargs)
            except Exception as error:
                redacted(self, error)
                raise

        def read_response(self, *args, **kwargs):
            try:
                return super().read_response(*args, **kwargs)
            except redis.RedisError as error:
                redacted(self, error)
                raise

    return RedactingConnection


def _logging_connection(base: type, state: _ConnectLog) -> type:
    """``base`` (Connection, SSLConnection, …) reporting connects and I/O failures, and
    raising errors without the password in them."""

    class LoggingConnection(base):
        def connect_check_health(self, *args, **kwargs):
            try:
                super().connect_check_health(*args, **kwargs)
            except network_errors as error:
                state.failed(self)
                redacted(self, error)
                raise
            except Exception as error:
                redacted(self, error)
                raise

        def on_connect_check_health(self, *args, **kwargs):
            super().on_connect_check_health(*args, **kwargs)
            state.connected(self)

        def send_packed_command(self, *args, **kwargs):
            try:
                return super().send_packed_command(*args, **kwargs)
            except network_errors:
                state.failed(self)
                raise

        def can_read(self, *args, **kwargs):  # the pool's staleness probe before reuse
            try:  # (a pending pub/sub message is data, not a failure)
                return super().can_read(*args, **kwargs)
            except network_errors:  # EOF/reset on an idle connection: the server went away
                state.failed(self)
                raise

        def read_response(self, *args, **kwargs):
            try:
                return super().read_response(*args, **kwargs)
            except network_errors as error:
                state.failed(self)
                redacted(self, error)
                raise
            except redis.ResponseError as error:  # an echo of AUTH arguments
                redacted(self, error)
                raise

    LoggingConnection.__name__ = f"Logging{base.__name__}"
    return LoggingConnection


def default_options(purpose: str) -> dict:
    """Pool and socket options; options in the URL's query string override them."""
    return {
        "max_connections": POOL_SIZE,
        "timeout": POOL_TIMEOUT,
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "socket_timeout": SOCKET_TIMEOUT,
        "socket_keepalive": True,
        "health_check_interval": HEALTH_CHECK_INTERVAL,
        "client_name": f"pharmacare-{purpose}",
    }


# --8<-- [start:make-client]
def make_client(purpose: str = "cache", settings: RedisSettings | None = None) -> redis.Redis:
    """One client (and pool) per process and purpose; create it after any fork."""
    settings = settings or load_settings()
    options = default_options(purpose)
    options.update(redis.connection.parse_url(settings.url))  # the URL's own options win
    if settings.scheme == "unix":
        options.pop("socket_keepalive")  # a TCP option; a Unix socket rejects it
    state = _ConnectLog(
        CONNECTED.get(purpose, f"Redis {purpose} client connected"), settings.target
    )
    base = options.pop("connection_class", redis.Connection)
    pool = redis.BlockingConnectionPool(
        connection_class=_logging_connection(base, state), retry=make_retry(), **options
    )
    return redis.Redis.from_pool(pool)  # closing the client closes its pool


# --8<-- [end:make-client]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    client = make_client()
    print("PING ->", client.ping())
