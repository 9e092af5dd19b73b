"""``make bench``: ratios measured side by side in one run, on this machine.

Run ``.venv/bin/python -m tests.bench`` (``make bench``). It prints one table and writes it
to ``docs/_captured/bench.txt`` (shown on docs/operations/benchmarks.md), headed by the date,
the CPU count and model, and the server versions. Every row compares two things measured
here, one after the other, on the same server binary:

- disposable server start-to-PING: tests/harness.py vs pytest-redis's ``RedisExecutor``;
- report-cache hit path vs ``redis-benchmark -t get -c 1`` (same server, same key and value);
- presence heartbeat batch vs ``redis-benchmark`` ZADD with pipelining (-P = the batch size);
- BullMQ worker vs a plain LPUSH/BRPOP loop (the queues' figure);
- ``mkdocs build --strict`` of the site vs a plain Material build of the same pages with
  macros and includes rendered statically beforehand;
- the whole verification time, split by area (pytest per tests/<area>).

Not part of ``make test`` (no ``test_`` prefix). Bounded: every subprocess has a timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import redis

from tests import capture as captures
from tests import harness

ROOT = Path(__file__).resolve().parents[1]
CAPTURE_NAME = "bench"
NOT_YET = "not available yet"


@dataclass
class Row:
    """One comparison: ours vs a baseline, measured in the same run."""

    area: str
    kind: str
    ours: str
    baseline: str
    ratio: str


# --------------------------------------------------------------------------- machine


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def benchmark_binary() -> str | None:
    return shutil.which("redis-benchmark") or shutil.which("valkey-benchmark")


def machine_lines() -> list[str]:
    kinds = harness.discover_kinds()
    bench = benchmark_binary()
    bench_version = (
        subprocess.run([bench, "--version"], capture_output=True, text=True, timeout=10)
        .stdout.strip()
        .split(" (")[0]
        if bench
        else "redis-benchmark: not installed"
    )
    return [
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu_model()})",
        f"python {platform.python_version()}, redis-py {version('redis')}, "
        f"pytest-redis {version('pytest-redis')}, mkdocs {version('mkdocs')}, "
        f"mkdocs-material {version('mkdocs-material')}",
        "servers: " + (", ".join(f"{k} ({k.origin.split(':')[0]})" for k in kinds.values())),
        f"baseline tool: {bench_version}",
        f"load average at start: {load()} (other work on the machine slows every figure; "
        "each ratio's two sides ran one after the other)",
    ]


def load() -> str:
    """The 1-minute load average, for judging how quiet the machine was."""
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "unknown"


# --------------------------------------------------------------------------- start-to-PING


def _ping(port: int) -> None:
    with redis.Redis(port=port, retry=harness.NO_RETRY, socket_timeout=5) as client:
        client.ping()


def harness_start_to_ping(kind: harness.Kind) -> float:
    """Seconds from Server(...).start() to the first PONG, as every test pays it."""
    began = time.perf_counter()
    server = harness.Server(kind).start()
    _ping(server.port)
    elapsed = time.perf_counter() - began
    server.stop()
    return elapsed


def pytest_redis_start_to_ping(kind: harness.Kind) -> float:
    """The same with pytest-redis's process fixture machinery (its RedisExecutor), as its
    ``redis_proc`` fixture runs it, pointed at the same binary."""
    from pytest_redis.executor import RedisExecutor

    with tempfile.TemporaryDirectory(prefix="pcrg-pytest-redis-") as tmp:
        began = time.perf_counter()
        executor = RedisExecutor(
            executable=str(kind.binary),
            databases=8,
            redis_timeout=30,
            loglevel="notice",
            host=harness.LOOPBACK,
            port=harness._free_port(),
            datadir=Path(tmp),
            startup_timeout=60,
        )
        executor.start()
        _ping(executor.port)
        elapsed = time.perf_counter() - began
        executor.stop()
    return elapsed


def start_to_ping(kind: harness.Kind, starts: int) -> tuple[list[float], list[float]]:
    """``starts`` starts of each, interleaved so neither gets a warmer machine."""
    ours, theirs = [], []
    for _ in range(starts):
        ours.append(harness_start_to_ping(kind))
        theirs.append(pytest_redis_start_to_ping(kind))
    return ours, theirs


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def rate(value: float, unit: str = "ops/s") -> str:
    return f"{value:,.0f} {unit}"


def start_rows(kind: harness.Kind, starts: int) -> list[Row]:
    ours, theirs = start_to_ping(kind, starts)
    a, b = statistics.median(ours), statistics.median(theirs)
    return [
        Row(
            f"server start-to-PING, median of {starts}",
            str(kind),
            f"harness {ms(a)}",
            f"pytest-redis {ms(b)}",
            f"{b / a:.1f}× faster" if b >= a else f"{a / b:.1f}× slower",
        )
    ]


# --------------------------------------------------------------------------- cache, presence


def _optional(module: str) -> object | None:
    """Another area's benchmark helpers, or None until they exist."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def app_server(kind: harness.Kind):
    """A server with the app's ACL user (as production runs) and its URL for that user."""
    from snippets.security.acl import APP_USERNAME, acl_rules

    password = harness.random_password()
    user = " ".join([APP_USERNAME, *acl_rules(password)])
    server = harness.Server(kind, acl_users=(user,)).start()
    return server, server.url(username=APP_USERNAME, password=password)


