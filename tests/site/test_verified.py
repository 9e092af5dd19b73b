"""Verified badges: the pytest plugin's report (tools/site/verified.py) and snippet()'s badge.

`make site` sets $VERIFIED_REPORT and VERIFIED_STRICT=1; `make serve`/`make test` set
neither, so their badges say "not verified in this checkout" and the build still passes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tools.site.build import verified_pytest
from tests.site.test_build import MKDOCS
from tools.paths import ROOT

PAGE = '# Snippet\n\n{{ snippet("config/client.py", "make-client") }}\n'
REPORT = {
    "date": "2026-11-25",
    "redis_py": "8.1.0",
    "python": "3.11.7",
    "exitstatus": 0,
    "kinds": {"valkey": "8.1.8", "redis": "7.0.15"},
    "files": {
        "tests/config/test_client.py": {
            "passed": 17,
            "failed": 0,
            "skipped": 0,
            "kinds": ["redis", "valkey"],
        }
    },
}


@pytest.fixture
def scratch_project(tmp_path) -> Path:
    """The site's machinery with one page (as in test_build.py)."""
    for name in ("macros", "snippets", "tests", "tools", "overrides"):
        (tmp_path / name).symlink_to(ROOT / name)
    text = (ROOT / "mkdocs.yml").read_text()
    (tmp_path / "mkdocs.yml").write_text(
        text[: text.index("\nnav:")] + "\nnav:\n  - Home: index.md\n"
    )
    (tmp_path / "docs" / "_captured").mkdir(parents=True)
    for name in ("stylesheets", "javascripts"):
        (tmp_path / "docs" / name).symlink_to(ROOT / "docs" / name)
    return tmp_path


def build(project: Path, **env: str) -> subprocess.CompletedProcess:
    (project / "docs" / "index.md").write_text(PAGE)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VERIFIED_")}
    return subprocess.run(
        [
            *MKDOCS,
            "build",
            "--strict",
            "-f",
            str(project / "mkdocs.yml"),
            "-d",
            str(project / "out"),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**clean, "NO_MKDOCS_2_WARNING": "1", **env},
    )


def write_report(tmp_path: Path, report: dict) -> str:
    path = tmp_path / "verified.json"
    path.write_text(json.dumps(report))
    return str(path)


def test_plugin_records_passes_failures_and_kinds_per_file(tmp_path):
    """The plugin runs standalone (as tools/site/build.py loads it for older versions)."""
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    shutil.copy(ROOT / "tools" / "site" / "verified.py", plugin / "pcrg_verified.py")
    project = tmp_path / "project"
    (project / "t").mkdir(parents=True)
    (project / "t" / "test_on_kinds.py").write_text(
        "import pytest\n\n"
        "@pytest.fixture(params=['valkey', 'redis'])\n"
        "def server_kind(request):\n    return request.param\n\n"
        "def test_ok(server_kind):\n    pass\n"
    )
    (project / "t" / "test_mixed.py").write_text(
        "import pytest\n\ndef test_ok():\n    pass\n\n"
        "def test_broken():\n    assert False\n\n"
        "def test_skipped():\n    pytest.skip('no tool')\n"
    )
    report = tmp_path / "out" / "report.json"
    result = subprocess.run(
        verified_pytest(report, "t"),  # exactly as tools/site/build.py runs a version's tests
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(plugin)},
    )
    assert result.returncode == 1, result.stdout  # one test fails
    data = json.loads(report.read_text())
    assert data["files"]["t/test_on_kinds.py"] == {
        "passed": 2,
        "failed": 0,
        "skipped": 0,
        "kinds": ["redis", "valkey"],
    }
    assert data["files"]["t/test_mixed.py"] == {"passed": 1, "failed": 1, "skipped": 1, "kinds": []}
    assert data["exitstatus"] == 1
    assert data["redis_py"] and data["date"] and data["python"]


def test_badge_names_kinds_versions_client_date_and_links_the_test(scratch_project, tmp_path):
    result = build(
        scratch_project, VERIFIED_REPORT=write_report(tmp_path, REPORT), VERIFIED_STRICT="1"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    html = (scratch_project / "out" / "index.html").read_text()
    assert 'data-verified="yes"' in html
    assert "ran on redis 7.0.15 and valkey 8.1.8" in html
    assert "redis-py 8.1.0 · 2026-11-25 · 17 passing tests" in html
    assert 'href="_sources/tests/config/test_client.py.txt"' in html
    published = scratch_project / "out" / "_sources" / "tests" / "config" / "test_client.py.txt"
    assert published.read_text() == (ROOT / "tests" / "config" / "test_client.py").read_text()


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (None, "has no passing record"),
        ({"passed": 16, "failed": 1, "skipped": 0, "kinds": ["valkey"]}, "failed"),
        ({"passed": 0, "failed": 0, "skipped": 3, "kinds": []}, "failed"),
    ],
    ids=["missing", "a-failure", "only-skips"],
)
def test_strict_site_build_fails_without_a_passing_record(
    scratch_project, tmp_path, record, message
):
    report = json.loads(json.dumps(REPORT))
    if record is None:
        report["files"] = {}
    else:
        report["files"]["tests/config/test_client.py"] = record
    result = build(
        scratch_project, VERIFIED_REPORT=write_report(tmp_path, report), VERIFIED_STRICT="1"
    )
    assert result.returncode != 0
    assert f"snippets/config/client.py is shown but tests/config/test_client.py {message}" in (
        result.stdout + result.stderr
    )


def test_without_a_test_run_the_badge_says_not_verified(scratch_project):
    result = build(scratch_project)  # what `make serve` and the build inside `make test` do
    assert result.returncode == 0, result.stderr[-3000:]
    html = (scratch_project / "out" / "index.html").read_text()
    assert 'data-verified="no"' in html and "not verified in this checkout" in html
    assert 'data-verified="yes"' not in html


def test_deploy_previews_are_kept_out_of_search_engines(scratch_project):
    """netlify.toml sets SITE_NOINDEX for deploy previews; production pages stay indexable."""
    preview = build(scratch_project, SITE_NOINDEX="true")
    assert preview.returncode == 0, preview.stderr[-3000:]
    html = (scratch_project / "out" / "index.html").read_text()
    assert '<meta name="robots" content="noindex">' in html
    production = build(scratch_project)
    assert production.returncode == 0, production.stderr[-3000:]
    assert 'name="robots"' not in (scratch_project / "out" / "index.html").read_text()
