"""Helpers for the doctor's tests: run it in-process or as a real subprocess."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from snippets.doctor import cli
from snippets.doctor.report import Report
from tests.demos import run_demo
from tests.helpers import APP_VARIABLES


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def data(self) -> dict:
        return json.loads(self.stdout)

    def statuses(self) -> dict[str, str]:
        """id -> status of the JSON checks (the last row wins for repeated ids)."""
        return {c["id"]: c["status"] for c in self.data["checks"]}


def run_doctor(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Run:
    """``python -m snippets.doctor ARGS`` in a subprocess with only ``env`` set for the app."""
    clean = {k: v for k, v in os.environ.items() if k not in APP_VARIABLES}
    out = run_demo("snippets.doctor", *args, env={**clean, **(env or {})}, timeout=timeout)
    return Run(out.returncode, out.stdout, out.stderr)


def diagnose(url: str | None = None, timeout: float = 2.0, **env: str) -> Report:
    """The doctor in-process (fast): the same ``run`` the CLI calls."""
    if url is not None:
        env["REDIS_URL"] = url
    return cli.run(env, timeout, progress=lambda step: None)


def statuses(report: Report) -> dict[str, str]:
    return {r.id: r.status for r in report.checks}


def failing(report: Report) -> list[str]:
    return [r.id for r in report.checks if r.status == "fail"]