def median(values: list[float | None]) -> float | None:
    """The median, or None when a side could not be measured (no redis-benchmark)."""
    return None if None in values else statistics.median(values)


def cache_rows(kind: harness.Kind, repeats: int = 3, payload_bytes: int = 1024) -> list[Row]:
    bench = _optional("tests.cache.bench_cache")
    hit_area = f"report-cache hit vs redis-benchmark -t get -c 1, median of {repeats}"
    beat_area = f"presence heartbeat batch vs redis-benchmark ZADD, median of {repeats}, -P"
    aside_area = "report requests through the cache vs a 20 ms query"
    if bench is None:
        return [
            Row(hit_area, str(kind), NOT_YET, NOT_YET, "—"),
            Row(aside_area, str(kind), NOT_YET, NOT_YET, "—"),
            Row(beat_area, str(kind), NOT_YET, NOT_YET, "—"),
        ]
    server, url = app_server(kind)
    hits, gets, beats_runs, zadds = [], [], [], []
    try:
        for _ in range(repeats):  # pairs, one side right after the other; medians below
            hit = bench.cache_hit_ops(url, payload_bytes)
            hits.append(hit["ops_per_s"])
            gets.append(bench.redis_benchmark_ops(url, "GET", hit["key"]))
            beats = bench.presence_heartbeat_ops(url)
            beats_runs.append(beats["zadd_members_per_s"])
            zadds.append(
                bench.redis_benchmark_ops(
                    url,
                    "ZADD",
                    "pharmacare:bench:z",
                    "__rand_int__",
                    "m:__rand_int__",
                    pipeline=beats["batch"],
                    n=100_000,
                )
            )
        aside = bench.cache_aside_speedup(url)
    finally:
        server.stop()
    hit["ops_per_s"], beats["zadd_members_per_s"] = median(hits), median(beats_runs)
    get, zadd = median(gets), median(zadds)
    size = f"{hit['payload_bytes']:,} B value"
    rows = [
        Row(
            f"{hit_area} ({size})",
            str(kind),
            f"get_or_load {rate(hit['ops_per_s'])}",
            f"GET {rate(get)}" if get else "redis-benchmark missing",
            f"{hit['ops_per_s'] / get:.2f}" if get else "—",
        ),
        Row(
            f"{aside_area} ({aside['requests']} requests, {aside['db_calls']} queries run)",
            str(kind),
            f"cached {aside['cached_ms_per_request']:.2f} ms/request",
            f"uncached {aside['uncached_ms_per_request']:.2f} ms/request",
            f"{aside['speedup']:.1f}× faster",
        ),
        Row(
            f"{beat_area} {beats['batch']} ({beats['users']:,} users)",
            str(kind),
            f"beat() {rate(beats['zadd_members_per_s'], 'members/s')}",
            f"ZADD {rate(zadd, 'members/s')}" if zadd else "redis-benchmark missing",
            f"{beats['zadd_members_per_s'] / zadd:.2f}" if zadd else "—",
        ),
    ]
    return rows


def queue_rows(kind: harness.Kind, jobs: int = 2000) -> list[Row]:
    bench = _optional("tests.queues.bench_queues")
    area = f"BullMQ worker vs LPUSH/BRPOP loop ({jobs:,} jobs)"
    if bench is None:
        return [Row(area, str(kind), NOT_YET, NOT_YET, "—")]
    with harness.started(kind, maxmemory_policy="noeviction") as server:
        result = bench.measure_queue_throughput(server.url(), jobs)
    return [
        Row(
            area,
            str(kind),
            f"BullMQ {rate(result['bullmq_jobs_per_s'], 'jobs/s')}",
            f"list {rate(result['list_jobs_per_s'], 'jobs/s')}",
            f"{result['ratio']:.2f}",
        )
    ]


