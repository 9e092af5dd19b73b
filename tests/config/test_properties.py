"""Property tests: any URL or environment resolves or fails with a documented id, and the
password never appears in any output. CI (HYPOTHESIS_PROFILE=ci) runs 10,000+ cases."""

from __future__ import annotations

import io
import logging
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snippets.checks import CHECKS
from snippets.config.client import make_client
from snippets.config.settings import RedisConfigError, load_settings
from snippets.config.url_inspect import inspect

# Passwords: 8+ characters, a marker prefix that occurs nowhere else in the input.
PASSWORDS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=6
).map(lambda s: "Zq" + s)
SCHEMES = st.sampled_from(["redis", "rediss", "unix", "valkey", "REDIS", "http", ""])
HOSTS = st.sampled_from(
    [
        "red-xxxxx",
        "localhost",
        "127.0.0.1",
        "[::1]",
        "cache.example.com",
        "redis.railway.internal",
        "",
        "bad host",
        "h:1:2",
    ]
)
PORTS = st.one_of(st.integers(-1, 70000).map(str), st.sampled_from(["", "abc", "6379"]))
QUERIES = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "db",
                "socket_timeout",
                "ssl_cert_reqs",
                "decode_responses",
                "health_check_interval",
                "ssl_check_hostname",
                "foo",
                "protocol",
            ]
        ),
        st.sampled_from(
            [
                "0",
                "1",
                "2",
                "3",
                "-1",
                "none",
                "None",
                "False",
                "abc",
                "2.5",
                "",
                "required",
                "1e3",
                " 4",
            ]
        ),
    ),
    max_size=3,
).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))
WHITESPACE = st.sampled_from(["", " ", "\n", "\t", "\r\n"])


@st.composite
def urls(draw) -> tuple[str, str]:
    password = draw(PASSWORDS)
    shown = quote(password, safe="") if draw(st.booleans()) else password
    user = draw(st.sampled_from(["", "default", "app"]))
    auth = draw(st.sampled_from([f"{user}:{shown}@", f":{shown}@", ""]))
    path = draw(st.sampled_from(["", "/0", "/15", "/x", "/-1", "/0/1"]))
    query = draw(QUERIES)
    leak = draw(st.sampled_from(["", "password", "foo"]))  # file paths and names are not secrets
    if leak:  # a secret pasted into the query string must not be echoed either
        query = "&".join(filter(None, [query, f"{leak}={shown}"]))
    url = (
        f"{draw(WHITESPACE)}{draw(SCHEMES)}://{auth}{draw(HOSTS)}:{draw(PORTS)}{path}"
        f"{'?' + query if query else ''}{draw(WHITESPACE)}"
    )
    return url, password


def assert_hidden(password: str, *outputs: str) -> None:
    for output in outputs:
        assert password not in output
        if len(password) >= 8:
            assert quote(password, safe="") not in output


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(case=urls(), production=st.booleans())
def test_any_url_resolves_or_fails_with_an_id(case, production):
    url, password = case
    result = inspect(url)
    assert result["error"] is None or result["error"] in CHECKS
    assert set(result["findings"]) <= set(CHECKS)
    assert "password" not in result and password not in str(result)
    env = {"REDIS_URL": url, "APP_ENV": "production" if production else "development"}
    logs = io.StringIO()
    handler = logging.StreamHandler(logs)
    logging.getLogger().addHandler(handler)
    try:
        try:
            resolved = load_settings(env)
        except RedisConfigError as error:
            assert error.check_id in CHECKS and CHECKS[error.check_id].status in {"fail", "warn"}
            assert_hidden(password, str(error), repr(error))
            return
        client = make_client(settings=resolved)  # redis-py accepts what we accepted
        connection = client.connection_pool.make_connection()
        assert_hidden(
            password,
            repr(resolved),
            resolved.target,
            repr(client),
            repr(connection),
            logs.getvalue(),
        )
        client.close()
    finally:
        logging.getLogger().removeHandler(handler)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    host=st.sampled_from(["localhost", "cache.internal", " red-xxxxx ", "", "::1"]),
    port=PORTS,
    db=st.sampled_from(["", "0", "3", "x", "-1", " 2 "]),
    username=st.sampled_from(["", "default", "pharmacare-app"]),
    password=PASSWORDS,
    newline=WHITESPACE,
    production=st.booleans(),
)
def test_any_method_2_environment_resolves_or_fails_with_an_id(
    host, port, db, username, password, newline, production
):
    env = {
        "REDIS_HOST": host,
        "REDIS_PORT": port,
        "REDIS_DB": db,
        "REDIS_USERNAME": username,
        "REDIS_PASSWORD": password + newline,
    }
    if production:
        env["APP_ENV"] = "production"
    try:
        resolved = load_settings(env)
    except RedisConfigError as error:
        assert error.check_id in CHECKS
        assert_hidden(password, str(error), repr(error))
        return
    connection = make_client(settings=resolved).connection_pool.make_connection()
    if host.strip():  # the real secret reaches redis-py intact
        assert resolved.source == "REDIS_HOST"
        assert connection.password == password.strip()
    else:  # REDIS_HOST switches Method 2 on; without it the parts are not used
        assert resolved.source == "default" and connection.password is None
    assert_hidden(password, repr(resolved), resolved.target, repr(connection))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.text(),
        st.builds(
            lambda scheme, rest: f"{scheme}://{rest}",
            st.sampled_from(["redis", "rediss", "unix"]),
            st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))),
        ),
    )
)
def test_inspect_never_raises(text):
    """Any text at all, from a form field or a pasted secret: a verdict, never a traceback."""
    result = inspect(text)
    assert result["error"] is None or result["error"] in CHECKS
