"""mkdocs-macros module: the only ways a page shows code, configuration or output.

- ``{{ snippet("config/client.py", "make-client") }}`` — a section of a file in snippets/
  (or any repo file given from the root, e.g. ``snippet("/deploy/render.yaml")``), included
  by pymdownx.snippets (check_paths: true), with a badge saying what verified it.
- ``{{ captured("econnrefused") }}`` — output captured from a real run (docs/_captured/).
- ``{{ precedence_table() }}`` — the settings precedence, generated from the code.
- ``{{ url_inspector() }}`` — the in-browser URL inspector (docs/javascripts/url-widget.js).
- ``{{ what_changed() }}`` — this version's notes from versions.toml (docs/changes/).

Badges: ``$VERIFIED_REPORT`` names the JSON report of this build's test run (written by the
pytest plugin tests/site/verified.py; ``make site`` sets it). Without it a badge says "not
verified in this checkout"; with ``VERIFIED_STRICT=1`` a shown file whose test has no
passing record fails the build. The test files are published beside the pages
(``_sources/…txt``) so a badge links to the very test that ran.

Literal ``{{ … }}`` / ``${{ … }}`` text in a page goes inside ``{% raw %}…{% endraw %}``;
``on_undefined: strict`` makes anything else that looks like Jinja fail the build.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tomllib
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


def report() -> dict | None:
    """This build's test report, or None when the tests did not run in this checkout."""
    path = os.environ.get("VERIFIED_REPORT")
    return json.loads(Path(path).read_text()) if path and Path(path).is_file() else None


def badge(file: Path, test: Path, page_url: str = "") -> str:
    rel, test_rel = file.relative_to(ROOT).as_posix(), test.relative_to(ROOT).as_posix()
    verb = "ran" if file.suffix == ".py" else "validated"
    data = report()
    record = (data or {}).get("files", {}).get(test_rel)
    if not record or record["failed"] or not record["passed"]:
        if os.environ.get("VERIFIED_STRICT") == "1":
            why = "failed" if record else "has no passing record"
            raise IncludeError(
                f"{rel} is shown but {test_rel} {why} in {os.environ.get('VERIFIED_REPORT')}"
            )
        return (
            f'<p class="pc-badge" data-verified="no">not verified in this checkout: '
            f"<code>{test_rel}</code> did not run in this build</p>"
        )
    kinds = " and ".join(f"{k} {data['kinds'][k]}" for k in record["kinds"]) or "no server needed"
    where = f"on {kinds}" if record["kinds"] else f"({kinds})"
    up = "../" * page_url.count("/")  # the page's depth: links work in every version folder
    link = f'<a href="{up}_sources/{test_rel}.txt"><code>{test_rel}</code></a>'
    return (
        f'<p class="pc-badge" data-verified="yes">{verb} {where} · redis-py '
        f"{data['redis_py']} · {data['date']} · {record['passed']} passing tests in {link}</p>"
    )


def snippet(
    path: str, section: str | None = None, title: str | None = None, page_url: str = ""
) -> str:
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
    return f"{block}\n{badge(file, test, page_url)}\n"


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


def url_inspector() -> str:
    """The URL inspector widget; check summaries and docs links come from snippets/checks.py."""
    from snippets.checks import CHECKS, docs_path

    checks = {
        i: {"status": c.status, "summary": c.summary, "docs": docs_path(i)}
        for i, c in CHECKS.items()
    }
    data = json.dumps(checks, sort_keys=True).replace("<", "\\u003c")
    return f"""
<div class="pc-inspector" data-pc-inspector markdown="0">
<label for="pc-url">Paste a Redis URL to inspect it</label>
<input id="pc-url" type="text" inputmode="url" autocomplete="off" autocapitalize="off"
 spellcheck="false" placeholder="rediss://default:PASSWORD@HOST:6379/0"
 aria-describedby="pc-url-help">
<p id="pc-url-help" class="pc-inspector__help">Checked in this page with the same rules as
<code>redis-doctor --inspect</code>: nothing is sent anywhere, the password is shown as ***.</p>
<div class="pc-inspector__result" role="status" aria-live="polite"></div>
<script type="application/json">{data}</script>
</div>
"""


def what_changed() -> str:
    """This version's notes (SITE_VERSION, set by the site build; "dev" otherwise)."""
    versions = tomllib.loads((ROOT / "versions.toml").read_text())["version"]
    current = os.environ.get("SITE_VERSION", "dev")
    lines = []
    for v in versions:
        if v["name"] == current:
            pinned = (
                "the working tree" if v["commit"] == "worktree" else f"commit `{v['commit'][:12]}`"
            )
            lines += [f"## {v['title']}", "", f"Built from {pinned} of `main`.", ""]
            lines += [f"- {note}" for note in v["notes"]]
    others = [
        f"[{v['title']}](../../{v['name']}/changes/)" for v in versions if v["name"] != current
    ]
    return "\n".join([*lines, "", "Other versions: " + ", ".join(others) + "."]) + "\n"


def copy_sources(site_dir: str) -> None:
    """Publish the test files a badge links to, as text (``_sources/tests/…py.txt``)."""
    for test in (ROOT / "tests").rglob("test_*.py"):
        target = Path(site_dir) / "_sources" / f"{test.relative_to(ROOT).as_posix()}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(test, target)


def define_env(env) -> None:
    def page_snippet(path: str, section: str | None = None, title: str | None = None) -> str:
        return snippet(path, section, title, page_url=env.page.url if env.page else "")

    env.macro(page_snippet, "snippet")
    for fn in (captured, precedence_table, url_inspector, what_changed):
        env.macro(fn)


def on_post_build(env) -> None:
    copy_sources(env.conf["site_dir"])
