"""mkdocs-macros module: the only ways a page shows code, configuration or output.

- ``{{ snippet("config/client.py", "make-client") }}`` — a section of a file in snippets/
  (or any repo file given from the root, e.g. ``snippet("/deploy/render.yaml")``), included
  by pymdownx.snippets (check_paths: true), with a badge saying what verified it.
- ``{{ snippet_tabs("config/client.py", "config/client.ts", "make-client") }}`` — the same
  recipe in Python and TypeScript as linked content tabs ("Python" / "Node.js (TypeScript)"),
  each with its own badge; a reader's choice of tab sticks across pages.
- ``{{ captured("econnrefused") }}`` — output captured from a real run (docs/_captured/).
- ``{{ precedence_table() }}`` — the settings precedence, generated from the code.
- ``{{ symptom_table() }}`` — the troubleshooting symptom table, from snippets/checks.py.
- ``{{ url_inspector() }}`` — the in-browser URL inspector (docs/javascripts/url-widget.js).
- ``{{ what_changed() }}`` — this version's notes from versions.toml (docs/changes/).
- ``{{ download("doctor/redis-doctor.mjs") }}`` — a link to the file, copied into the built
  site under ``downloads/``, with its SHA-256 computed at build time.

Badges: ``$VERIFIED_REPORT`` names the JSON report of this build's test run (written by the
pytest plugin tools/site/verified.py; ``make site`` sets it). Without it a badge says "not
verified in this checkout"; with ``VERIFIED_STRICT=1`` a shown file whose test has no
passing record fails the build. The test files are published beside the pages
(``_sources/…txt``) so a badge links to the very test that ran.

Literal ``{{ … }}`` / ``${{ … }}`` text in a page goes inside ``{% raw %}…{% endraw %}``;
``on_undefined: strict`` makes anything else that looks like Jinja fail the build.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tomllib
from pathlib import Path

from macros import facts
from tools import captured as captures
from tools import sections, shown
from tools.paths import ROOT, snippet_files

LANGUAGES = {
    ".py": "python",
    ".ts": "typescript",
    ".mts": "typescript",
    ".mjs": "javascript",
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


CODE = shown.CODE  # executed by tests ("ran"); other files are "validated"
TAB_LABELS = {"python": "Python", "typescript": "Node.js (TypeScript)"}
repo_path = shown.repo_path  # ``config/x.py`` -> snippets/config/x.py; ``/x`` -> the repo root
# The test that verifies a shown file: its mirror for code, else the test module declaring it
# in ``SHOWS = (...)`` (tools/shown.py).
validating_test = shown.validating_test


def fence(body: str, lang: str, attrs: str = "") -> str:
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`+", body)), default=0) + 1)
    return f"{ticks}{lang}{(' ' + attrs) if attrs else ''}\n{body}\n{ticks}"


def report() -> dict | None:
    """This build's test report, or None when the tests did not run in this checkout."""
    path = os.environ.get("VERIFIED_REPORT")
    return json.loads(Path(path).read_text()) if path and Path(path).is_file() else None


def badge(file: Path, test: Path, page_url: str = "") -> str:
    rel, test_rel = file.relative_to(ROOT).as_posix(), test.relative_to(ROOT).as_posix()
    verb = "ran" if file.suffix in CODE else "validated"
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
        f'<p class="pc-badge" data-verified="yes">{verb} {where} · {client_versions(file, data)}'
        f" · {data['date']} · {record['passed']} passing tests in {link}</p>"
    )


def client_versions(file: Path, data: dict) -> str:
    """The client library a block ran with: redis-py for Python, ioredis (and Node) for TS."""
    if file.suffix == ".py" or "ioredis" not in data:
        return f"redis-py {data['redis_py']}"
    return f"ioredis {data['ioredis']} · Node {data.get('node', '?')}"


