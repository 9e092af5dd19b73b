"""The bench's report: a row per comparison, the machine it ran on, the table it prints and
the JSON it writes (``docs/_captured/bench.json``: the same figures, raw, for reviewers)."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from tools import harness
from tools.paths import SNIPPETS

NOT_YET = "not available yet"
SCHEMA = 1
DISPLAY = ("area", "kind", "ours", "baseline", "ratio")  # the table's columns, in order


@dataclass
class Figure:
    """One side's raw figure: what ran, its value and unit (value None: not measured)."""

    label: str
    value: float | None
    unit: str

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "value": self.value, "unit": self.unit}


@dataclass
class Row:
    """One comparison: ours vs a baseline, measured in the same run.

    The five text cells are the table; ``figures`` carries the raw numbers for bench.json
    (``ours``, ``baseline`` and, where measured, a third column such as ``bare``);
    ``ratio_value`` is the number the ratio cell shows. ``passed`` is False for a row whose
    run failed (a verification row): it is reported on the console, never published.
    """

    area: str
    kind: str
    ours: str
    baseline: str
    ratio: str
    figures: dict[str, Figure] = field(default_factory=dict)
    ratio_value: float | None = None
    passed: bool = True
    step: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def benchmark_binary() -> str | None:
    return shutil.which("redis-benchmark") or shutil.which("valkey-benchmark")


def benchmark_version() -> str:
    bench = benchmark_binary()
    if not bench:
        return "redis-benchmark: not installed"
    out = subprocess.run([bench, "--version"], capture_output=True, text=True, timeout=10)
    return out.stdout.strip().split(" (")[0]


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def node_versions() -> dict[str, str]:
    """node and the npm packages the bench drives (ioredis, bullmq), as installed."""
    found: dict[str, str] = {}
    node = shutil.which("node")
    if node:
        out = subprocess.run([node, "-p", "process.versions.node"], capture_output=True, text=True)
        found["node"] = out.stdout.strip() or "unknown"
    for name in ("ioredis", "bullmq"):
        package = SNIPPETS / "node_modules" / name / "package.json"
        if package.is_file():
            found[name] = json.loads(package.read_text())["version"]
    return found


def clients() -> dict[str, str]:
    """Client and tool versions a figure depends on."""
    return {
        "python": platform.python_version(),
        "redis-py": _package("redis"),
        "hiredis": _package("hiredis"),
        "bullmq (python)": _package("bullmq"),
        "pytest-redis": _package("pytest-redis"),
        "mkdocs": _package("mkdocs"),
        "mkdocs-material": _package("mkdocs-material"),
        **node_versions(),
        "baseline tool": benchmark_version(),
    }


def machine() -> dict[str, Any]:
    return {
        "system": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "load_at_start": load_value(),
        "load_at_end": None,
    }


def server_of(kind: str) -> dict[str, str | None]:
    """``valkey 8.1.8`` → {"kind": "valkey", "version": "8.1.8"}; "both" / "—" kept as kind."""
    name, _, ver = kind.partition(" ")
    return {"kind": name, "version": ver or None}


def machine_lines(run: dict[str, Any] | None = None) -> list[str]:
    """The text header: date, machine, versions, servers, load at start."""
    run = run or run_info()
    kinds = harness.discover_kinds()
    m, c = run["machine"], run["clients"]
    node = ", ".join(f"{k} {v}" for k, v in c.items() if k in ("node", "ioredis", "bullmq"))
    return [
        f"date: {run['date']}",
        f"machine: {m['system']}, {m['cpus']} CPUs ({m['cpu_model']})",
        f"python {c['python']}, redis-py {c['redis-py']} (hiredis {c['hiredis']}), "
        f"bullmq {c['bullmq (python)']}, pytest-redis {c['pytest-redis']}, "
        f"mkdocs {c['mkdocs']}, mkdocs-material {c['mkdocs-material']}",
        *([node] if node else []),
        "servers: " + (", ".join(f"{k} ({k.origin.split(':')[0]})" for k in kinds.values())),
        f"baseline tool: {c['baseline tool']}",
        f"load average at start: {m['load_at_start']} (other work on the machine slows every "
        "figure; each ratio's two sides ran one after the other)",
    ]


def run_info() -> dict[str, Any]:
    """What every row of one run shares: date, machine, client versions, servers."""
    return {
        "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "machine": machine(),
        "clients": clients(),
        "servers": [server_of(str(k)) for k in harness.discover_kinds().values()],
    }


def load_value() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def load() -> str:
    """The 1-minute load average, for judging how quiet the machine was."""
    value = load_value()
    return "unknown" if value is None else f"{value:.1f}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def rate(value: float | None, unit: str = "ops/s") -> str:
    return "—" if value is None else f"{value:,.0f} {unit}"


def median(values: list[float | None]) -> float | None:
    """The median, or None when a side could not be measured (no redis-benchmark)."""
    return None if None in values else statistics.median(values)  # type: ignore[type-var]


def ratio_of(ours: float | None, baseline: float | None) -> float | None:
    return ours / baseline if ours is not None and baseline else None


def table(rows: list[Row]) -> str:
    head = Row("comparison", "server", "ours", "baseline", "ratio")
    widths = [max(len(getattr(r, f)) for r in [head, *rows]) for f in DISPLAY]

    def line(row: Row) -> str:
        cells = [getattr(row, f).ljust(w) for f, w in zip(DISPLAY, widths, strict=True)]
        return "| " + " | ".join(cells) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), rule, *(line(r) for r in rows)])


# ------------------------------------------------------------------ bench.json


def row_json(row: Row, run: dict[str, Any]) -> dict[str, Any]:
    """One comparison, self-contained: its figures and the run (date, machine, clients)
    that produced them (rows carried over from an earlier run keep their own)."""
    return {
        "name": row.area,
        "step": row.step,
        "server": server_of(row.kind),
        "ratio": row.ratio_value,
        "ratio_text": row.ratio,
        "text": {"ours": row.ours, "baseline": row.baseline},
        **{side: fig.as_json() for side, fig in row.figures.items()},
        **({"extra": row.extra} if row.extra else {}),
        "date": run["date"],
        "machine": run["machine"],
        "clients": run["clients"],
    }


def bench_json(rows: list[Row], run: dict[str, Any], carried: list[dict] | None = None) -> dict:
    """The whole document: the run, one entry per published comparison, and the rows that
    failed (kept for reviewers, never on the page). ``carried``: rows of steps not rerun,
    as an earlier bench.json had them."""
    return {
        "schema": SCHEMA,
        "run": run,
        "rows": [row_json(r, run) for r in rows if r.passed] + list(carried or []),
        "failed": [row_json(r, run) for r in rows if not r.passed],
    }


PUBLISHED_OUTCOME = re.compile(r"^\d+ passed(, \d+ (skipped|deselected|xfailed|xpassed))*$")


def outcome_passed(outcome: str) -> bool:
    """True only for a pytest summary with passes and nothing failing ("3 passed, 1 skipped")."""
    return bool(PUBLISHED_OUTCOME.match(outcome.strip()))


def rows_from_text(text: str) -> list[Row]:
    """Table rows of an earlier bench.txt (before bench.json existed), raw figures parsed
    where a cell is a plain "<value> <unit>"."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith("| comparison"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != len(DISPLAY):
            continue
        row = Row(*cells)
        for side in ("ours", "baseline"):
            found = re.fullmatch(r"(?:(.*?) )?([\d,.]+) ?(.*)", getattr(row, side))
            if found:
                label, value, unit = found.groups()
                row.figures[side] = Figure(label or "", float(value.replace(",", "")), unit)
        rows.append(row)
    return rows
