"""tools/paths.py, tools/sections.py and tools/captured.py: the rules every tool shares."""

from __future__ import annotations

import subprocess

import pytest

from tools import captured, sections
from tools.paths import NOT_SOURCES, ROOT, mirror_test, rel, snippet_files, snippet_modules


@pytest.mark.parametrize(
    ("source", "test"),
    [
        ("snippets/config/settings.py", "tests/config/test_settings.py"),
        ("snippets/checks.py", "tests/test_checks.py"),
        ("snippets/queues/producer.ts", "tests/queues/test_producer_ts.py"),
        ("snippets/doctor/redis-doctor.mts", "tests/doctor/test_redis_doctor_ts.py"),
        ("snippets/cache/report-cache.ts", "tests/cache/test_report_cache_ts.py"),
    ],
)
def test_mirror_rule_for_python_and_typescript(source, test):
    assert rel(mirror_test(ROOT / source)) == test


@pytest.mark.parametrize(
    "path", ["snippets/config/method-1.env", "snippets/platforms/render.yaml", "macros/__init__.py"]
)
def test_files_outside_the_rule_have_no_mirror(path):
    assert mirror_test(ROOT / path) is None


def test_every_listed_module_is_a_snippet_with_its_mirror():
    modules = snippet_modules()
    assert ROOT / "snippets" / "config" / "settings.py" in modules
    assert not [m for m in modules if m.name in ("__init__.py", "__main__.py")]
    assert all(mirror_test(m).is_file() for m in modules)


def test_snippet_files_are_the_repos_files_without_installed_packages():
    files = snippet_files()
    assert not [f for f in files if set(f.relative_to(ROOT).parts) & set(NOT_SOURCES)]
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "snippets"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split("\0")
    present = {ROOT / t for t in tracked if t and (ROOT / t).is_file()}
    assert ROOT / "snippets" / "checks.json" in present
    assert present <= set(files), present - set(files)


def test_sections_names_and_text(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        "import os\n"
        "# --8<-- [start:outer]\n"
        "def f():\n"
        "    # --8<-- [start:inner]\n"
        "    return 1\n"
        "    # --8<-- [end:inner]\n"
        "# --8<-- [end:outer]\n"
    )
    assert sections.names(source.read_text()) == ["outer", "inner"]
    assert sections.section_text(source, "inner") == "return 1"
    assert sections.section_text(source, "outer") == "def f():\n    return 1"
    assert "--8<--" not in sections.section_text(source)
    ts = "// --8<-- [start:make-queue]\nexport const q = 1;\n// --8<-- [end:make-queue]\n"
    assert sections.names(ts) == ["make-queue"]


def test_captured_round_trip(tmp_path, monkeypatch):
    monkeypatch.setattr(captured, "CAPTURE_DIR", tmp_path)
    assert captured.read("demo") is None
    with pytest.raises(AssertionError, match="no capture"):
        captured.check("demo", "hello")
    assert captured.check("demo", "hello\n", update=True, normalised="ports")
    got = captured.read("demo")
    assert got.body == "hello\n"
    assert got.header["server"] == "none (offline)" and got.header["normalised"] == "ports"
    assert captured.check("demo", "hello")
    with pytest.raises(AssertionError, match="drifted"):
        captured.check("demo", "goodbye")


def test_captured_belongs_to_one_kind(tmp_path, monkeypatch):
    monkeypatch.setattr(captured, "CAPTURE_DIR", tmp_path)

    class Kind:
        name = "redis"

    assert captured.check("demo", "x", kind=Kind(), update=True) is False  # prefer=valkey
    assert captured.read("demo") is None


def _imports_from_tests(path) -> list[str]:
    """The `tests` modules a source file imports (ast, so strings and comments don't count)."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "tests":
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "tests"]
    return found


def test_what_make_runs_imports_nothing_from_tests():
    """make bench/site/lighthouse/redis and the macros run without the test suite's modules
    (tools/template/ is the template of a test, copied into tests/ by CONTRIBUTING.md)."""
    sources = [
        p
        for folder in ("tools", "macros", "snippets")
        for p in (ROOT / folder).rglob("*.py")
        if "node_modules" not in p.parts and p.parent.name != "template"
    ]
    assert len(sources) > 50
    offenders = {rel(p): found for p in sources if (found := _imports_from_tests(p))}
    assert offenders == {}
