"""Embed the check catalogue and the URL inspector into the one-file Node doctor.

snippets/doctor/redis-doctor.mjs must stay one self-contained file (operators copy it into
an app's shell), yet its ids and URL rules must have one source: snippets/checks.json (also
read by snippets/checks.py) and docs/javascripts/redis-url.js (the browser inspector). This
writes both, verbatim, between the file's ``BEGIN GENERATED`` / ``END GENERATED`` markers.

    python -m tools.embed_catalogue          # rewrite the .mjs
    python -m tools.embed_catalogue --check  # exit 1 when the embedded copies are stale

tests/doctor/test_redis_doctor_ts.py runs the check, so a stale copy fails the suite.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tools.paths import ROOT

DOCTOR = ROOT / "snippets" / "doctor" / "redis-doctor.mjs"
CATALOGUE = ROOT / "snippets" / "checks.json"
INSPECTOR = ROOT / "docs" / "javascripts" / "redis-url.js"


def _block(source: Path, body: str) -> tuple[str, str, str]:
    name = source.relative_to(ROOT).as_posix()
    begin = f"// BEGIN GENERATED: {name} (tools/embed_catalogue.py)\n"
    end = f"// END GENERATED: {name}\n"
    return begin, body if body.endswith("\n") else body + "\n", end


def blocks() -> list[tuple[str, str, str]]:
    catalogue = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    data = json.dumps(catalogue, indent=2, ensure_ascii=False)
    return [
        _block(CATALOGUE, f"const CATALOGUE = {data};\n"),
        _block(INSPECTOR, INSPECTOR.read_text(encoding="utf-8")),
    ]


def embed(text: str) -> str:
    """``text`` with each generated block replaced by the current sources."""
    for begin, body, end in blocks():
        start = text.index(begin) + len(begin)  # ValueError: the markers were removed
        stop = text.index(end, start)
        text = text[:start] + body + text[stop:]
    return text


def main(argv: list[str]) -> int:
    current = DOCTOR.read_text(encoding="utf-8")
    wanted = embed(current)
    if "--check" in argv:
        if current != wanted:
            print(f"{DOCTOR.relative_to(ROOT)} is stale: run python -m tools.embed_catalogue")
            return 1
        return 0
    DOCTOR.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
