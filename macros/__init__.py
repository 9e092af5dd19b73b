"""mkdocs-macros module: the only ways a page shows code, configuration or output.

- ``{{ snippet("config/client.py", "make-client") }}`` — a section of a file in snippets/
  (or any repo file given from the root, e.g. ``snippet("/deploy/render.yaml")``), included
  by pymdownx.snippets (check_paths: true), with a badge saying what verified it.
- ``{{ captured("econnrefused") }}`` — output captured from a real run (docs/_captured/).
- ``{{ precedence_table() }}`` — the settings precedence, generated from the code.

Literal ``{{ … }}`` / ``${{ … }}`` text in a page goes inside ``{% raw %}…{% endraw %}``;
``on_undefined: strict`` makes anything else that looks like Jinja fail the build.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTION = re.compile(r"--8<-- \[start:([a-z][-_0-9a-z]*)\]")
LANGUAGES = {
    ".py": "python",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".json": "json",
    ".conf": "text",
    ".env": "ini",
    ".example": "ini",
    ".sh": "bash",
    ".js": "javascript",
    ".txt": "text",
    ".cfg": "ini",
    ".ini": "ini",
}


class IncludeError(ValueError):
    """A page asked for a file or section that does not exist."""


def repo_path(path: str) -> Path:
    """``config/x.py`` means ``snippets/config/x.py``; a leading ``/`` means the repo root."""
    return ROOT / path.lstrip("/") if path.startswith("/") else ROOT / "snippets" / path


def mirror_test(path: Path) -> Path | None:
    """snippets/a/b.py is verified by tests/a/test_b.py (the mirror rule)."""
    rel = path.relative_to(ROOT)
    if rel.parts[0] != "snippets" or path.suffix != ".py":
        return None
    return ROOT / "tests" / Path(*rel.parts[1:-1]) / f"test_{path.stem}.py"


def validating_test(path: Path) -> Path | None:
    """The test that verifies a shown file: its mirror for Python, else a test naming it."""
    mirror = mirror_test(path)
    if mirror is not None:
        return mirror if mirror.is_file() else None
    for test in sorted((ROOT / "tests").rglob("test_*.py")):
        if path.name in test.read_text():
            return test
    return None


def fence(body: str, lang: str, attrs: str = "") -> str:
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`+", body)), default=0) + 1)
    return f"{ticks}{lang}{(' ' + attrs) if attrs else ''}\n{body}\n{ticks}"


def snippet(path: str, section: str | None = None, title: str | None = None) -> str:
    file = repo_path(path)
    rel = file.relative_to(ROOT).as_posix()
    if not file.is_file():
        raise IncludeError(f"snippet file {rel} does not exist")
    if section and section not in SECTION.findall(file.read_text()):
        raise IncludeError(f"snippet {rel} has no section [start:{section}]")
    test = validating_test(file)
    if test is None:
        raise IncludeError(f"{rel} is shown but no test verifies it (tests/…/test_*.py)")
    lang = LANGUAGES.get(file.suffix, "text")
    target = f"{rel}:{section}" if section else rel
    block = fence(f'--8<-- "{target}"', lang, f'title="{title or rel}"')
    verb = "ran in" if lang == "python" else "validated by"
    badge = f'<p class="pc-badge">{verb} <code>{test.relative_to(ROOT).as_posix()}</code></p>'
    return f"{block}\n{badge}\n"


def captured(name: str) -> str:
    file = ROOT / "docs" / "_captured" / f"{name}.txt"
    if not file.is_file():
        raise IncludeError(f"no captured output {name!r}: run `make captures`")
    head, _, body = file.read_text().partition("\n---\n")
    header = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    note = (
        f"Captured from a real run: server {header.get('server', '?')}, "
        f"{header.get('client', '?')}."
    )
    if header.get("normalised"):
        note += f" Normalised: {header['normalised']}."
    return f'{fence(body.rstrip(), "text")}\n<p class="pc-captured">{note}</p>\n'


def precedence_table() -> str:
    from snippets.config.settings import PRECEDENCE

    rows = "\n".join(f"| {order} | `{names}` | {meaning} |" for order, names, meaning in PRECEDENCE)
    return "| Order | Variables | Meaning |\n|---|---|---|\n" + rows + "\n"


def define_env(env) -> None:
    for fn in (snippet, captured, precedence_table):
        env.macro(fn)
