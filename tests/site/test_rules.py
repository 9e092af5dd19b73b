"""Repository rules as tests: no inline code in docs, every snippet runnable, lint clean."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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


def snippet_modules() -> list[Path]:
    """Modules a page may show; a package's __init__/__main__ glue is tested via the package."""
    return [
        p
        for p in sorted((ROOT / "snippets").rglob("*.py"))
        if p.name not in ("__init__.py", "__main__.py")
    ]


def test_every_snippet_module_has_a_demo_and_a_test():
    problems = []
    for module in snippet_modules():
        tree = ast.parse(module.read_text())
        has_main = any(
            isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) for node in tree.body
        )
        rel = module.relative_to(ROOT / "snippets")
        test = ROOT / "tests" / rel.parent / f"test_{module.stem}.py"
        if not has_main:
            problems.append(f"{module.relative_to(ROOT)}: no `if __name__ == '__main__':` demo")
        if not test.exists():
            problems.append(f"{module.relative_to(ROOT)}: no mirror test {test.relative_to(ROOT)}")
    assert not problems, "\n".join(problems)


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "snippets", "macros", "tests"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout
