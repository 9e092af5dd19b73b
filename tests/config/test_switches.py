"""snippets/config/switches.py: one parser per switch, the same words for every module."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snippets.cache import without_redis
from snippets.config import switches
from snippets.doctor import checks_config
from snippets.doctor.checks_config import check_configuration
from snippets.queues import definitions
from tests.demos import run_demo

SPEC = json.loads((Path(switches.__file__).with_name("switches.json")).read_text())


@pytest.mark.parametrize("word", ["true", "1", "yes", "on", " TRUE ", "On"])
def test_every_module_reads_jobs_off_the_same_way(word):
    env = {"DISABLE_BACKGROUND_JOBS": word}
    assert switches.switch("DISABLE_BACKGROUND_JOBS", env) is True
    assert not checks_config.background_jobs_enabled(env)  # the doctor
    assert not definitions.background_jobs_enabled(env)  # the queues
    assert without_redis.background_jobs_enabled(env) is False  # the startup check


@given(value=st.text(max_size=8))
def test_doctor_queues_and_startup_never_disagree(value):
    """Any value: the three modules agree, or all refuse it with config.invalid-switch."""
    env = {"DISABLE_BACKGROUND_JOBS": value, "REDIS_URL": "redis://127.0.0.1:1/0"}
    try:
        off = switches.switch("DISABLE_BACKGROUND_JOBS", env)
    except switches.SwitchError:
        _, rows = check_configuration(env)
        assert [r.id for r in rows] == ["config.invalid-switch"]
        for module in (checks_config, definitions):
            with pytest.raises(switches.SwitchError):
                module.background_jobs_enabled(env)
        return
    assert checks_config.background_jobs_enabled(env) is (not off)
    assert definitions.background_jobs_enabled(env) is (not off)
    if off:  # the startup check needs no Redis then
        assert without_redis.background_jobs_enabled(env) is False


def test_defaults_words_and_choices():
    assert switches.switch("DISABLE_BACKGROUND_JOBS", {}) is False
    assert switches.switch("DISABLE_BACKGROUND_JOBS", {"DISABLE_BACKGROUND_JOBS": ""}) is False
    assert switches.switch("CACHE_PROVIDER", {}) == "redis"
    assert switches.switch("CACHE_PROVIDER", {"CACHE_PROVIDER": " "}) == "redis"
    assert switches.switch("CACHE_PROVIDER", {"CACHE_PROVIDER": "Memory "}) == "memory"
    with pytest.raises(switches.SwitchError, match="CACHE_PROVIDER='memcached'"):
        switches.switch("CACHE_PROVIDER", {"CACHE_PROVIDER": "memcached"})
    error = switches.SwitchError("X", "\x1b[2J", ["a"])
    assert "\x1b" not in str(error)  # a value is printed escaped
    assert set(SPEC["boolean"]["true"]) == switches.TRUE_WORDS  # the file both languages read
    assert not switches.TRUE_WORDS & switches.FALSE_WORDS


def test_demo():
    env = {**os.environ, "DISABLE_BACKGROUND_JOBS": "on"}
    out = run_demo("snippets.config.switches", env=env, check=True)
    assert "DISABLE_BACKGROUND_JOBS: True" in out.stdout
    out = run_demo("snippets.config.switches", env={**env, "CACHE_PROVIDER": "x"}, check=True)
    assert "is not one of" in out.stdout
