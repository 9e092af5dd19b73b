"""tools/bench (``make bench``) keeps working. Figures come from the command, not from here:
nothing below asserts a timing."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from tools import harness
from tools.bench import __main__ as bench
from tools.bench import report, site, verify
from tools.paths import ROOT


def test_drop_yaml_item_removes_only_that_item():
    text = (
        "plugins:\n  - search\n  - macros:\n      module_name: macros\n"
        "      on_error_fail: true\n  - mike:\n      alias_type: copy\n"
        "markdown_extensions:\n  - pymdownx.snippets:\n      check_paths: true\n  - tables\n"
    )
    out = site.drop_yaml_item(site.drop_yaml_item(text, "macros"), "pymdownx.snippets")
    assert yaml.safe_load(out) == {
        "plugins": ["search", {"mike": {"alias_type": "copy"}}],
        "markdown_extensions": ["tables"],
    }


def test_render_static_expands_macros_and_includes():
    page = (
        "# Page\n\n"
        '{{ snippet("scaling/cluster.py", "invalidate") }}\n\n'
        '{{ captured("cluster-moved") }}\n\n'
        "Literal `{% raw %}${{ Redis.REDIS_URL }}{% endraw %}`.\n"
    )
    out = site.render_static(page, Path("operations/scaling.md"))
    assert "def invalidate_prefix(" in out  # the section's code, dedented, without markers
    assert "--8<--" not in out and "{{ snippet" not in out
    assert "-MOVED" in out
    assert "${{ Redis.REDIS_URL }}" in out


def test_page_urls_match_mkdocs():
    assert site.page_url(Path("index.md")) == ""
    assert site.page_url(Path("usage/index.md")) == "usage/"
    assert site.page_url(Path("operations/scaling.md")) == "operations/scaling/"


def test_plain_project_builds_every_page(tmp_path):
    project = site.plain_project(tmp_path / "plain")
    config = (project / "mkdocs.yml").read_text()
    assert "- macros:" not in config and "pymdownx.snippets" not in config
    seconds = site.mkdocs_build_seconds(project, tmp_path / "out")
    assert seconds > 0
    for page in (ROOT / "docs").rglob("*.md"):
        rel = page.relative_to(ROOT / "docs")
        if rel.parts[0] == "_captured":
            continue
        html = tmp_path / "out" / site.page_url(rel) / "index.html"
        assert html.is_file(), rel
        assert "--8&lt;--" not in html.read_text(), f"unexpanded include in {rel}"


def test_timed_reports_wall_and_the_cpu_of_what_it_started():
    busy = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
    run = verify.timed([sys.executable, "-c", busy + "print('3 passed in 0.30s')"], timeout=60)
    assert run.returncode == 0 and run.outcome == "3 passed"
    assert run.cpu >= 0.3 and run.wall > 0  # the child's CPU is counted, not the caller's


def test_table_aligns_rows_and_median_needs_both_sides():
    rows = [
        report.Row("a", "valkey 8", "1 ms", "2 ms", "2.0× faster"),
        report.Row("b", "—", "x", "", ""),
    ]
    lines = report.table(rows).splitlines()
    assert len(lines) == 4 and len({len(line) for line in lines}) == 1
    assert report.median([1.0, 3.0, 2.0]) == 2.0
    assert report.median([1.0, None]) is None  # no redis-benchmark: no figure, no ratio


def test_command_prints_machine_and_start_ratios(capsys):
    assert bench.main(["--only", "start", "--starts", "1", "--no-capture"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"machine: .* \d+ CPUs", out)
    for kind in harness.discover_kinds().values():
        assert f"| {kind} " in out
    assert out.count("server start-to-PING, median of 1") == len(harness.discover_kinds())
    assert "× faster" in out or "× slower" in out
