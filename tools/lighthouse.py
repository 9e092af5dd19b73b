"""Lighthouse scores of the published site, served by the Netlify CLI (a measurement, not a test).

    make lighthouse
    .venv/bin/python -m tools.lighthouse [--site DIR] [--pages /latest/ …] [--runs N]
                                         [--out FILE] [--reports DIR]

Builds every version into a temporary folder (tools/site/build.py, --skip-tests) unless
--site names a built one, serves it with `netlify dev --offline` (tools/site/netlify_server.py,
the engine the tests use: netlify.toml's headers, redirects and CSP), and runs the pinned
Lighthouse (snippets/node_modules/.bin/lighthouse) in Debian's Chromium on the start page, a
platform page and a troubleshooting page, mobile (Lighthouse's default emulation and simulated
throttling: slow 4G, 4x CPU slowdown) and desktop (--preset=desktop). Prints a table of
accessibility, performance and the metrics behind it per page and form factor (the median
of --runs runs) and writes it, with the date and the machine, to docs/_captured/lighthouse.json.

Compression: Netlify's CDN compresses text responses (Brotli or gzip, no setting needed:
netlify.com/blog/2020/05/20/gain-instant-performance-boosts-as-brotli-comes-to-netlify-edge/),
`netlify dev` sends them uncompressed. So that the figures describe the published site, a
small gzip front (Gzip below; gzip is larger than Brotli, so this errs on the slow side) sits
between Lighthouse and the CLI and changes nothing else; --no-compress measures the CLI as is.

Performance depends on the machine: Lighthouse simulates the network, but the CPU time it
multiplies is the time measured here, so a busy machine scores lower. The load average and
Lighthouse's own benchmark index (higher is faster; an idle laptop is ~1000-2000) are
recorded with the figures. --reports DIR keeps every full Lighthouse JSON report.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import http.client
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

from tools.paths import ROOT

LIGHTHOUSE = ROOT / "snippets" / "node_modules" / ".bin" / "lighthouse"
CHROME = "/usr/bin/chromium"
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run"
)
PAGES = ("/latest/", "/latest/platforms/render/", "/latest/troubleshooting/net/")
OUT = ROOT / "docs" / "_captured" / "lighthouse.json"
# The metrics behind the performance score (Lighthouse audit ids), in milliseconds except CLS.
METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
    "speed-index": "SI",
}


COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


class Gzip(BaseHTTPRequestHandler):
    """Passes every request to the Netlify CLI and gzips compressible bodies, as the CDN does."""

    upstream: tuple[str, int]
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        conn = http.client.HTTPConnection(*self.upstream, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        headers["Accept-Encoding"] = "identity"
        conn.request(self.command, self.path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        kind = response.getheader("Content-Type", "")
        wants = "gzip" in self.headers.get("Accept-Encoding", "")
        squeeze = wants and kind.startswith(COMPRESSIBLE) and len(body) > 256
        if squeeze:
            body = gzip.compress(body, compresslevel=6)
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        if squeeze:
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET


def gzip_front(upstream_url: str) -> ThreadingHTTPServer:
    host, port = upstream_url.removeprefix("http://").split(":")
    handler = type("BoundGzip", (Gzip,), {"upstream": (host, int(port))})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def summarize(report: dict) -> dict:
    """The figures kept from one Lighthouse JSON report."""
    scores = {k: round(v["score"] * 100) for k, v in report["categories"].items()}
    audits = report["audits"]
    metrics = {
        short: round(audits[audit]["numericValue"], 3 if short == "CLS" else None)
        for audit, short in METRICS.items()
        if audits.get(audit, {}).get("numericValue") is not None
    }
    failing = sorted(
        audit_id
        for audit_id, a in audits.items()
        if a.get("score") == 0 and a.get("scoreDisplayMode") == "binary"
    )
    env = report.get("environment", {})
    return {
        **scores,
        "metrics": metrics,
        "failing": failing,
        "benchmark_index": env.get("benchmarkIndex"),
        "lighthouse": report.get("lighthouseVersion"),
        "chromium": env.get("hostUserAgent", ""),
    }


def median_of(runs: list[dict]) -> dict:
    """One row from several runs of a page: the median of every score and metric."""
    row: dict = {
        "accessibility": statistics.median(r["accessibility"] for r in runs),
        "performance": statistics.median(r["performance"] for r in runs),
        "metrics": {
            m: statistics.median(r["metrics"][m] for r in runs if m in r["metrics"])
            for m in METRICS.values()
            if any(m in r["metrics"] for r in runs)
        },
        "failing": sorted({a for r in runs for a in r["failing"]}),
        "benchmark_index": statistics.median(r["benchmark_index"] or 0 for r in runs),
        "runs": len(runs),
    }
    return row


def table(rows: list[dict]) -> str:
    head = (
        f"{'page':30} {'form':10} {'a11y':>4} {'perf':>4} "
        f"{'FCP ms':>7} {'LCP ms':>7} {'TBT ms':>7} {'CLS':>5} {'SI ms':>7}"
    )
    lines = [head]
    for r in rows:
        m = r["metrics"]
        lines.append(
            f"{r['page']:30} {r['form']:10} {r['accessibility']:>4.0f} {r['performance']:>4.0f} "
            f"{m.get('FCP', 0):>7.0f} {m.get('LCP', 0):>7.0f} {m.get('TBT', 0):>7.0f} "
            f"{m.get('CLS', 0):>5.3f} {m.get('SI', 0):>7.0f}"
        )
        for audit in r["failing"]:
            lines.append(f"{'':42}failing audit: {audit}")
    return "\n".join(lines)


def calibrated_multiplier(benchmark_index: float) -> float:
    """Lighthouse docs/throttling.md: the CPU slowdown that makes this host a mid-tier phone."""
    if benchmark_index >= 1500:
        return 4  # high-end desktop: the default
    if benchmark_index >= 1000:
        return 2  # low-end desktop
    if benchmark_index >= 800:
        return 2  # high-end mobile
    return 1  # the host is a mid-tier phone already


def lighthouse(url: str, desktop: bool, cpu: float | None = None) -> dict:
    for _attempt in range(3):  # a busy machine sometimes loses the trace (NO_NAVSTART)
        try:
            return lighthouse_once(url, desktop, cpu)
        except RuntimeError as error:
            print(f"  retrying {url}: {str(error)[-200:]}", file=sys.stderr, flush=True)
    raise SystemExit(f"lighthouse failed three times on {url}")


def lighthouse_once(url: str, desktop: bool, cpu: float | None = None) -> dict:
    cmd = [
        str(LIGHTHOUSE), url, "--quiet", "--output=json", "--output-path=stdout",
        "--only-categories=accessibility,performance", f"--chrome-flags={CHROME_FLAGS}",
    ]  # fmt: skip
    if desktop:
        cmd.append("--preset=desktop")
    if cpu is not None:
        cmd.append(f"--throttling.cpuSlowdownMultiplier={cpu}")
    env = {**os.environ, "CHROME_PATH": CHROME}
    env.pop("NODE_V8_COVERAGE", None)
    # Its own process group. Interrupted or timed out, Lighthouse gets SIGINT first: it then
    # closes the Chromium it launched (which runs in a process group of its own).
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = proc.communicate(timeout=600)
    except BaseException:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(stderr[-3000:])
    return json.loads(stdout)


def machine(load_before: float, load_after: float) -> dict:
    return {
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "load_average_before": round(load_before, 1),
        "load_average_after": round(load_after, 1),
    }


def forms(calibrate: bool) -> list[tuple[str, str | None]]:
    """The form factors measured per page: Lighthouse's defaults, then the calibrated one."""
    default = [("mobile", None), ("desktop", None)]
    return [*default, ("mobile-cal", "calibrated")] if calibrate else default


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one now)")
    parser.add_argument("--pages", nargs="+", default=list(PAGES))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=OUT, help=f"default {OUT.relative_to(ROOT)}")
    parser.add_argument("--reports", type=Path, help="keep every full Lighthouse report here")
    parser.add_argument(
        "--no-compress", dest="compress", action="store_false",
        help="no gzip front: the CLI's uncompressed responses",
    )  # fmt: skip
    parser.add_argument(
        "--calibrate", action="store_true",
        help="also mobile with the CPU slowdown calibrated to this host (Lighthouse docs)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tools.site import build as build_site
    from tools.site.netlify_server import NetlifyServer

    if args.reports:
        args.reports.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="pcrg-lighthouse-") as tmp:
        site = args.site
        if site is None:
            site = Path(tmp) / "site"
            build_site.build(site, skip_tests=True)
        with NetlifyServer(site) as server:
            front = gzip_front(server.direct_url) if args.compress else None
            base = f"http://127.0.0.1:{front.server_address[1]}" if front else server.direct_url
            load_before = os.getloadavg()[0]
            print(f"load average before: {load_before:.1f}", flush=True)
            for path in args.pages:
                for form, cpu in forms(args.calibrate):
                    runs = []
                    for n in range(args.runs):
                        if cpu == "calibrated":  # from the default mobile run(s) just made
                            index = rows[-1]["benchmark_index"]
                            multiplier = calibrated_multiplier(index)
                        else:
                            multiplier = None
                        report = lighthouse(base + path, form == "desktop", multiplier)
                        if args.reports:
                            stem = path.strip("/").replace("/", "_") or "root"
                            name = f"{stem}-{form}-{n}.json"
                            (args.reports / name).write_text(json.dumps(report, indent=1))
                        runs.append(summarize(report))
                    row = {"page": path, "form": form, **median_of(runs)}
                    if multiplier is not None:
                        row["cpu_slowdown"] = multiplier
                    rows.append(row)
                    print(table(rows[-1:]).split("\n", 1)[-1], flush=True)
            load_after = os.getloadavg()[0]
            if front:
                front.shutdown()
    print()
    print(table(rows))
    print(f"load average before/after: {load_before:.1f} / {load_after:.1f}")
    result = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": "make lighthouse",
        "served_by": "netlify dev --offline (snippets/package.json's netlify-cli), netlify.toml",
        "compression": "gzip front (as Netlify's CDN)" if args.compress else "none (netlify dev)",
        "lighthouse": runs[0]["lighthouse"],
        "chromium": runs[0]["chromium"],
        "machine": machine(load_before, load_after),
        "pages": rows,
        "note": (
            "mobile/desktop: Lighthouse's defaults (mobile: slow 4G, 4x CPU slowdown). "
            "mobile-cal: mobile with the CPU slowdown Lighthouse's docs/throttling.md gives "
            "for this host's benchmark index (cpu_slowdown)."
        ),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
