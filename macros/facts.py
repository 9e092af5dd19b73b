"""Platform facts and our recommended defaults, as tables generated from their one source.

- ``{{ plan_table("render") }}`` / ``{{ plan_table() }}`` — plan limits, price, persistence,
  source and "last checked" per row, from docs/_data/platforms.toml.
- ``{{ url_table() }}`` / ``{{ url_table("render") }}`` — URL shapes, read from the repo files
  the platform tests connect with (the data file names the file).
- ``{{ platform_table() }}`` — one row per platform: product, TLS, default eviction policy.
- ``{{ decision_table() }}`` — which platform and plan for which need (the start page).
- ``{{ platform_facts("render") }}`` — TLS, eviction default, dashboard metrics, support.
- ``{{ fact("render", "Free", "memory") }}`` — one value, inline in a sentence.
- ``{{ defaults_table("queues"|"reports"|"presence") }}`` — our choices, read from the
  code's own constants, with the reasoning: "recommended defaults — set your own".

tests/site/test_facts.py checks that no page states a plan figure this file does not hold.
"""

from __future__ import annotations

import inspect
import tomllib
from datetime import timedelta
from functools import cache

from tools.paths import ROOT

DATA = ROOT / "docs" / "_data" / "platforms.toml"


@cache
def data() -> dict:
    return tomllib.loads(DATA.read_text())


def platform(pid: str) -> dict:
    for p in data()["platform"]:
        if p["id"] == pid:
            return p
    raise KeyError(f"no platform {pid!r} in {DATA.relative_to(ROOT)}")


def plans(pid: str | None = None) -> list[dict]:
    return [p for p in data()["plan"] if pid is None or p["platform"] == pid]


def url_shape(row: dict) -> str:
    """The REDIS_URL of the row's file (the file the platform tests use), else its `shape`."""
    if "shape" in row:
        return row["shape"]
    for line in (ROOT / "snippets" / row["file"]).read_text().splitlines():
        if line.startswith("REDIS_URL="):
            return line.split("=", 1)[1]
    raise KeyError(f"{row['file']} has no REDIS_URL line and the row has no shape")


def _link(url: str, text: str = "source") -> str:
    return f"[{text}]({url})" if url else "—"


def _page_link(target: str, page_url: str, text: str) -> str:
    up = "../" * page_url.count("/") if page_url else ""
    return f"[{text}]({up}{target[:-3]}/)"


def _source(row: dict) -> str:
    return f"{_link(row['source'])}, checked {row['checked']}"


def plan_table(pid: str | None = None, page_url: str = "") -> str:
    head = "| Plan | Memory | Connections | Persistence | Price | Source |"
    rule = "|---|---|---|---|---|---|"
    if pid is None:
        head, rule = "| Platform " + head, "|---" + rule
    rows = []
    for p in plans(pid):
        cells = [p["name"], p["memory"], p["connections"], p["persistence"], p["price"], _source(p)]
        if pid is None:
            cells.insert(
                0,
                _page_link(
                    platform(p["platform"])["page"], page_url, platform(p["platform"])["name"]
                ),
            )
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join([head, rule, *rows]) + "\n"


def url_table(pid: str | None = None, page_url: str = "") -> str:
    rows = []
    for u in data()["url"]:
        if pid is not None and u["platform"] != pid:
            continue
        p = platform(u["platform"])
        name = _page_link(p["page"], page_url, p["name"])
        rows.append(f"| {name} | {u['kind']} | `{url_shape(u)}` | {p['tls']} |")
    return "| Platform | URL | Shape | TLS |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"


def platform_table(page_url: str = "") -> str:
    rows = []
    for p in data()["platform"]:
        name = _page_link(p["page"], page_url, p["name"])
        quick = _page_link(p["quickstart"], page_url, "quickstart")
        rows.append(
            f"| {name} ({quick}) | {p['product']} | {p['tls']} | {p['eviction_default']} "
            f"| {_source(p)} |"
        )
    head = (
        "| Platform | Product | TLS | Default eviction policy | Source |\n|---|---|---|---|---|\n"
    )
    return head + "\n".join(rows) + "\n"


def _connections(plan: dict) -> str:
    value = plan["connections"]
    return f"{value} connections" if value[:1].isdigit() else f"connections {value}"


