"""pytest plugin: which test files passed, on which server kinds — the site's verified badges.

    python -m pytest -p tests.site.verified --verified-report=build/verified.json

writes, at the end of the run::

    {"date": "2026-11-25", "redis_py": "8.1.0", "python": "3.11.7", "exitstatus": 0,
     "kinds": {"valkey": "8.1.8", "redis": "7.0.15"},
     "files": {"tests/config/test_settings.py":
               {"passed": 31, "failed": 0, "skipped": 0, "kinds": ["redis", "valkey"]}}}

A file's ``kinds`` are the server kinds (``server_kind`` parameter) of its passing tests;
``failed`` counts failures and errors in any phase. The macros (``snippet()``) read it via
``$VERIFIED_REPORT``. tests/site/build_site.py loads this file as a standalone plugin for
older versions too, so it imports nothing from the tests package.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    record = _files[report.nodeid.split("::", 1)[0]]
    if report.failed:
        record["failed"] += 1
    elif report.skipped and report.when != "teardown":
        record["skipped"] += 1
    elif report.passed and report.when == "call":
        record["passed"] += 1
        callspec = getattr(item, "callspec", None)
        if callspec and "server_kind" in callspec.params:
            record["kinds"].add(callspec.params["server_kind"])


def _kind_versions() -> dict[str, str]:
    try:
        from tests import harness  # the version's own harness: the kinds it ran on
    except ImportError:  # pragma: no cover - every version of the guide has one
        return {}
    return {name: kind.version for name, kind in harness.discover_kinds().items()}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("--verified-report")
    if not path:
        return
    files = {
        name: {**record, "kinds": sorted(record["kinds"])}
        for name, record in sorted(_files.items())
    }
    data = {
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "redis_py": version("redis"),
        "python": platform.python_version(),
        "exitstatus": int(exitstatus),
        "kinds": _kind_versions(),
        "files": files,
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=1) + "\n")
