"""tests/bench.py (``make bench``) keeps working. Figures come from the command, not from here:
nothing below asserts a timing."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests import bench, harness

ROOT = Path(__file__).resolve().parents[2]


def test_drop_yaml_item_removes_only_that_item():
    text = (
        "plugins:\n  - search\n  - macros:\n      module_name: macros\n"
        "      on_error_fail: true\n  - mike:\n      alias_type: copy\n"
        "markdown_extensions:\n  - pymdownx.snippets:\n      check_paths: true\n  - tables\n"
    )
    out = bench.drop_yaml_item(bench.drop_yaml_item(text, "macros"), "pymdownx.snippets")
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
    out = bench.render_static(page, Path("operations/scaling.md"))
    assert "def invalidate_prefix(" in out  # the section's code, dedented, without markers
    assert "--8<--" not in out and "{{ snippet" not in out
    assert "-MOVED" in out
    assert "${{ Redis.REDIS_URL }}" in out


def test_page_urls_match_mkdocs():
    assert bench.page_url(Path("index.md")) == ""
    assert bench.page_url(Path("usage/index.md")) == "usage/"
    assert bench.page_url(Path("operations/scaling.md")) == "operations/scaling/"


def test_plain_project_builds_every_page(tmp_path):
    project = bench.plain_project(tmp_path / "plain")
    config = (project / "mkdocs.yml").read_text()
    assert "- macros:" not in config and "pymdownx.snippets" not in config
    seconds = bench.mkdocs_build_seconds(project, tmp_path / "out")
    assert seconds > 0
    for page in (ROOT / "docs").rglob("*.md"):
        rel = page.relative_to(ROOT / "docs")
        if rel.parts[0] == "_captured":
            continue
        html = tmp_path / "out" / bench.page_url(rel) / "index.html"
        assert html.is_file(), rel
        assert "--8&lt;--" not in html.read_text(), f"unexpanded include in {rel}"


def test_areas_cover_the_suite():
    areas = bench.areas()
    assert "scaling" in areas and "config" in areas and areas[-1] == "spine"


def test_rows_say_not_available_yet_without_the_helpers(monkeypatch):
    monkeypatch.setattr(bench, "_optional", lambda module: None)
    kind = next(iter(harness.discover_kinds().values()))
    rows = bench.cache_rows(kind) + bench.queue_rows(kind)
    assert len(rows) == 4
    assert all(r.ours == bench.NOT_YET and r.baseline == bench.NOT_YET for r in rows)


def test_command_prints_machine_and_start_ratios(capsys):
    assert bench.main(["--only", "start", "--starts", "1", "--no-capture"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"machine: .* \d+ CPUs", out)
    for kind in harness.discover_kinds().values():
        assert f"| {kind} " in out
    assert out.count("server start-to-PING, median of 1") == len(harness.discover_kinds())
    assert "× faster" in out or "× slower" in out
