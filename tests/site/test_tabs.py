"""The app's code is shown in both languages: linked tabs "Python" / "Node.js (TypeScript)".

Every page that shows a module of the app's code (config/, cache/, presence/, queues/,
scaling/, platforms/, security/) shows it through ``snippet_tabs(...)`` — or inside a
hand-written tab group whose "Python" tab and "Node.js (TypeScript)" tab both show code of
that directory — and every TypeScript module shown sits in a tab beside a Python module of
the same directory. The exceptions are listed below, each with its reason.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from tools.paths import ROOT

APP_DIRS = ("config", "cache", "presence", "queues", "scaling", "platforms", "security")
LABELS = {".py": "Python", ".ts": "Node.js (TypeScript)"}

# Shown in one language on purpose. Key: "module" (every section) or "module#section".
SINGLE_LANGUAGE = {
    "config/web_app.py": "gunicorn post_fork / FastAPI lifespan: Python's fork model; a Node "
    "process creates its ioredis clients once at startup (said on docs/setup/connections.md)",
    "config/async_client.py": "redis-py's asyncio client; ioredis has one client, and every "
    "command already returns a Promise",
    "security/acl.py#rule": "the ACL rules are an operator recipe (ACL SETUSER / aclfile) run on "
    "the server, not app code; the app only connects as that user",
    "security/acl.ts#check": "a Node-only startup warning for an app given admin credentials "
    "(no Python twin; the page says it is Node.js)",
    "queues/migrate_prefix.py": "a one-off migration an operator runs (bull: to {pharmacare}), "
    "not code the app runs; it has no Node twin (landed on main without one)",
    "cache/report_cache.py#decode": "msgspec's faster JSON decoder for Python's hit path; the "
    "Node cache keeps V8's JSON.parse, which is already native",
    "config/client.ts#queue-options": "BullMQ's connection options: Node only (Python's BullMQ "
    "takes the redis-py client shown beside the factory)",
    "config/client.ts#redact": "redactError() handles the `command.args` ioredis attaches to "
    "errors; the Python redaction is part of the client shown on the same page",
    "cache/redis-cache-service.ts#strict-json": "JSON.stringify is not strict by itself; "
    "Python's json.dumps with allow_nan=False already is (said in the text)",
    "platforms/elasticache.ts#create-cluster": "ioredis' dnsLookup for ElastiCache TLS clusters "
    "(Node only)",
    "config/redact.py#redact": "the doctor's own redaction (the doctor is a Python CLI); the "
    "app's Node redaction, config/client.ts#redact, is shown on docs/setup/connections.md",
    "platforms/railway.ts": "ioredis' family: 0 for Railway's IPv6 private network (redis-py "
    "resolves IPv6 by itself)",
}

# A TypeScript module beside a Python one of another directory, where that is the twin.
CROSS_DIR_TWINS = {
    ("queues/definitions.py", "config/settings.ts"): "DISABLE_BACKGROUND_JOBS: Python reads it "
    "in queues/definitions.py, Node in readSwitch() of config/settings.ts",
}

MACRO = re.compile(r"\{\{\s*(snippet_tabs|snippet)\s*\((.*?)\)\s*(?:\|[^}]*)?\}\}", re.S)
TAB = re.compile(r'^=== "(?P<label>[^"]+)"')


@dataclass(frozen=True)
class Shown:
    line: int
    macro: str
    args: tuple[str, ...]
    tab: tuple[int, str] | None  # (tab group, label) of a hand-written tab, if inside one


def _args(text: str) -> tuple[str, ...]:
    call = ast.parse(f"f({text})", mode="eval").body
    assert isinstance(call, ast.Call)
    return tuple(ast.literal_eval(a) for a in call.args)


def shown(page: str) -> list[Shown]:
    """Every snippet/snippet_tabs call of a page, with the hand-written tab it sits in."""
    tab_of_line: dict[int, tuple[int, str] | None] = {}
    group, current, last_was_tab = 0, None, False
    for number, line in enumerate(page.splitlines(), 1):
        match = TAB.match(line)
        if match:
            if not last_was_tab:
                group += 1
            current, last_was_tab = (group, match.group("label")), True
        elif line.strip() and not line.startswith((" ", "\t")):
            current, last_was_tab = None, False  # text at the margin ends the tab group
        tab_of_line[number] = current
    found = []
    for match in MACRO.finditer(page):
        number = page.count("\n", 0, match.start()) + 1
        found.append(Shown(number, match.group(1), _args(match.group(2)), tab_of_line[number]))
    return found


def _is_app(path: str) -> bool:
    return path.split("/")[0] in APP_DIRS and path.endswith(tuple(LABELS))


def _exempt(path: str, section: str | None) -> bool:
    return path in SINGLE_LANGUAGE or f"{path}#{section}" in SINGLE_LANGUAGE


def problems(page: str, name: str = "page") -> list[str]:
    """What breaks the rule on one page (empty: the page keeps it)."""
    calls = shown(page)
    found = []
    for call in calls:
        where = f"{name}:{call.line}"
        if call.macro == "snippet_tabs":
            python, typescript = call.args[0], call.args[1]
            if not (python.endswith(".py") and typescript.endswith(".ts")):
                found.append(f"{where}: snippet_tabs takes the Python module, then the TS one")
            elif (
                python.split("/")[0] != typescript.split("/")[0]
                and (python, typescript) not in CROSS_DIR_TWINS
            ):
                found.append(f"{where}: {typescript} is not beside its twin ({python})")
            continue
        path = call.args[0]
        section = call.args[1] if len(call.args) > 1 else None
        if not _is_app(path) or _exempt(path, section):
            continue
        suffix = "." + path.rsplit(".", 1)[1]
        other = next(s for s in LABELS if s != suffix)
        in_own_tab = call.tab is not None and call.tab[1] == LABELS[suffix]
        twin_beside = in_own_tab and any(
            c.tab is not None
            and c.tab[0] == call.tab[0]
            and c.tab[1] == LABELS[other]
            and c.macro == "snippet"
            and c.args[0].endswith(other)
            and c.args[0].split("/")[0] == path.split("/")[0]
            for c in calls
        )
        if not twin_beside:
            found.append(
                f"{where}: {path} ({section or 'whole file'}) is app code shown in one language: "
                f'use {{{{ snippet_tabs("x.py", "x.ts", "section") }}}} '
                "or list it in SINGLE_LANGUAGE with a reason"
            )
    return found


def test_rule_fails_on_a_page_that_shows_app_code_with_snippet_only():
    page = (
        "# Scaling\n\n"
        '{{ snippet("scaling/cluster.py", "connect") }}\n\n'
        '{{ snippet("scaling/cluster.ts", "connect") }}\n\n'
        '{{ snippet("monitoring/metrics.py", "x") }}\n'  # not app code: allowed
    )
    found = problems(page)
    assert len(found) == 2 and found[0].startswith("page:3: scaling/cluster.py (connect)")
    assert found[1].startswith("page:5: scaling/cluster.ts (connect)")


def test_rule_accepts_tabs_and_hand_written_tab_groups():
    page = (
        '{{ snippet_tabs("scaling/cluster.py", "scaling/cluster.ts", "connect") }}\n\n'
        '=== "Python"\n\n    {{ snippet("presence/presence.py", "run") | indent(4) }}\n\n'
        '=== "Node.js (TypeScript)"\n\n'
        '    {{ snippet("presence/socket-presence.ts",\n       "server") | indent(4) }}\n\n'
        "Text after the tabs.\n"
    )
    assert problems(page) == []
    # the same snippet after the tab group has ended is alone again
    alone = page + '\n{{ snippet("presence/presence.py", "run") }}\n'
    assert [p.split(":")[1] for p in problems(alone)] == ["14"]


def test_rule_refuses_a_ts_module_not_beside_its_twin():
    page = (
        '{{ snippet_tabs("scaling/cluster.py", "cache/query-cache.ts", "connect") }}\n'
        '{{ snippet_tabs("scaling/cluster.ts", "scaling/cluster.py", "connect") }}\n'
        '=== "Python"\n\n    {{ snippet("cache/report_cache.py", "x") | indent(4) }}\n\n'
        '=== "Other"\n\n    {{ snippet("cache/query-cache.ts", "x") | indent(4) }}\n'
    )
    found = problems(page)
    assert len(found) == 4, found
    assert "not beside its twin" in found[0] and "Python module, then the TS" in found[1]


def test_exceptions_are_real_modules():
    for key in [*SINGLE_LANGUAGE, *(p for pair in CROSS_DIR_TWINS for p in pair)]:
        assert (ROOT / "snippets" / key.split("#")[0]).is_file(), key


def test_every_page_shows_app_code_in_both_languages():
    found = []
    for md in sorted((ROOT / "docs").rglob("*.md")):
        found += problems(md.read_text(), str(md.relative_to(ROOT)))
    assert not found, "\n".join(found)