def snippet(
    path: str, section: str | None = None, title: str | None = None, page_url: str = ""
) -> str:
    file = repo_path(path)
    rel = file.relative_to(ROOT).as_posix()
    if not file.is_file():
        raise IncludeError(f"snippet file {rel} does not exist")
    if section and section not in sections.names(file.read_text()):
        raise IncludeError(f"snippet {rel} has no section [start:{section}]")
    test = validating_test(file)
    if test is None:
        raise IncludeError(
            f"{rel} is shown but no test verifies it: its mirror test, or a test module "
            f'declaring SHOWS = ("{rel}",)'
        )
    lang = LANGUAGES.get(file.suffix, "text")
    target = f"{rel}:{section}" if section else rel
    block = fence(f'--8<-- "{target}"', lang, f'title="{title or rel}"')
    return f"{block}\n{badge(file, test, page_url)}\n"


def snippet_tabs(
    python: str,
    typescript: str,
    section: str | None = None,
    ts_section: str | None = None,
    page_url: str = "",
) -> str:
    """One recipe in both languages as linked content tabs (``content.tabs.link``)."""
    tabs = []
    for path, sect in ((python, section), (typescript, ts_section or section)):
        lang = LANGUAGES.get(repo_path(path).suffix, "text")
        body = snippet(path, sect, page_url=page_url)
        indented = "\n".join(("    " + line) if line else "" for line in body.splitlines())
        tabs.append(f'=== "{TAB_LABELS.get(lang, lang)}"\n\n{indented}\n')
    return "\n".join(tabs) + "\n"


def captured(name: str) -> str:
    capture = captures.read(name)
    if capture is None:
        raise IncludeError(f"no captured output {name!r}: run `make captures`")
    header, body = capture.header, capture.body
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


def symptom_table() -> str:
    """What you see → cause → check id → fix: rendered from its one source, SYMPTOMS."""
    from snippets.checks import symptom_table

    return symptom_table()


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


DOWNLOADS: dict[str, Path] = {}  # name -> file, offered by download() on some page


def download(path: str, page_url: str = "") -> str:
    """A link to a file published beside the pages (``downloads/NAME``) and its SHA-256,
    both computed from the repo's file at build time (on_post_build copies it)."""
    file = repo_path(path)
    if not file.is_file():
        raise IncludeError(f"download: no file {file.relative_to(ROOT)}")
    DOWNLOADS[file.name] = file
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    href = "../" * page_url.count("/") + f"downloads/{file.name}"
    return (
        f'<a class="pc-download" href="{href}" download>{file.name}</a> '
        f'({file.stat().st_size:,} bytes), SHA-256 <code class="pc-sha256">{digest}</code>'
    )


def copy_downloads(site_dir: str) -> None:
    for name, file in DOWNLOADS.items():
        target = Path(site_dir) / "downloads" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, target)


def copy_sources(site_dir: str) -> None:
    """Publish as text what the pages link to: the test files of the badges
    (``_sources/tests/…py.txt``) and every file a block shows, whole (a block's title links
    to ``_sources/snippets/…txt``)."""
    published = [*(ROOT / "tests").rglob("test_*.py")]
    published += snippet_files()  # not node_modules, caches or bytecode
    for source in published:
        target = Path(site_dir) / "_sources" / f"{source.relative_to(ROOT).as_posix()}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def define_env(env) -> None:
    def page_snippet(path: str, section: str | None = None, title: str | None = None) -> str:
        return snippet(path, section, title, page_url=env.page.url if env.page else "")

    def page_snippet_tabs(
        python: str, typescript: str, section: str | None = None, ts_section: str | None = None
    ) -> str:
        page_url = env.page.url if env.page else ""
        return snippet_tabs(python, typescript, section, ts_section, page_url=page_url)

    def page_download(path: str) -> str:
        return download(path, page_url=env.page.url if env.page else "")

    env.macro(page_download, "download")
    env.macro(page_snippet, "snippet")
    env.macro(page_snippet_tabs, "snippet_tabs")
    for fn in (captured, precedence_table, symptom_table, url_inspector, what_changed):
        env.macro(fn)
    facts.define(env)  # platform facts and recommended defaults (macros/facts.py)


def on_post_build(env) -> None:
    copy_sources(env.conf["site_dir"])
    copy_downloads(env.conf["site_dir"])
