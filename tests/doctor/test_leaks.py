"""No password in any output, against real servers that echo it (issue 14).

The servers have no HELLO (``rename-command HELLO ""``, as Redis 5 and some proxies): redis-py
opens every connection with ``HELLO 3 AUTH user password`` and the server answers with an
"unknown command" error that repeats those arguments. Hostile passwords
(tests/config/leaks.py) in every placement go through the doctor (text, JSON, progress),
the clients the snippets build (make_client, make_async_client, the without-Redis cache,
presence, the queues' producer client, the password-rotation check): their exceptions,
tracebacks and reprs, and every log record at DEBUG. Any 4-character piece is a leak.

Counts: these properties connect to servers, so they run fewer cases than the profile's
(``max_examples`` below, the same in CI); the offline property in
tests/config/test_redact.py runs the profile's count.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import traceback

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snippets.cache.without_redis import make_store
from snippets.config.async_client import make_async_client
from snippets.config.client import make_client
from snippets.config.settings import RedisConfigError, load_settings
from snippets.doctor.rotate import old_password_refused
from snippets.presence.presence import Presence
from snippets.queues.definitions import producer_client
from tests.config.leaks import PLACEMENTS, assert_no_leak, environment, passwords
from tests.config.test_redact import cli_output
from tests.doctor.helpers import run_doctor

NO_HELLO = ('rename-command HELLO ""',)


@contextlib.contextmanager
def debug_logs():
    """Every log record of every logger, at DEBUG, with tracebacks."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def failure(action) -> str:
    """What ``action`` raised, as a person or a log would see it: str, repr, traceback."""
    try:
        result = action()
    except Exception as error:
        return f"{error}\n{error!r}\n{''.join(traceback.format_exception(error))}"
    return f"returned {result!r}"


async def _async_failures(settings) -> str:
    texts = []
    for client in (make_async_client("cache", settings), producer_client(settings)):
        try:
            await client.ping()
        except Exception as error:
            texts.append(f"{error!r}\n{''.join(traceback.format_exception(error))}")
        texts.append(repr(client))
        await client.aclose()
    return "\n".join(texts)


def client_outputs(env: dict[str, str]) -> dict[str, str]:
    """The clients the snippets build, each made to connect once."""
    out: dict[str, str] = {}
    try:
        settings = load_settings(env)
    except RedisConfigError as error:
        return {"config error": f"{error} {error!r}"}
    client = make_client("cache", settings)
    out["make_client"] = failure(client.ping) + repr(client) + repr(client.connection_pool)
    out["presence"] = failure(lambda: Presence(client).connect("patient-42"))
    client.close()
    out["without-redis"] = failure(lambda: make_store(env).get("pharmacare:k"))
    out["async clients"] = asyncio.run(_async_failures(settings))
    if "REDIS_URL" in env:
        out["rotation"] = failure(lambda: old_password_refused(env["REDIS_URL"]))
    return out


@pytest.fixture
def no_hello_server(redis_factory):
    return redis_factory(password="x-not-the-drawn-one", config=NO_HELLO)


@settings(
    max_examples=40,  # each case connects ~10 times and runs the doctor: ~0.5 s
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(password=passwords("127.0.0.1 x-not-the-drawn-one"), placement=st.sampled_from(PLACEMENTS))
def test_clients_and_doctor_never_echo_the_password(no_hello_server, password, placement):
    env = environment(placement, password, "127.0.0.1", no_hello_server.port)
    with debug_logs() as logs:
        outputs = client_outputs(env)
        outputs["doctor text"] = cli_output(["--timeout", "2"], env)[1]
        outputs["doctor json"] = cli_output(["--json", "--timeout", "2"], env)[1]
    assert_no_leak(password, logs=logs.getvalue(), **outputs)


@settings(
    max_examples=10,  # each case starts two Python processes (~1.5 s each)
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(password=passwords("127.0.0.1 x-not-the-drawn-one"), placement=st.sampled_from(PLACEMENTS))
def test_doctor_subprocess_never_prints_the_password(no_hello_server, password, placement):
    env = environment(placement, password, "127.0.0.1", no_hello_server.port)
    text = run_doctor("--timeout", "2", env=env)
    data = run_doctor("--json", "--timeout", "2", env=env)
    assert_no_leak(
        password,
        text=text.stdout + text.stderr,
        json=data.stdout + data.stderr,
    )
    assert data.data["ok"] is False  # JSON printed, whatever failed