def decision_table(page_url: str = "") -> str:
    rows = []
    for need in data()["need"]:
        p = platform(need["platform"])
        plan = next(x for x in plans(p["id"]) if x["name"] == need["plan"])
        quick = _page_link(p["quickstart"], page_url, f"{p['name']} {plan['name']}")
        rows.append(
            f"| {need['need']} | {quick} | {plan['memory']} · {_connections(plan)} "
            f"| {plan['persistence']} | {need['why']} |"
        )
    head = (
        "| You need | Start with | Memory · connections | Persistence | Why |\n"
        "|---|---|---|---|---|\n"
    )
    return head + "\n".join(rows) + "\n"


def platform_facts(pid: str) -> str:
    p = platform(pid)
    support = p["support"]
    if p["support_source"]:
        support += f" ({_link(p['support_source'])})"
    return (
        "| | |\n|---|---|\n"
        f"| TLS | {p['tls']} |\n"
        f"| Default eviction policy | {p['eviction_default']} |\n"
        f"| Dashboard metrics | {p['metrics']} |\n"
        f"| Support | {support} |\n"
        f"| Source | {_source(p)} |\n"
    )


def platform_fact(pid: str, field: str) -> str:
    return platform(pid)[field]


def fact(pid: str, plan_name: str, field: str) -> str:
    for p in plans(pid):
        if p["name"] == plan_name:
            return p[field]
    raise KeyError(f"no plan {plan_name!r} for {pid!r} in {DATA.relative_to(ROOT)}")


# ------------------------------------------------------------------ our recommended defaults


def _span(value: timedelta | float | int) -> str:
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit[:-1] if n == 1 else unit}"
    return f"{seconds:g} s"


def _default(fn, name: str):
    return inspect.signature(fn).parameters[name].default


def defaults_rows(area: str) -> list[tuple[str, str, str, str]]:
    """(setting, our default, where it is set, why) read from the code's constants."""
    if area == "queues":
        from snippets.queues import definitions as d
        from snippets.queues import producers as p

        opts = d.DEFAULT_JOB_OPTIONS
        q = "snippets/queues/definitions.py"
        pr = "snippets/queues/producers.py"
        return [
            (
                "Tries per job",
                f"{opts['attempts']} in total",
                f"`DEFAULT_JOB_OPTIONS` in {q}",
                "a reminder that fails three times needs a person, not a fourth try",
            ),
            (
                "Wait between tries",
                f"exponential from {_span(opts['backoff']['delay'] / 1000)}",
                f"`DEFAULT_JOB_OPTIONS` in {q}",
                "rides out a restart or a rate limit of the mail/SMS provider",
            ),
            (
                "Completed jobs kept",
                f"{_span(opts['removeOnComplete']['age'])}, at most "
                f"{opts['removeOnComplete']['count']:,}",
                f"`DEFAULT_JOB_OPTIONS` in {q}",
                'enough to answer "was it sent?" today; bounded memory on a small plan',
            ),
            (
                "Failed jobs kept",
                _span(opts["removeOnFail"]["age"]),
                f"`DEFAULT_JOB_OPTIONS` in {q}",
                "a week to inspect and retry after a weekend",
            ),
            (
                "Appointment reminder sent",
                f"{_span(p.REMINDER_LEAD)} before",
                f"`REMINDER_LEAD` in {pr}",
                "the patient can still reschedule",
            ),
            (
                "Medication reminder",
                f"cron `{_default(p.Producers.medication_reminder, 'pattern')}` "
                f"({_default(p.Producers.medication_reminder, 'tz')} "
                "unless the patient's zone is given)",
                f"`medication_reminder()` in {pr}",
                "one morning reminder; pass the prescription's own times",
            ),
            (
                "Adherence check",
                f"every {_span(_default(p.Producers.adherence_check, 'every'))}",
                f"`adherence_check()` in {pr}",
                "adherence is judged per day",
            ),
            (
                "Follow-up monitor",
                f"every {_span(_default(p.Producers.follow_up_monitor, 'every'))}",
                f"`follow_up_monitor()` in {pr}",
                "an overdue follow-up is noticed within the hour",
            ),
        ]
    if area == "reports":
        from snippets.cache import report_cache as c

        f = "snippets/cache/report_cache.py"
        rows = [
            (
                f"TTL of `{name}`",
                _span(ttl),
                f"`REPORT_TTL` in {f}",
                "changes with every sale"
                if ttl <= timedelta(minutes=5)
                else "closed periods barely change"
                if ttl >= timedelta(minutes=30)
                else "changes a few times an hour",
            )
            for name, ttl in c.REPORT_TTL.items()
        ]
        return [
            *rows,
            (
                "Served stale while one request reloads",
                _span(c.STALE_FOR),
                f"`STALE_FOR` in {f}",
                "a hot report never sends every request to the database at once",
            ),
            (
                "Jitter on every TTL",
                f"±{c.JITTER:.0%}",
                f"`JITTER` in {f}",
                "entries written together do not expire together",
            ),
            (
                "Largest cached value",
                f"{c.MAX_VALUE_BYTES // 1024} KB",
                f"`MAX_VALUE_BYTES` in {f}",
                "one huge report must not evict many small ones",
            ),
        ]
    if area == "presence":
        from snippets.presence import presence as pz

        f = "snippets/presence/presence.py"
        return [
            (
                "Heartbeat",
                f"every {_span(pz.HEARTBEAT_EVERY)}",
                f"`HEARTBEAT_EVERY` in {f}",
                "a few writes a minute per instance, not per user action",
            ),
            (
                "Offline after",
                _span(pz.OFFLINE_AFTER),
                f"`OFFLINE_AFTER` in {f}",
                "three missed heartbeats: one slow beat does not flap a user offline",
            ),
            (
                "Heartbeats per round trip",
                f"{pz.BATCH}",
                f"`BATCH` in {f}",
                "10,000 users refresh in a few round trips",
            ),
        ]
    raise KeyError(f"no defaults area {area!r} (queues, reports, presence)")


