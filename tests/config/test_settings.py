"""snippets/config/settings.py: precedence, defaults, production rules, redaction."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from snippets.config.settings import PRECEDENCE, RedisConfigError, load_settings
from tests.demos import run_demo

# The shown files this module validates (the site's badge for them links here).
SHOWS = (
    "snippets/config/env.production.example",
    "snippets/config/method-1.env",
    "snippets/config/method-2.env",
)

SECRET = "s3cr3t-Pa55word-only-here"


def test_redis_url_wins_over_parts():
    env = {"REDIS_URL": "redis://red-xxxxx:6379", "REDIS_HOST": "other", "REDIS_PASSWORD": SECRET}
    settings = load_settings(env)
    assert (settings.source, settings.host, settings.password_set) == (
        "REDIS_URL",
        "red-xxxxx",
        False,
    )


def test_method_2_builds_an_encoded_url():
    env = {
        "REDIS_HOST": "cache.internal",
        "REDIS_PORT": "6380",
        "REDIS_DB": "2",
        "REDIS_USERNAME": "app",
        "REDIS_PASSWORD": "p@ss/w#rd?" + SECRET,
    }
    settings = load_settings(env)
    assert (settings.host, settings.port, settings.db, settings.username) == (
        "cache.internal",
        6380,
        2,
        "app",
    )
    assert settings.password_set and SECRET not in repr(settings)
    assert settings.target == "redis://app:***@cache.internal:6380/2"


def test_default_outside_production_is_localhost():
    settings = load_settings({})
    assert (settings.source, settings.host, settings.port, settings.db) == (
        "default",
        "localhost",
        6379,
        0,
    )
    assert settings.findings == ("url.localhost",)


def test_production_without_configuration_fails_fast():
    with pytest.raises(RedisConfigError) as info:
        load_settings({"APP_ENV": "production"})
    assert info.value.check_id == "config.missing"
    assert "REDIS_URL" in str(info.value) and "REDIS_HOST" in str(info.value)


def test_production_with_localhost_fails():
    with pytest.raises(RedisConfigError) as info:
        load_settings({"APP_ENV": "production", "REDIS_URL": "redis://127.0.0.1:6379"})
    assert info.value.check_id == "config.localhost-in-production"


@pytest.mark.parametrize(
    ("env", "check_id"),
    [
        ({"REDIS_URL": "red-xxxxx:6379"}, "url.missing-scheme"),
        ({"REDIS_URL": "valkey://red-xxxxx:6379"}, "url.unsupported-scheme"),
        ({"REDIS_HOST": "h", "REDIS_PORT": "redis"}, "url.invalid-port"),
        ({"REDIS_HOST": "h", "REDIS_PORT": "0"}, "url.invalid-port"),
        ({"REDIS_HOST": "h", "REDIS_DB": "one"}, "url.invalid-db"),
    ],
)
def test_errors_have_ids(env, check_id):
    with pytest.raises(RedisConfigError) as info:
        load_settings(env)
    assert info.value.check_id == check_id


def test_error_never_contains_the_password():
    with pytest.raises(RedisConfigError) as info:
        load_settings({"REDIS_URL": f"redis://default:{SECRET}@h:99999"})
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)


def test_whitespace_pasted_with_a_secret_is_reported_and_removed():
    settings = load_settings({"REDIS_HOST": "h", "REDIS_PASSWORD": SECRET + "\n"})
    assert "url.whitespace" in settings.findings
    assert settings.url == f"redis://:{SECRET}@h:6379/0"


def test_precedence_table_is_what_the_code_does():
    assert PRECEDENCE[0][1] == "REDIS_URL"


@pytest.mark.parametrize(
    ("env", "expected", "code"),
    [
        ({"REDIS_URL": "redis://red-xxxxx:6379"}, "redis://red-xxxxx:6379/0 (from REDIS_URL", 0),
        ({"APP_ENV": "production"}, "configuration error: config.missing", 1),
    ],
)
def test_demo(env, expected, code):
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("REDIS")} | env
    out = run_demo("snippets.config.settings", env=run_env)
    assert out.returncode == code
    assert expected in out.stdout + out.stderr


def read_env_file(name: str) -> dict[str, str]:
    path = Path(__file__).resolve().parents[2] / "snippets" / "config" / name
    pairs = (
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    return {key.strip(): value for key, value in pairs}


def test_method_1_env_file_resolves():  # shown on docs/setup/configuration.md
    settings = load_settings(read_env_file("method-1.env"))
    assert (settings.source, settings.host, settings.port) == ("REDIS_URL", "red-xxxxx", 6379)


def test_method_2_env_file_resolves():  # shown on docs/setup/configuration.md
    settings = load_settings(read_env_file("method-2.env"))
    assert (settings.source, settings.host, settings.db, settings.password_set) == (
        "REDIS_HOST",
        "localhost",
        0,
        True,
    )


def test_tls_and_unix_targets():
    tls = load_settings({"REDIS_URL": "rediss://default:x-secret-9@h.example.com:6380"})
    assert tls.tls and tls.target == "rediss://default:***@h.example.com:6380/0"
    unix = load_settings({"REDIS_URL": "unix:///run/redis.sock?db=1"})
    assert not unix.tls and unix.target == "unix:///run/redis.sock/1"
    # A user name without ':' may be a password pasted without it: masked, and a warning.
    user_only = load_settings({"REDIS_URL": "redis://app@h.internal:6379"})
    assert user_only.target == "redis://***@h.internal:6379/0"
    assert "url.password-as-username" in user_only.findings
    assert "app" not in repr(user_only)
    method_2 = load_settings({"REDIS_HOST": "h.internal", "REDIS_USERNAME": "app"})
    assert method_2.target == "redis://app@h.internal:6379/0"  # a user name by definition
    assert "url.password-as-username" not in method_2.findings


def test_production_env_example_resolves():  # snippets/config/env.production.example
    env = read_env_file("env.production.example")
    assert env["NODE_ENV"] == "production"
    settings = load_settings(env)
    assert settings.production and settings.source == "REDIS_URL"
    assert settings.host == "red-xxxxx" and not settings.findings
    text = Path(__file__).resolve().parents[2] / "snippets/config/env.production.example"
    for name in (
        "REDIS_HOST",
        "REDIS_PORT",
        "REDIS_PASSWORD",
        "REDIS_DB",
        "CACHE_PROVIDER",
        "DISABLE_BACKGROUND_JOBS",
    ):
        assert f"# {name}=" in text.read_text()  # both methods and the switches are documented


def test_capture_configuration_errors(capture):
    """The messages shown on the Configuration page, from real calls."""
    cases = [
        {"REDIS_URL": "red-xxxxx:6379"},
        {"REDIS_URL": "valkey://red-xxxxx:6379"},
        {"REDIS_URL": "redis://default:pa#ss@red-xxxxx:6379"},
        {"REDIS_URL": "rediss://:PASSWORD@host.example.com:6380?ssl_cert_reqs=None"},
        {"APP_ENV": "production"},
        {"APP_ENV": "production", "REDIS_URL": "redis://localhost:6379"},
    ]
    lines = []
    for env in cases:
        shown = " ".join(f"{k}={v}" for k, v in env.items())
        with pytest.raises(RedisConfigError) as info:
            load_settings(env)
        lines.append(f"$ {shown}\nRedisConfigError: {info.value}")
    capture("config-errors", "\n\n".join(lines), offline=True)


@pytest.mark.parametrize(
    "host",
    [
        "localhost.",
        "[::ffff:127.0.0.1]",
        "[::]",
        "2130706433",
        "0x7f000001",
        "127.1",
        "app.localhost",
        "0.0.0.0",
        "[::1]",
        "LOCALHOST",
    ],
)
def test_production_localhost_guard_knows_every_spelling(host):
    with pytest.raises(RedisConfigError, match=r"config\.localhost-in-production"):
        load_settings({"APP_ENV": "production", "REDIS_URL": f"redis://{host}:6379/0"})


@pytest.mark.parametrize("host", ["red-xxxxx", "10.0.0.7", "[2001:db8::1]", "localhost.example"])
def test_production_guard_lets_real_hosts_through(host):
    load_settings({"APP_ENV": "production", "REDIS_URL": f"redis://{host}:6379/0"})
