"""Sections of a shown file: ``# --8<-- [start:name]`` … ``# --8<-- [end:name]``.

TypeScript and JavaScript use ``// --8<-- …``; pymdownx.snippets reads the markers, the
macros check a page asks for a section that exists, the bench expands them statically.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

START = re.compile(r"--8<-- \[start:([a-z][-_0-9a-z]*)\]")
MARKER = re.compile(r".*--8<-- \[(?:start|end):[^\]]+\].*\n?")


def names(text: str) -> list[str]:
    """The section names a file declares, in order."""
    return START.findall(text)


def section_text(path: Path, section: str = "") -> str:
    """What pymdownx.snippets includes for ``path[:section]`` (dedented, markers removed)."""
    text = Path(path).read_text()
    if section:
        start = text.index(f"[start:{section}]")
        text = text[text.index("\n", start) + 1 : text.index(f"[end:{section}]")]
        text = textwrap.dedent(text[: text.rfind("\n") + 1])
    return MARKER.sub("", text).rstrip("\n")