# --------------------------------------------------------------------------- the site


def drop_yaml_item(text: str, name: str) -> str:
    """Remove the list item ``- name`` (or ``- name:`` and its indented block) from YAML text
    without parsing it (mkdocs.yml has tags a plain YAML dump would lose)."""
    lines, out, skip_deeper = text.splitlines(), [], None
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if skip_deeper is not None:
            if line.strip() and indent <= skip_deeper:
                skip_deeper = None
            else:
                continue
        if re.match(rf"\s*- {re.escape(name)}(:.*)?\s*(#.*)?$", line):
            skip_deeper = indent
            continue
        out.append(line)
    return "\n".join(out) + "\n"


SECTION_MARK = re.compile(r".*--8<-- \[(start|end):[^\]]+\].*\n?")
INCLUDE = re.compile(r'^(?P<indent>\s*)--8<-- "(?P<target>[^"]+)"\s*$', re.M)


def include_text(target: str) -> str:
    """What pymdownx.snippets puts in place of ``--8<-- "path[:section]"``."""
    path, _, section = target.partition(":")
    text = (ROOT / path).read_text()
    if section:
        start = text.index(f"[start:{section}]")
        text = text[text.index("\n", start) + 1 : text.index(f"[end:{section}]")]
        text = textwrap.dedent(text[: text.rfind("\n") + 1])
    return SECTION_MARK.sub("", text).rstrip("\n")


class MacroEnv:
    """Just enough of mkdocs-macros' ``env`` for ``macros.define_env`` outside mkdocs."""

    def __init__(self) -> None:
        self.globals: dict[str, Callable] = {}
        self.page: SimpleNamespace | None = None
        self.conf: dict = {}
        self.variables: dict = {}

    def macro(self, fn: Callable, name: str | None = None) -> Callable:
        self.globals[name or fn.__name__] = fn
        return fn


def page_url(rel: Path) -> str:
    """The URL mkdocs gives a page (use_directory_urls): usage/caching.md → usage/caching/."""
    stem = rel.with_suffix("").as_posix()
    if stem == "index" or stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


def render_static(markdown: str, rel: Path) -> str:
    """A page with our macros rendered and includes expanded: plain Markdown for Material."""
    import jinja2

    import macros

    env = MacroEnv()
    macros.define_env(env)
    env.page = SimpleNamespace(url=page_url(rel))
    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701
    jinja.globals.update(env.globals)
    text = jinja.from_string(markdown).render()
    return INCLUDE.sub(lambda m: m["indent"] + include_text(m["target"]), text)


def plain_project(tmp: Path) -> Path:
    """A copy of the site with every page pre-rendered and no macros/snippets extensions."""
    docs = ROOT / "docs"
    for path in docs.rglob("*"):
        rel = path.relative_to(docs)
        if rel.parts[0] == "_captured" or path.is_dir():
            continue
        target = tmp / "docs" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".md":
            target.write_text(render_static(path.read_text(), rel))
        else:
            shutil.copy2(path, target)
    for name in ("overrides", "snippets", "macros"):  # hooks, theme, `watch:` paths
        if (ROOT / name).exists():
            (tmp / name).symlink_to(ROOT / name)
    config = (ROOT / "mkdocs.yml").read_text()
    config = drop_yaml_item(drop_yaml_item(config, "macros"), "pymdownx.snippets")
    (tmp / "mkdocs.yml").write_text(config)
    return tmp


def mkdocs_build_seconds(project: Path, out: Path) -> float:
    began = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-q",
            "-f",
            str(project / "mkdocs.yml"),
            "-d",
            str(out),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        raise RuntimeError(f"mkdocs build failed in {project}:\n{result.stderr[-2000:]}")
    return elapsed


def site_rows(builds: int = 3) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="pcrg-bench-site-") as tmp:
        plain = plain_project(Path(tmp) / "plain")
        ours, theirs = [], []
        for i in range(builds):  # interleaved
            ours.append(mkdocs_build_seconds(ROOT, Path(tmp) / f"ours-{i}"))
            theirs.append(mkdocs_build_seconds(plain, Path(tmp) / f"plain-{i}"))
        pages = sum(1 for _ in (ROOT / "docs").rglob("*.md"))
    a, b = statistics.median(ours), statistics.median(theirs)
    return [
        Row(
            f"mkdocs build --strict, median of {builds} ({pages} pages)",
            "—",
            f"our site {a:.2f} s",
            f"plain Material {b:.2f} s",
            f"{a / b:.2f} ({(a - b) / b:+.0%} for macros + includes)",
        )
    ]


