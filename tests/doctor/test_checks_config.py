"""snippets/doctor/checks_config.py: configuration errors and warnings, offline."""

from __future__ import annotations

import os

import pytest

from snippets.doctor.checks_config import background_jobs_enabled, check_configuration
from tests.demos import run_demo

BROKEN = {
    "url.malformed": "redis://:pa@ss/word@127.0.0.1:6379/0",
    "url.missing-scheme": "127.0.0.1:6379",
    "url.unsupported-scheme": "valkey://127.0.0.1:6379/0",
    "url.missing-host": "redis://:6379/0",
    "url.invalid-port": "redis://127.0.0.1:99999/0",
    "url.invalid-db": "redis://127.0.0.1:6379/cache",
    "url.invalid-option": "rediss://127.0.0.1:6379/0?ssl_cert_reqs=None",
}


@pytest.mark.parametrize("check_id", sorted(BROKEN))
def test_url_errors_fail_before_any_connection(check_id):
    settings, results = check_configuration({"REDIS_URL": BROKEN[check_id]})
    assert settings is None
    assert (results[0].id, results[0].status) == (check_id, "fail")


def test_unencoded_password_is_explained():
    _, results = check_configuration({"REDIS_URL": BROKEN["url.malformed"]})
    assert [r.id for r in results] == ["url.malformed", "url.password-unencoded"]


def test_missing_in_production_and_localhost_in_production():
    _, results = check_configuration({"APP_ENV": "production"})
    assert (results[0].id, results[0].status) == ("config.missing", "fail")
    _, results = check_configuration(
        {"APP_ENV": "production", "REDIS_URL": "redis://localhost:6379"}
    )
    assert (results[0].id, results[0].status) == ("config.localhost-in-production", "fail")


def test_default_outside_production_and_method_2():
    settings, results = check_configuration({})
    assert settings.source == "default"
    assert [(r.id, r.status) for r in results] == [
        ("config.missing", "pass"),
        ("url.localhost", "warn"),
    ]
    settings, results = check_configuration(
        {"REDIS_HOST": "10.0.0.7", "REDIS_PASSWORD": "secret-value-1\n"}
    )
    assert settings.source == "REDIS_HOST"
    assert "url.whitespace" in [r.id for r in results]


def test_background_jobs_switch():
    assert background_jobs_enabled({})
    assert background_jobs_enabled({"DISABLE_BACKGROUND_JOBS": "false"})
    assert not background_jobs_enabled({"DISABLE_BACKGROUND_JOBS": " TRUE "})


def test_demo_runs():
    env = {**os.environ, "REDIS_URL": "redis://red-xxxxx:6379"}
    out = run_demo("snippets.doctor.checks_config", env=env, check=True)
    assert "config.missing" in out.stdout


def test_demo_in_process(monkeypatch, capsys):
    """The same demo in-process, so its lines count even if a subprocess's data is lost."""
    import runpy

    monkeypatch.setenv("REDIS_URL", "redis://red-xxxxx:6379")
    from snippets.doctor import checks_config as module

    runpy.run_path(module.__file__, run_name="__main__")
    assert capsys.readouterr().out


def test_doctor_names_the_fields_and_fails_where_a_client_throws(capsys):
    from snippets.doctor import cli

    assert cli.main(["--inspect", "redis://red-xxxxx:6379/0?db=5"]) == 0
    out = capsys.readouterr().out
    assert "warn  url.clients-disagree: " in out and "ioredis uses db 0, redis-py uses db 5" in out
    assert cli.main(["--inspect", "redis://default:100%Zq7secret@red-xxxxx:6379"]) == 0
    out = capsys.readouterr().out
    assert "fail  url.clients-disagree: " in out and "ioredis throws URIError" in out
    assert "Zq7secret" not in out
    _, results = check_configuration({"REDIS_URL": "redis://default:100%Zq7secret@red-xxxxx:6379"})
    row = next(r for r in results if r.id == "url.clients-disagree")
    assert row.status == "fail" and "Zq7secret" not in row.summary
    _, results = check_configuration({"REDIS_URL": "redis://red-xxxxx:6379?db=1&db=2"})
    row = next(r for r in results if r.id == "url.clients-disagree")
    assert row.status == "warn" and "ioredis uses db 2, redis-py uses db 1" in row.summary
    _, results = check_configuration({"REDIS_URL": "redis://red-xxxxx:6379?family=0"})
    row = next(r for r in results if r.id == "url.clients-disagree")
    assert row.status == "fail" and "redis-py throws TypeError" in row.summary
