"""``make bench``: ratios measured side by side in one run, on this machine.

Run ``.venv/bin/python -m tools.bench`` (``make bench``). It prints one table and writes it
to ``docs/_captured/bench.txt`` (shown on docs/operations/benchmarks.md), headed by the date,
the CPU count and model, and the server versions, and the same figures, raw, to
``docs/_captured/bench.json`` (one entry per comparison: name, ratio, both sides' value and
unit, server kind and version, client versions, machine, date). Every row compares two
things measured here, one after the other, on the same server binary:

- start: disposable server start-to-PING, the harness vs pytest-redis's ``RedisExecutor``;
- cache: report-cache and query-cache hits (Python) vs ``redis-benchmark -t get -c 1`` on
  the same key and value, with a bare redis-py GET loop as a third column (the client's own
  floor); report requests through the cache vs a 20 ms query;
- ts-cache: the same hits through the TypeScript cache (RedisCacheService, query cache);
- presence: a heartbeat batch vs ``redis-benchmark`` ZADD at the same pipeline depth;
- queues: a BullMQ worker vs a plain LPUSH/BRPOP loop;
- workers: one Node BullMQ worker vs one Python bullmq worker (same jobs, same concurrency);
- site: ``mkdocs build --strict`` of the site vs a plain Material build of the same pages;
- verify: the whole verification (``make test``): its wall time and CPU time side by side.
  Published only when it passed: a failing run is printed loudly and ``make bench`` exits 1.

``--only STEP …`` runs some steps; the captures are still rewritten, and the rows of the
steps not rerun are carried over from the previous bench.json (each keeps its own date,
marked in the table). Not part of ``make test`` (its helpers are tested in tests/tools/).
Bounded: every subprocess has a timeout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools import captured, harness
from tools.bench.app import cache_rows, presence_rows, queue_rows
from tools.bench.client_cache import client_cache_rows
from tools.bench.peers import peer_rows
from tools.bench.report import (
    Row,
    bench_json,
    load,
    load_value,
    machine_lines,
    outcome_passed,
    row_json,
    rows_from_text,
    run_info,
    table,
)
from tools.bench.site import site_rows
from tools.bench.start import start_rows
from tools.bench.ts_cache import ts_cache_rows
from tools.bench.verify import verification_rows
from tools.bench.workers import worker_rows
from tools.paths import CAPTURE_DIR, ROOT

Step = Callable[[argparse.Namespace, list[harness.Kind]], list[Row]]

# One entry per step: add a step here (a function returning Rows) and `--only` knows it.
STEPS: dict[str, Step] = {
    "start": lambda a, ks: [r for k in ks for r in start_rows(k, a.starts)],
    "cache": lambda a, ks: [r for k in ks for r in cache_rows(k, a.repeats)],
    "ts-cache": lambda a, ks: [r for k in ks for r in ts_cache_rows(k, a.repeats)],
    "client-cache": lambda a, ks: [r for k in ks for r in client_cache_rows(k, a.repeats)],
    "peers": lambda a, ks: [r for k in ks for r in peer_rows(k, a.repeats)],
    "presence": lambda a, ks: [r for k in ks for r in presence_rows(k, a.repeats)],
    "queues": lambda a, ks: [r for k in ks for r in queue_rows(k, a.jobs)],
    "workers": lambda a, ks: [r for k in ks for r in worker_rows(k, a.jobs, a.rounds)],
    "site": lambda a, ks: site_rows(a.builds),
    "verify": lambda a, ks: verification_rows(a.suite_timeout),
}

# How rows of a bench.txt written before bench.json existed map to steps (for carrying over).
TEXT_ROW_STEP = {"verification:": "verify", "server start-to-PING": "start", "mkdocs build": "site"}


def previous_rows(steps: list[str], out: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Published rows of ``steps`` from the previous bench.json in ``out`` (or, before there
    was one, from bench.txt), and a note per row left out because its run had not passed."""
    if (out / "bench.json").is_file():
        old = json.loads((out / "bench.json").read_text())
        return [r for r in old["rows"] if r["step"] in steps], []
    if not (out / "bench.txt").is_file():
        return [], []
    text = captured.parse((out / "bench.txt").read_text())
    date = next((line[6:] for line in text.body.splitlines() if line.startswith("date: ")), "?")
    old_run = {"date": date, "machine": text.body.split("machine: ")[1].split("\n")[0]}
    kept, dropped = [], []
    for row in rows_from_text(text.body):
        step = next((s for p, s in TEXT_ROW_STEP.items() if row.area.startswith(p)), None)
        if step not in steps:
            continue
        row.step = step
        if step == "verify" and not outcome_passed(row.baseline):
            dropped.append(f"{row.area} ({row.baseline or 'no outcome'})")
            continue
        kept.append(row_json(row, {**old_run, "clients": {}}))
    return kept, dropped


def carried_row(entry: dict[str, Any]) -> Row:
    """A carried-over entry back as a table row, its area marked with its run's date."""
    server = entry["server"]
    kind = " ".join(v for v in (server["kind"], server["version"]) if v)
    return Row(
        f"{entry['name']} [run of {entry['date']}]",
        kind,
        entry["text"]["ours"],
        entry["text"]["baseline"],
        entry["ratio_text"],
    )


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--only", nargs="+", choices=list(STEPS), default=list(STEPS))
    parser.add_argument("--starts", type=int, default=20, help="server starts per kind and tool")
    parser.add_argument("--jobs", type=int, default=2000, help="queue jobs per kind")
    parser.add_argument("--rounds", type=int, default=3, help="Node/Python worker rounds per kind")
    parser.add_argument("--repeats", type=int, default=3, help="cache/presence pairs per kind")
    parser.add_argument("--builds", type=int, default=5, help="site builds of each kind")
    parser.add_argument("--suite-timeout", type=float, default=1800.0, help="seconds for make test")
    parser.add_argument("--no-capture", action="store_true", help="do not write docs/_captured")
    parser.add_argument("--capture-dir", type=Path, default=CAPTURE_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    kinds = list(harness.discover_kinds().values())
    run = run_info()
    header = machine_lines(run)
    print("\n".join(header), flush=True)
    rows: list[Row] = []
    try:
        for step in args.only:
            began = time.perf_counter()
            for row in STEPS[step](args, kinds):
                row.step = step
                rows.append(row)
            print(
                f"  … {step} done in {time.perf_counter() - began:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    finally:
        harness.cleanup_all()
    run["machine"]["load_at_end"] = load_value()
    header.append(f"load average at end: {load()}")
    failed = [r for r in rows if not r.passed]
    published = [r for r in rows if r.passed]
    not_run = [s for s in STEPS if s not in args.only]
    carried, dropped = previous_rows(not_run, args.capture_dir) if not args.no_capture else ([], [])
    if carried:
        steps = sorted({c["step"] for c in carried}, key=list(STEPS).index)
        header.append(
            f"carried over (not rerun): {', '.join(steps)}; each such row names its run's date"
        )
    print("\n" + table(published + [carried_row(c) for c in carried]))
    for row in failed:
        print(
            f"\n*** FAILED, NOT PUBLISHED: {row.area} [{row.kind}]: {row.ours}, {row.baseline}"
            "\n*** fix the failure and rerun `make bench`; the page shows no figure for it.",
            file=sys.stderr,
        )
    for note in dropped:
        print(f"*** not carried over (its run did not pass): {note}", file=sys.stderr)
    if not args.no_capture:
        body = "\n".join([*header, "", table(published + [carried_row(c) for c in carried])])
        servers = ", ".join(str(k) for k in kinds)
        text, data = args.capture_dir / "bench.txt", args.capture_dir / "bench.json"
        text.write_text(captured.render(servers, body, ""))
        document = bench_json(rows, run, carried)
        data.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        print(f"\nwrote {shown(text)} and {shown(data)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
