"""The whole verification: `make test`'s suite, its wall time and CPU time side by side.

The suite mostly waits (servers, sockets, fault timeouts), so its wall time can sit well
below its CPU time only when it runs concurrently (pytest-xdist workers); the ratio shows
how well the waiting is overlapped. CPU is every process the run started and reaped
(pytest, its workers, servers, node, demos), from ``getrusage(RUSAGE_CHILDREN)``.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import time
from dataclasses import dataclass

from tools.bench.report import Figure, Row, load, outcome_passed
from tools.paths import ROOT

OUTCOME = re.compile(r"\d+ (passed|failed|errors?|skipped)\b.* in [\d.]+s")


@dataclass
class Timed:
    wall: float
    cpu: float
    returncode: int
    output: str

    @property
    def outcome(self) -> str:
        found = [line for line in self.output.splitlines() if OUTCOME.search(line)]
        last = found[-1] if found else f"exit {self.returncode}"
        return re.sub(r" in [\d.]+s.*", "", last.strip("= "))


def timed(command: list[str], timeout: float) -> Timed:
    """Run ``command`` to completion; its wall time and the CPU time of all it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    try:
        result = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
            env={**os.environ, "PYTEST_ADDOPTS": "-p no:cacheprovider"},
        )  # fmt: skip
        code, output = result.returncode, result.stdout + result.stderr
    except subprocess.TimeoutExpired as exc:
        code, output = -1, f"stopped after {timeout:.0f} s {exc.stdout or ''}"
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall, cpu, code, output)


def verification_rows(timeout: float, command: list[str] | None = None) -> list[Row]:
    """One row for the whole suite. Published only when it passed (exit 0 and a pytest
    summary with nothing failing); otherwise the row comes back with ``passed=False`` and
    ``make bench`` prints it loudly and exits 1 — a failing run is not a figure."""
    start_load = load()
    run = timed(command or ["make", "test"], timeout)
    passed = run.returncode == 0 and outcome_passed(run.outcome)
    return [
        Row(
            f"verification: make test (load {start_load} at start, {load()} at end)",
            "both",
            f"wall {run.wall:.0f} s",
            f"CPU {run.cpu:.0f} s ({run.outcome})",
            f"CPU/wall {run.cpu / run.wall:.2f}",
            figures={
                "ours": Figure("wall time", round(run.wall, 1), "s"),
                "baseline": Figure("CPU time of all it started", round(run.cpu, 1), "s"),
            },
            ratio_value=run.cpu / run.wall,
            passed=passed,
            extra={"outcome": run.outcome, "returncode": run.returncode},
        )
    ]
