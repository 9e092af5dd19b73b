"""The site: strict build inside the suite, include rules, macros conventions, no secrets."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.helpers import built_once
import yaml
from tools.paths import ROOT

MKDOCS = [sys.executable, "-m", "mkdocs"]


def build(project: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*MKDOCS, "build", "--strict", "-f", str(project / "mkdocs.yml"), "-d", str(out)],
        cwd=project, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


def strict_build(out: Path) -> None:
    result = build(ROOT, out)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-4000:]}"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """This checkout built with --strict, once per run (shared with the reader tests)."""
    return built_once(tmp_path_factory, "reader-site", strict_build)


def test_strict_build_renders_every_page(built_site):
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    pages = []

    def walk(items):
        for item in items:
            for value in item.values():
                walk(value) if isinstance(value, list) else pages.append(value)

    walk(config["nav"])
    for page in pages:
        html = built_site / page.replace(".md", "/index.html").replace("index/index", "index")
        text = html.read_text()
        assert "{{" not in re.sub(r"<code>.*?</code>", "", text, flags=re.S), page
        assert "--8&lt;--" not in text and "--8<--" not in text, f"unresolved include in {page}"


def test_included_snippets_carry_their_badge(built_site):
    html = (built_site / "setup" / "configuration" / "index.html").read_text()
    assert "load_settings" in html and "RedisSettings" in html
    assert html.count('class="pc-badge"') >= 4
    assert "tests/config/test_settings.py" in html


@pytest.fixture
def scratch_project(tmp_path) -> Path:
    """A copy of the site's machinery with one page of our choosing."""
    for name in ("macros", "snippets", "tests", "tools"):
        (tmp_path / name).symlink_to(ROOT / name)
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    text = (tmp_path / "mkdocs.yml").read_text()
    text = text[: text.index("\nnav:")] + "\nnav:\n  - Home: index.md\n"
    (tmp_path / "mkdocs.yml").write_text(text)
    (tmp_path / "docs" / "_captured").mkdir(parents=True)
    (tmp_path / "docs" / "stylesheets").symlink_to(ROOT / "docs" / "stylesheets")
    # The theme overrides and scripts mkdocs.yml names (issue 8: strict CSP, widget, hooks).
    (tmp_path / "overrides").symlink_to(ROOT / "overrides")
    (tmp_path / "docs" / "javascripts").symlink_to(ROOT / "docs" / "javascripts")
    return tmp_path


def _page(project: Path, body: str) -> subprocess.CompletedProcess:
    (project / "docs" / "index.md").write_text(body)
    return build(project, project / "out")


def test_missing_section_fails_the_build(scratch_project):
    result = _page(scratch_project, '{{ snippet("config/client.py", "no-such-section") }}\n')
    assert result.returncode != 0
    assert "has no section [start:no-such-section]" in result.stdout + result.stderr


def test_missing_file_fails_the_build(scratch_project):
    result = _page(scratch_project, '{{ snippet("config/nope.py") }}\n')
    assert result.returncode != 0
    assert "snippets/config/nope.py does not exist" in result.stdout + result.stderr


def test_literal_railway_reference_survives_in_raw(scratch_project):
    body = "Set `{% raw %}${{ Redis.REDIS_URL }}{% endraw %}` on the app service.\n"
    result = _page(scratch_project, body)
    assert result.returncode == 0, result.stderr
    html = (scratch_project / "out" / "index.html").read_text()
    assert "${{ Redis.REDIS_URL }}" in html


def test_unprotected_railway_reference_fails(scratch_project):
    result = _page(scratch_project, "Set `${{ Redis.REDIS_URL }}` on the app service.\n")
    assert result.returncode != 0


REAL_INSTANCE_ID = re.compile(r"red-(?!xxxxx)[a-z0-9]{12,}")
HARNESS_PASSWORD = re.compile(r"pw[0-9a-f]{32}")


def test_no_secrets_in_the_built_site(built_site):
    for file in built_site.rglob("*"):
        if file.suffix in (".html", ".js", ".json", ".txt", ".xml"):
            text = file.read_text(errors="replace")
            assert not REAL_INSTANCE_ID.search(text), f"a real Render instance id in {file}"
            assert not HARNESS_PASSWORD.search(text), f"a test password in {file}"


def repo_sources(*folders: str) -> list[Path]:
    """The files of these folders, without installed packages: snippets/node_modules (npm ci)
    holds some 45,000 files (580 MB) of other people's code, which is not what we publish."""
    found = []
    for folder in folders:
        for parent, dirs, files in os.walk(ROOT / folder):
            dirs[:] = [d for d in dirs if d not in ("node_modules", "__pycache__")]
            found += [Path(parent) / f for f in files if not f.endswith(".pyc")]
    return found


def test_no_secrets_in_the_repo_sources():
    files = repo_sources("docs", "snippets", "macros")
    assert ROOT / "snippets" / "checks.json" in files and ROOT / "docs" / "index.md" in files
    for file in files:
        text = file.read_text(errors="replace")
        assert not REAL_INSTANCE_ID.search(text), file
        assert not HARNESS_PASSWORD.search(text), file


def test_netlify_builds_what_mkdocs_publishes():
    netlify = tomllib.loads((ROOT / "netlify.toml").read_text())
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    assert netlify["build"]["publish"] == config["site_dir"]
    assert netlify["build"]["command"] == "make site"
    assert re.search(r"^site:", (ROOT / "Makefile").read_text(), re.M)


def test_block_titles_link_to_the_whole_published_file(built_site):
    html = (built_site / "setup" / "configuration" / "index.html").read_text()
    links = re.findall(r'<span class="filename"><a href="([^"]+)"[^>]*>([^<]+)</a></span>', html)
    assert ("../../_sources/snippets/config/client.py.txt", "snippets/config/client.py") in links
    for href, path in links:
        published = (built_site / "setup" / "configuration" / href).resolve()
        assert published.read_text() == (ROOT / path).read_text(), path
    assert '<span class="filename">snippets/' not in html, "a title without its link"
