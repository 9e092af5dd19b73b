"""Repository rules as tests: no inline code in docs, every snippet runnable, lint clean."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from tools.paths import ROOT, mirror_test, snippet_files, snippet_modules

FENCE = re.compile(r"^(?P<indent>\s*)(?P<mark>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
ALLOWED_LANGS = {"mermaid"}  # diagrams are not code a reader copies


def inline_fences(text: str) -> list[tuple[int, str]]:
    """(line, language) of every fenced block typed into a page instead of included."""
    found, inside = [], None
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if inside is None and match:
            inside = match.group("mark")
            if match.group("lang") not in ALLOWED_LANGS:
                found.append((number, match.group("lang") or "(no language)"))
        elif inside is not None and line.strip().startswith(inside):
            inside = None
    return found


def test_scanner_finds_an_inline_block():
    page = "# Title\n\n```python\nimport redis\n```\n\n~~~\nplain\n~~~\n```mermaid\ngraph\n```\n"
    assert inline_fences(page) == [(3, "python"), (7, "(no language)")]


def test_no_inline_code_blocks_in_docs():
    problems = [
        f"{md.relative_to(ROOT)}:{line}: inline ```{lang} block — include it with "
        f'{{{{ snippet("path.py", "section") }}}} or {{{{ captured("name") }}}}'
        for md in sorted((ROOT / "docs").rglob("*.md"))
        for line, lang in inline_fences(md.read_text())
    ]
    assert not problems, "\n".join(problems)


def test_every_snippet_module_has_a_demo_and_a_test():
    problems = []
    for module in snippet_modules():
        tree = ast.parse(module.read_text())
        has_main = any(
            isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) for node in tree.body
        )
        test = mirror_test(module)
        if not has_main:
            problems.append(f"{module.relative_to(ROOT)}: no `if __name__ == '__main__':` demo")
        if not test.exists():
            problems.append(f"{module.relative_to(ROOT)}: no mirror test {test.relative_to(ROOT)}")
    assert not problems, "\n".join(problems)


def typescript_modules() -> list[Path]:
    """TypeScript (and the one-file .mjs doctor) modules a page may show."""
    return [
        p
        for suffix in (".ts", ".mts", ".mjs")
        for p in snippet_files()
        if p.suffix == suffix and not p.name.endswith(".d.ts")
    ]


def test_every_typescript_module_has_a_demo_and_a_test():
    """snippets/a/b-c.ts runs its demo under `if (import.meta.main)` and is verified by
    tests/a/test_b_c_ts.py (the mirror rule, tools.paths.mirror_test)."""
    problems = []
    for module in typescript_modules():
        rel = module.relative_to(ROOT)
        if not re.search(r"^if \(import\.meta\.main\)", module.read_text(), re.M):
            problems.append(f"{rel}: no top-level `if (import.meta.main)` demo")
        test = mirror_test(module)
        if test is None or not test.exists():
            problems.append(f"{rel}: no mirror test {test and test.relative_to(ROOT)}")
    assert not problems, "\n".join(problems)


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "snippets", "macros", "tests", "tools"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout
