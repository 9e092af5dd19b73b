"""The TypeScript project in snippets/: strict settings, and `tsc --noEmit` passes."""

from __future__ import annotations

import json
import subprocess

from tests.nodejs import SNIPPETS, node_binary, node_env


def test_tsconfig_is_strict_and_checks_every_module():
    # tsconfig.json allows comments (JSONC); drop whole-line comments before parsing.
    text = "\n".join(
        line
        for line in (SNIPPETS / "tsconfig.json").read_text().splitlines()
        if not line.lstrip().startswith("//")
    )
    options = json.loads(text)["compilerOptions"]
    assert options["strict"] is True and options["noEmit"] is True
    assert options["erasableSyntaxOnly"] is True, "Node's type stripping runs only erasable syntax"


def test_dependencies_are_pinned_exactly():
    package = json.loads((SNIPPETS / "package.json").read_text())
    for group in ("dependencies", "devDependencies"):
        for name, spec in package[group].items():
            assert spec[0].isdigit(), f"{name}: {spec!r} is a range; pin an exact version"
    lock = json.loads((SNIPPETS / "package-lock.json").read_text())
    assert lock["packages"][""]["dependencies"] == package["dependencies"]


def test_tsc_strict_no_emit_passes():
    node_binary()
    tsc = SNIPPETS / "node_modules" / ".bin" / "tsc"
    result = subprocess.run(
        [str(tsc), "--noEmit", "-p", str(SNIPPETS)],
        cwd=SNIPPETS,
        env=node_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
