"""``python -m snippets.doctor`` / ``redis-doctor``: diagnose a Redis from where the app runs.

Shown on docs/troubleshooting/doctor.md. Exit 0: no failing check; 1: a failing check
(configuration errors included); 2: bad command-line usage (argparse).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from urllib.parse import unquote, urlsplit

from snippets.checks import CHECKS, docs_url
from snippets.config.url_inspect import inspect
from snippets.doctor.checks_config import background_jobs_enabled, check_configuration
from snippets.doctor.checks_net import check_network
from snippets.doctor.checks_server import check_server
from snippets.doctor.report import Redactor, Report

DEFAULT_TIMEOUT = 5.0


def _url_password(url: str) -> str | None:
    try:
        password = urlsplit("".join(url.split())).password
    except ValueError:
        return None
    return unquote(password) if password else None


def redactor_for(env: Mapping[str, str]) -> Redactor:
    """Every password the environment holds, raw and percent-encoded."""
    url = env.get("REDIS_URL", "")
    return Redactor(_url_password(url), env.get("REDIS_PASSWORD", "").strip() or None)


# --8<-- [start:run]
def run(
    env: Mapping[str, str] = os.environ,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[str], object] = print,
) -> Report:
    """Every check in order; a failing step ends the run (later steps need it)."""
    progress("reading the configuration (config.*, url.*)")
    settings, results = check_configuration(env)
    if settings is None:
        target = env.get("REDIS_URL", "").strip() or env.get("REDIS_HOST", "") or "(not set)"
        return Report(target, results)
    report = Report(settings.target, results)
    reply, rows = check_network(settings, timeout, progress)
    report.checks += rows
    if reply is None:
        return report
    report.checks += check_server(settings, reply, timeout, background_jobs_enabled(env), progress)
    return report


# --8<-- [end:run]


def inspect_text(result: dict) -> str:
    """The readable form of ``--inspect``: the parts, then each finding with its link."""
    lines = [f"{name:13} {result[name]}" for name in result if name not in ("findings", "error")]
    for check_id in ([result["error"]] if result["error"] else []) + result["findings"]:
        status = "fail" if check_id == result["error"] else CHECKS[check_id].status
        lines += [
            f"{status:4}  {check_id}: {CHECKS[check_id].summary}",
            f"      {docs_url(check_id)}",
        ]
    if not result["error"] and not result["findings"]:
        lines.append("ok    no problems found in the URL")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="redis-doctor",
        description="Diagnose the Redis this app is configured for (REDIS_URL or REDIS_HOST…)"
        " and link each problem to the PharmaCare Redis Guide.",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--url", help="check this URL instead of the environment's REDIS_URL")
    where.add_argument(
        "--inspect", metavar="URL", help="only parse URL, offline (no connection is made)"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds allowed for each network step (default {DEFAULT_TIMEOUT:g})",
    )
    return p


# --8<-- [start:main]
def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)  # bad usage: argparse exits with 2
    if args.timeout <= 0:
        parser().error("--timeout must be positive")
    if args.inspect is not None:
        result = inspect(args.inspect)
        print(json.dumps(result) if args.json else inspect_text(result))
        return 1 if result["error"] else 0
    env = dict(os.environ)
    if args.url is not None:
        env["REDIS_URL"] = args.url
    redact = redactor_for(env)

    def progress(step: str) -> None:
        print(f"… {redact(step)}", file=sys.stderr, flush=True)

    report = run(env, args.timeout, progress)
    if args.json:
        print(json.dumps(report.as_dict(redact), indent=2))
    else:
        print(report.table(redact))
    return 0 if report.ok else 1


# --8<-- [end:main]


if __name__ == "__main__":
    sys.exit(main())
