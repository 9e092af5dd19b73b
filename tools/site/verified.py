"""pytest plugin: which test files passed, on which server kinds — the site's verified badges.

    python -m pytest -p tools.site.verified --verified-report=build/verified.json

writes, at the end of the run::

    {"date": "2026-11-25", "redis_py": "8.1.0", "python": "3.11.7", "exitstatus": 0,
     "kinds": {"valkey": "8.1.8", "redis": "7.0.15"},
     "files": {"tests/config/test_settings.py":
               {"passed": 31, "failed": 0, "skipped": 0, "kinds": ["redis", "valkey"]}}}

A file's ``kinds`` are the server kinds (``server_kind`` parameter) of its passing tests;
``failed`` counts failures and errors in any phase. Under pytest-xdist the workers tag each
report with its kind and the controller counts and writes (one report for the whole run). The macros (``snippet()``) read it via
``$VERIFIED_REPORT``. tools/site/build.py loads this file as a standalone plugin for
older versions too, so it imports nothing from this repository at load time.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import platform
import shutil
import subprocess
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

import pytest

_files: dict[str, dict] = defaultdict(
    lambda: {"passed": 0, "failed": 0, "skipped": 0, "kinds": set()}
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--verified-report", metavar="PATH", help="write the verified-badges JSON report here"
    )


KIND = "verified_server_kind"  # a user property: it travels from xdist workers to the controller


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Where the test runs (a worker under xdist): note its server kind on the report."""
    outcome = yield
    report = outcome.get_result()
    callspec = getattr(item, "callspec", None)
    if callspec and "server_kind" in callspec.params:
        report.user_properties.append((KIND, callspec.params["server_kind"]))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Where reports are collected (the controller under xdist, else the one process)."""
    record = _files[report.nodeid.split("::", 1)[0]]
    if report.failed:
        record["failed"] += 1
    elif report.skipped and report.when != "teardown":
        record["skipped"] += 1
    elif report.passed and report.when == "call":
        record["passed"] += 1
        record["kinds"].update(value for name, value in report.user_properties if name == KIND)


def _kind_versions() -> dict[str, str]:
    """The kinds the version's own harness ran on (tools/harness, or tests/harness.py in
    versions released before the move)."""
    for module in ("tools.harness", "tests.harness"):
        try:
            harness = importlib.import_module(module)
        except ImportError:
            continue
        return {name: kind.version for name, kind in harness.discover_kinds().items()}
    return {}  # pragma: no cover - every version of the guide has one


def _node_versions(rootdir: Path) -> dict[str, str]:
    """ioredis and Node as the TypeScript snippets ran them (empty without `make` bootstrap).

    ``rootdir`` is the tested checkout's (this file may be a standalone copy elsewhere)."""
    root = rootdir / "snippets"
    package = root / "node_modules" / "ioredis" / "package.json"
    node = shutil.which("node")
    if not package.is_file() or node is None:
        return {}
    found = subprocess.run([node, "-p", "process.versions.node"], capture_output=True, text=True)
    return {"ioredis": json.loads(package.read_text())["version"], "node": found.stdout.strip()}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("--verified-report")
    if not path or hasattr(session.config, "workerinput"):  # an xdist worker: the controller writes
        return
    files = {
        name: {**record, "kinds": sorted(record["kinds"])}
        for name, record in sorted(_files.items())
    }
    data = {
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "redis_py": version("redis"),
        "python": platform.python_version(),
        **_node_versions(session.config.rootpath),
        "exitstatus": int(exitstatus),
        "kinds": _kind_versions(),
        "files": files,
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=1) + "\n")
