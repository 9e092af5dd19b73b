"""``python -m snippets.doctor`` / ``redis-doctor``: diagnose a Redis from where the app runs.

Shown on docs/troubleshooting/doctor.md. Exit 0: no failing check; 1: a failing check
(configuration errors included); 2: bad command-line usage (argparse).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Mapping

from snippets.checks import CHECKS, docs_url
from snippets.config.redact import Redactor, printable, redact, redact_url, url_secrets
from snippets.config.url_inspect import inspect
from snippets.config.url_inspect_clients import describe_differences
from snippets.config.url_inspect_clients import status as clients_status
from snippets.doctor.checks_config import background_jobs_enabled, check_configuration
from snippets.doctor.checks_net import check_network
from snippets.doctor.checks_server import check_server
from snippets.doctor.report import Report

DEFAULT_TIMEOUT = 5.0
MAX_TIMEOUT = 3600.0


def redactor_for(env: Mapping[str, str]) -> Redactor:
    """Every password the environment holds, in every form (snippets/config/redact.py)."""
    return Redactor.for_env(env)


# --8<-- [start:run]
def run(
    env: Mapping[str, str] = os.environ,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[str], object] = print,
) -> Report:
    """Every check in order; a failing step ends the run (later steps need it)."""
    progress("reading the configuration (config.*, url.*)")
    settings, results = check_configuration(env)
    if settings is None:  # never the raw URL: it may be what failed to parse
        url, host = env.get("REDIS_URL", "").strip(), env.get("REDIS_HOST", "").strip()
        target = redact_url(url) if url else printable(host) or "(not set)"
        return Report(target, results)
    report = Report(settings.target, results)
    reply, rows = check_network(settings, timeout, progress)
    report.checks += rows
    if reply is None:
        return report
    report.checks += check_server(settings, reply, timeout, background_jobs_enabled(env), progress)
    return report


# --8<-- [end:run]


def shown(result: dict, url: str) -> dict:
    """``inspect(url)`` fit to print: strings redacted and escaped; a user name that is
    probably a password (``url.password-as-username``) masked."""
    secrets = url_secrets(url)
    safe = {
        k: printable(redact(v, secrets)) if isinstance(v, str) else v for k, v in result.items()
    }
    if "url.password-as-username" in result["findings"] and safe["username"]:
        safe["username"] = "***"
    return safe


def inspect_text(result: dict) -> str:
    """The readable form of ``--inspect``: the parts, then each finding with its link."""
    hidden = ("findings", "error", "clients")
    lines = [f"{name:13} {result[name]}" for name in result if name not in hidden]
    for client, reading in result["clients"].items():  # how each library reads the string
        shown = ("host", "port", "db", "password_set", "tls", "error")
        lines.append(f"{client:13} " + " ".join(f"{k}={reading[k]}" for k in shown))
    for check_id in ([result["error"]] if result["error"] else []) + result["findings"]:
        status = "fail" if check_id == result["error"] else CHECKS[check_id].status
        summary = CHECKS[check_id].summary
        if check_id == "url.clients-disagree":  # name the fields, in words
            status = clients_status(result["clients"]) or status
            summary += f": {describe_differences(result['clients'])}"
        lines += [f"{status:4}  {check_id}: {summary}", f"      {docs_url(check_id)}"]
    if not result["error"] and not result["findings"]:
        lines.append("ok    no problems found in the URL")
    return "\n".join(lines)


def seconds(text: str) -> float:
    """--timeout: a finite number of seconds, more than 0 and at most MAX_TIMEOUT."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_TIMEOUT):
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, "
            f"not {printable(text)[:40]!r}"
        )
    return value


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
        type=seconds,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds allowed for each network step (default {DEFAULT_TIMEOUT:g})",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)  # bad usage: argparse exits with 2
    if args.url is not None and not args.url.strip():
        parser().error("--url is empty: give a redis:// URL, or leave --url out for REDIS_URL")
    if args.inspect is not None:
        result = shown(inspect(args.inspect), args.inspect)
        print(json.dumps(result) if args.json else inspect_text(result))
        return 1 if result["error"] else 0
    env = dict(os.environ)
    if args.url is not None:
        env["REDIS_URL"] = args.url
    redactor = redactor_for(env)

    def progress(step: str) -> None:
        print(f"… {redactor(step)}", file=sys.stderr, flush=True)

    try:
        report = run(env, args.timeout, progress)
    except Exception as error:  # a bug here must not print a traceback holding the password
        print(f"redis-doctor: internal error: {redactor(repr(error))}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.as_dict(redactor), indent=2))
    else:
        print(report.table(redactor))
    return 0 if report.ok else 1




if __name__ == "__main__":
    sys.exit(main())