# --------------------------------------------------------------------------- verification


def areas() -> list[str]:
    """tests/<area> folders with tests, and the spine's top-level test files."""
    found = [
        p.name
        for p in sorted((ROOT / "tests").iterdir())
        if p.is_dir() and any(p.glob("test_*.py"))
    ]
    return [*found, "spine"]


OUTCOME = re.compile(r"\d+ (passed|failed|errors?|skipped)\b.* in [\d.]+s")


def run_area(area: str, timeout: float) -> tuple[float, str]:
    targets = (
        [str(p.relative_to(ROOT)) for p in sorted((ROOT / "tests").glob("test_*.py"))]
        if area == "spine"
        else [f"tests/{area}"]
    )
    began = time.perf_counter()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *targets, "-q", "--no-cov", "-p", "no:cacheprovider"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - began, f"stopped after {timeout:.0f} s"
    elapsed = time.perf_counter() - began
    summary = [line for line in result.stdout.splitlines() if OUTCOME.search(line)]
    last = summary[-1] if summary else f"pytest exit {result.returncode}"
    return elapsed, re.sub(r" in [\d.]+s.*", "", last.strip("= "))


def verification_rows(timeout: float) -> list[Row]:
    timings = {area: run_area(area, timeout) for area in areas()}
    total = sum(seconds for seconds, _ in timings.values())
    rows = [
        Row(
            f"verification: tests/{area}" if area != "spine" else "verification: spine",
            "both",
            f"{seconds:.1f} s",
            outcome,
            f"{seconds / total:.0%} of total",
        )
        for area, (seconds, outcome) in sorted(timings.items(), key=lambda kv: -kv[1][0])
    ]
    rows.append(
        Row("verification: all areas, one after the other", "both", f"{total:.1f} s", "", "100%")
    )
    return rows


# --------------------------------------------------------------------------- output


def table(rows: list[Row]) -> str:
    head = Row("comparison", "server", "ours", "baseline", "ratio")
    widths = [max(len(getattr(r, f)) for r in [head, *rows]) for f in Row.__annotations__]

    def line(row: Row) -> str:
        cells = [getattr(row, f).ljust(w) for f, w in zip(Row.__annotations__, widths, strict=True)]
        return "| " + " | ".join(cells) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), rule, *(line(r) for r in rows)])


STEPS: dict[str, Callable[[argparse.Namespace, list[harness.Kind]], list[Row]]] = {
    "start": lambda a, ks: [r for k in ks for r in start_rows(k, a.starts)],
    "cache": lambda a, ks: [r for k in ks for r in cache_rows(k, a.repeats)],
    "queues": lambda a, ks: [r for k in ks for r in queue_rows(k, a.jobs)],
    "site": lambda a, ks: site_rows(a.builds),
    "verify": lambda a, ks: verification_rows(a.area_timeout),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--only", nargs="+", choices=list(STEPS), default=list(STEPS))
    parser.add_argument("--starts", type=int, default=20, help="server starts per kind and tool")
    parser.add_argument("--jobs", type=int, default=2000, help="queue jobs per kind")
    parser.add_argument("--repeats", type=int, default=3, help="cache/presence pairs per kind")
    parser.add_argument("--builds", type=int, default=5, help="site builds of each kind")
    parser.add_argument("--area-timeout", type=float, default=300.0, help="seconds per area")
    parser.add_argument("--no-capture", action="store_true", help="do not write docs/_captured")
    args = parser.parse_args(argv)
    kinds = list(harness.discover_kinds().values())
    header = machine_lines()
    print("\n".join(header), flush=True)
    rows: list[Row] = []
    try:
        for step in args.only:
            began = time.perf_counter()
            rows += STEPS[step](args, kinds)
            print(
                f"  … {step} done in {time.perf_counter() - began:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    finally:
        harness.cleanup_all()
    header.append(f"load average at end: {load()}")
    body = "\n".join([*header, "", table(rows)])
    print("\n" + table(rows))
    if not args.no_capture and args.only == list(STEPS):
        servers = ", ".join(str(k) for k in kinds)
        path = captures.CAPTURE_DIR / f"{CAPTURE_NAME}.txt"
        path.write_text(captures.render(servers, body, ""))
        print(f"\nwrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
