"""The asyncio twin of snippets/config/client.py, for FastAPI and other async apps.

Shown on docs/setup/connections.md. Same settings, pool size, timeouts, retry policy and
once-per-connect logging as the sync client. Run ``python -m snippets.config.async_client``.
"""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.connection import parse_url
from redis.exceptions import AuthenticationError

from snippets.config.client import (
    CONNECTED,
    RETRIES,
    _ConnectLog,
    _retrying,
    default_options,
    network_errors,
    redacted,
)
from snippets.config.settings import RedisSettings, load_settings


class AsyncConnectionRetry(Retry):
    """redis.asyncio's Retry with the sync client's corrections: one retry loop (nested
    calls get one attempt), and a wrong password is never retried."""

    async def call_with_retry(self, do, fail, is_retryable=None, with_failure_count=False):
        def retryable(error: Exception) -> bool:
            if isinstance(error, AuthenticationError):
                return False
            return is_retryable is None or is_retryable(error)

        if _retrying.get():  # nested inside another retried call: one attempt
            try:
                return await do()
            except self._supported_errors as error:
                await (fail(error, 1) if with_failure_count else fail(error))
                raise
        token = _retrying.set(True)
        try:
            return await super().call_with_retry(do, fail, retryable, with_failure_count)
        finally:
            _retrying.reset(token)


def _logging_connection(base: type, state: _ConnectLog) -> type:
    class LoggingConnection(base):
        async def connect_check_health(self, *args, **kwargs):
            try:
                await super().connect_check_health(*args, **kwargs)
            except network_errors as error:
                state.failed(self)
                redacted(self, error)
                raise
            except Exception as error:  # e.g. HELLO unknown: its echo has the password
                redacted(self, error)
                raise

        async def on_connect_check_health(self, *args, **kwargs):
            await super().on_connect_check_health(*args, **kwargs)
            state.connected(self)

        async def send_packed_command(self, *args, **kwargs):
            try:
                return await super().send_packed_command(*args, **kwargs)
            except network_errors:
                state.failed(self)
                raise

        async def read_response(self, *args, **kwargs):
            try:
                return await super().read_response(*args, **kwargs)
            except network_errors as error:
                state.failed(self)
                redacted(self, error)
                raise
            except aioredis.ResponseError as error:
                redacted(self, error)
                raise

    return LoggingConnection


def redacting_connection(base: type) -> type:
    """``base`` raising errors without its password in them, for clients built elsewhere
    (BullMQ's): a server without HELLO echoes ``HELLO 3 AUTH user password``."""

    class RedactingConnection(base):
        async def connect_check_health(self, *args, **kwargs):
            try:
                await super().connect_check_health(*args, **kwargs)
            except Exception as error:
                redacted(self, error)
                raise

        async def read_response(self, *args, **kwargs):
            try:
                return await super().read_response(*args, **kwargs)
            except aioredis.RedisError as error:
                redacted(self, error)
                raise

    return RedactingConnection


def redact_errors(client: aioredis.Redis | None) -> None:
    """Make a client built elsewhere (BullMQ's) raise errors without the password."""
    if client is not None:
        pool = client.connection_pool
        pool.connection_class = redacting_connection(pool.connection_class)


_ASYNC_CLASSES = {
    "Connection": aioredis.Connection,
    "SSLConnection": aioredis.SSLConnection,
    "UnixDomainSocketConnection": aioredis.UnixDomainSocketConnection,
}


# --8<-- [start:make-async-client]
def make_async_client(
    purpose: str = "cache", settings: RedisSettings | None = None
) -> aioredis.Redis:
    """One client per process and event loop: create it in your app's lifespan/startup."""
    settings = settings or load_settings()
    options = default_options(purpose)
    options.update(parse_url(settings.url))
    if settings.scheme == "unix":
        options.pop("socket_keepalive")
    sync_class = options.pop("connection_class", None)
    base = _ASYNC_CLASSES[sync_class.__name__ if sync_class else "Connection"]
    state = _ConnectLog(
        CONNECTED.get(purpose, f"Redis {purpose} client connected"), settings.target
    )
    retry = AsyncConnectionRetry(ExponentialWithJitterBackoff(base=0.1, cap=2.0), RETRIES)
    pool = aioredis.BlockingConnectionPool(
        connection_class=_logging_connection(base, state), retry=retry, **options
    )
    return aioredis.Redis.from_pool(pool)  # aclose() also closes the pool


# --8<-- [end:make-async-client]


async def _demo() -> None:
    client = make_async_client()
    print("PING ->", await client.ping())
    await client.aclose()


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(_demo())
