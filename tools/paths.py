"""Where things are: the one ``ROOT`` and the mirror rule between snippets/ and tests/.

The mirror rule: a shown module ``snippets/<dir>/<name>.py`` is verified by
``tests/<dir>/test_<name>.py``; a TypeScript module ``snippets/<dir>/<b-c>.ts`` (or .mts/.mjs) by
``tests/<dir>/test_<b_c>_ts.py`` (dashes become underscores, ``_ts`` marks the language).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = ROOT / "snippets"
TESTS = ROOT / "tests"
DOCS = ROOT / "docs"
CAPTURE_DIR = DOCS / "_captured"
VERSIONS = ROOT / "versions.toml"

# Suffix of a mirrored source file -> the marker its test's name ends with.
MIRRORED = {".py": "", ".ts": "_ts", ".mts": "_ts", ".mjs": "_ts"}


def rel(path: Path) -> str:
    """``path`` relative to the repository as a POSIX string (for messages and reports);
    a path outside the repository stays absolute."""
    path = Path(path).resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def mirror_test(path: Path) -> Path | None:
    """The test that mirrors a snippet module, or None for files the rule does not cover.

    snippets/a/b.py -> tests/a/test_b.py; snippets/a/b-c.ts -> tests/a/test_b_c_ts.py.
    """
    parts = Path(path).resolve().relative_to(ROOT).parts
    suffix = Path(path).suffix
    if parts[0] != "snippets" or suffix not in MIRRORED:
        return None
    stem = Path(path).stem.replace("-", "_")
    return TESTS.joinpath(*parts[1:-1], f"test_{stem}{MIRRORED[suffix]}.py")


# Not ours: installed packages (npm ci puts some 45,000 files there) and bytecode caches.
NOT_SOURCES = ("node_modules", "__pycache__")


def snippet_files() -> list[Path]:
    """Every file under snippets/ that is ours, sorted; the walk never enters NOT_SOURCES
    (``rglob`` would stat all of node_modules, a minute on a busy machine)."""
    found = []
    for parent, dirs, files in os.walk(SNIPPETS):
        dirs[:] = [d for d in dirs if d not in NOT_SOURCES]
        found += [Path(parent, f) for f in files if not f.endswith(".pyc")]
    return sorted(found)


def snippet_modules(suffix: str = ".py") -> list[Path]:
    """Modules a page may show; a package's __init__/__main__ glue is tested via the package."""
    return [
        p
        for p in snippet_files()
        if p.suffix == suffix and p.name not in ("__init__.py", "__main__.py")
    ]
