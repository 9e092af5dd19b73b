"""What the pages show: every ``snippet()`` / ``snippet_tabs()`` call, found by rendering each
page's macros with recorders (the real Jinja parse, ``{% raw %}`` respected), and what the
tests declare they validate (``SHOWS = (...)`` in a test module).

The rule tests (tests/site/test_declared.py) use it: every section marker in snippets/ is
shown by a page, every shown non-code file is declared by a test, and a module's
"Shown on docs/…" docstring line names exactly the pages that show it.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import jinja2

from tools.paths import DOCS, ROOT, TESTS, mirror_test, rel

CODE = (".py", ".ts", ".mts", ".mjs")  # executed by tests; other shown files are validated


def repo_path(path: str) -> Path:
    """``config/x.py`` means ``snippets/config/x.py``; a leading ``/`` means the repo root."""
    return ROOT / path.lstrip("/") if path.startswith("/") else ROOT / "snippets" / path


class _OtherMacro(jinja2.Undefined):
    """Any other macro (captured(), tables, …): shows no snippet file, renders nothing."""

    def __call__(self, *args, **kwargs) -> str:
        return ""

    def __getattr__(self, name: str):
        raise AttributeError(name)


@cache
def shown() -> dict[tuple[str, str | None], frozenset[str]]:
    """(repo-relative file, section or None for the whole file) -> the pages showing it."""
    found: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    page = ""

    def snippet(path: str, section: str | None = None, title: str | None = None) -> str:
        found[(rel(repo_path(path)), section)].add(page)
        return ""

    def snippet_tabs(python: str, typescript: str, section=None, ts_section=None) -> str:
        snippet(python, section)
        snippet(typescript, ts_section or section)
        return ""

    env = jinja2.Environment(undefined=_OtherMacro, autoescape=False)  # noqa: S701
    env.globals.update(snippet=snippet, snippet_tabs=snippet_tabs)
    for md in sorted(DOCS.rglob("*.md")):
        page = rel(md)
        env.from_string(md.read_text()).render()
    return {key: frozenset(pages) for key, pages in found.items()}


def pages_showing(file: Path) -> set[str]:
    """Every page that shows ``file``, in whole or a section of it."""
    target = rel(file)
    return {p for (f, _), pages in shown().items() if f == target for p in pages}


def declared_in(test: Path) -> tuple[str, ...]:
    """The ``SHOWS = (...)`` of a test module: repo-relative files it validates."""
    for node in ast.parse(test.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "SHOWS" for t in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    return ()


@cache
def declarations() -> dict[str, tuple[str, ...]]:
    """Shown file -> the test modules declaring they validate it."""
    found: dict[str, list[str]] = defaultdict(list)
    for test in sorted(TESTS.rglob("test_*.py")):
        for file in declared_in(test):
            found[file].append(rel(test))
    return {file: tuple(tests) for file, tests in found.items()}


def validating_test(file: Path) -> Path | None:
    """The test that verifies a shown file: its mirror for code, else the test declaring it."""
    mirror = mirror_test(file)
    if mirror is not None and file.suffix in CODE:
        return mirror if mirror.is_file() else None
    declared = declarations()
    if not declared:  # a version released before SHOWS existed: a test that names the file
        named = (t for t in sorted(TESTS.rglob("test_*.py")) if file.name in t.read_text())
        return next(named, None)
    tests = declared.get(rel(file), ())
    return ROOT / tests[0] if tests else None


SHOWN_ON = re.compile(r"Shown on (.*?)\.(?:\s|$)", re.S)


def claimed_pages(module: Path) -> set[str] | None:
    """The pages a module's docstring says show it ("Shown on docs/a.md and docs/b.md", or
    "every page under docs/x/"), or None when its docstring makes no such claim."""
    match = SHOWN_ON.search(module.read_text())
    if match is None:
        return None
    sentence = " ".join(match.group(1).split())
    pages = set(re.findall(r"docs/[\w/.-]+?\.md", sentence))
    for folder in re.findall(r"under (docs/[\w/-]+/)", sentence):
        pages |= {rel(p) for p in (ROOT / folder).glob("*.md")}
    return pages