TITLES = {"queues": "Queues", "reports": "Report cache", "presence": "Presence"}


def defaults_table(area: str) -> str:
    rows = "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in defaults_rows(area))
    return (
        f"**{TITLES[area]}: recommended defaults — set your own.** These are this guide's "
        "choices, not values from the PharmaCare app; change them where the table says.\n\n"
        "| Setting | Our default | Where it is set | Why |\n|---|---|---|---|\n" + rows + "\n"
    )


def define(env) -> None:
    """Register the macros (called from macros/__init__.py's define_env)."""

    def page_url() -> str:
        return env.page.url if env.page else ""

    env.macro(lambda pid=None: plan_table(pid, page_url()), "plan_table")
    env.macro(lambda pid=None: url_table(pid, page_url()), "url_table")
    env.macro(lambda: platform_table(page_url()), "platform_table")
    env.macro(lambda: decision_table(page_url()), "decision_table")
    env.macro(lambda: persistence_table(page_url()), "persistence_table")
    env.macro(lambda count=5: symptom_rows(count, page_url()), "symptom_rows")
    for fn in (platform_facts, platform_fact, fact, defaults_table, bench_captured):
        env.macro(fn)


# ------------------------------------------------------------------ the start page


def symptom_rows(count: int, page_url: str = "") -> str:
    """The first rows of the troubleshooting symptom table (snippets/checks.py), links rebased."""
    import re

    from snippets.checks import symptom_table

    lines = symptom_table().splitlines()
    head, rule, rows = lines[0], lines[1], lines[2 : 2 + count]
    up = "../" * page_url.count("/") if page_url else ""
    rebased = [
        re.sub(
            r"\]\(([a-z-]+)\.md(#[^)]*)?\)",
            lambda m: f"]({up}troubleshooting/{m[1]}/{m[2] or ''})",
            r,
        )
        for r in rows
    ]
    return "\n".join([head, rule, *rebased]) + "\n"


# ------------------------------------------------------------------ benchmarks (maintainers)


FAILING = ("failed", "error")


def bench_captured() -> str:
    """The captured `make bench` table without rows whose test run failed: a failing row is
    not a figure to publish; the note says how many were left out."""
    file = ROOT / "docs" / "_captured" / "bench.txt"
    body = file.read_text().partition("\n---\n")[2]
    kept, dropped = [], []
    for line in body.rstrip().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")] if line.startswith("|") else []
        if cells and any(word in c for c in cells[1:] for word in FAILING):
            dropped.append(cells[0])
        else:
            kept.append(line)
    note = (
        f"Left out: {len(dropped)} row(s) whose test run did not pass ({', '.join(dropped)}); "
        "rerun `make bench` on a quiet machine."
        if dropped
        else "Every row's run passed."
    )
    body_text = "\n".join(kept)
    return f'```text\n{body_text}\n```\n<p class="pc-captured">{note}</p>\n'


def persistence_table(page_url: str = "") -> str:
    rows = []
    for p in plans():
        name = _page_link(
            platform(p["platform"])["page"], page_url, platform(p["platform"])["name"]
        )
        rows.append(f"| {name} | {p['name']} | {p['persistence']} | {_source(p)} |")
    head = "| Platform | Plan | Persistence | Source |\n|---|---|---|---|\n"
    return head + "\n".join(rows) + "\n"
