"""``mkdocs build --strict`` of the site vs a plain Material build of the same pages, with
the macros and includes rendered statically beforehand (what the macros cost)."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from tools.bench.report import Figure, Row
from tools.paths import ROOT
from tools.sections import section_text

INCLUDE = re.compile(r'^(?P<indent>\s*)--8<-- "(?P<target>[^"]+)"\s*$', re.M)


def include_text(target: str) -> str:
    """What pymdownx.snippets puts in place of ``--8<-- "path[:section]"``."""
    path, _, section = target.partition(":")
    return section_text(ROOT / path, section)


def drop_yaml_item(text: str, name: str) -> str:
    """Remove the list item ``- name`` (or ``- name:`` and its indented block) from YAML text
    without parsing it (mkdocs.yml has tags a plain YAML dump would lose)."""
    lines, out, skip_deeper = text.splitlines(), [], None
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if skip_deeper is not None:
            if line.strip() and indent <= skip_deeper:
                skip_deeper = None
            else:
                continue
        if re.match(rf"\s*- {re.escape(name)}(:.*)?\s*(#.*)?$", line):
            skip_deeper = indent
            continue
        out.append(line)
    return "\n".join(out) + "\n"


class MacroEnv:
    """Just enough of mkdocs-macros' ``env`` for ``macros.define_env`` outside mkdocs."""

    def __init__(self) -> None:
        self.globals: dict[str, Callable] = {}
        self.page: SimpleNamespace | None = None
        self.conf: dict = {}
        self.variables: dict = {}

    def macro(self, fn: Callable, name: str | None = None) -> Callable:
        self.globals[name or fn.__name__] = fn
        return fn


def page_url(rel: Path) -> str:
    """The URL mkdocs gives a page (use_directory_urls): usage/caching.md → usage/caching/."""
    stem = rel.with_suffix("").as_posix()
    if stem == "index" or stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


def render_static(markdown: str, rel: Path) -> str:
    """A page with our macros rendered and includes expanded: plain Markdown for Material."""
    import jinja2

    import macros

    env = MacroEnv()
    macros.define_env(env)
    env.page = SimpleNamespace(url=page_url(rel))
    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701
    jinja.globals.update(env.globals)
    text = jinja.from_string(markdown).render()
    return INCLUDE.sub(lambda m: m["indent"] + include_text(m["target"]), text)


def plain_project(tmp: Path) -> Path:
    """A copy of the site with every page pre-rendered and no macros/snippets extensions."""
    docs = ROOT / "docs"
    for path in docs.rglob("*"):
        rel = path.relative_to(docs)
        if rel.parts[0] == "_captured" or path.is_dir():
            continue
        target = tmp / "docs" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".md":
            target.write_text(render_static(path.read_text(), rel))
        else:
            shutil.copy2(path, target)
    for name in ("overrides", "snippets", "macros"):  # hooks, theme, `watch:` paths
        if (ROOT / name).exists():
            (tmp / name).symlink_to(ROOT / name)
    config = (ROOT / "mkdocs.yml").read_text()
    config = drop_yaml_item(drop_yaml_item(config, "macros"), "pymdownx.snippets")
    (tmp / "mkdocs.yml").write_text(config)
    return tmp


def mkdocs_build_seconds(project: Path, out: Path) -> float:
    began = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-q",
            "-f",
            str(project / "mkdocs.yml"),
            "-d",
            str(out),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        raise RuntimeError(f"mkdocs build failed in {project}:\n{result.stderr[-2000:]}")
    return elapsed


def site_rows(builds: int = 3) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="pcrg-bench-site-") as tmp:
        plain = plain_project(Path(tmp) / "plain")
        ours, theirs = [], []
        for i in range(builds):  # interleaved
            ours.append(mkdocs_build_seconds(ROOT, Path(tmp) / f"ours-{i}"))
            theirs.append(mkdocs_build_seconds(plain, Path(tmp) / f"plain-{i}"))
        pages = sum(1 for _ in (ROOT / "docs").rglob("*.md"))
    a, b = statistics.median(ours), statistics.median(theirs)
    return [
        Row(
            f"mkdocs build --strict, median of {builds} ({pages} pages)",
            "—",
            f"our site {a:.2f} s",
            f"plain Material {b:.2f} s",
            f"{a / b:.2f} ({(a - b) / b:+.0%} for macros + includes)",
            figures={
                "ours": Figure("mkdocs build --strict, our site", a, "s"),
                "baseline": Figure("plain Material build, same pages", b, "s"),
            },
            ratio_value=a / b,  # > 1: our build is slower by that factor
            extra={"builds": builds, "pages": pages},
        )
    ]
