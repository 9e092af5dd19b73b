"""tools/lighthouse.py (`make lighthouse`): what it keeps from a report, the CPU calibration it
takes from Lighthouse's docs, and the gzip front that stands in for Netlify's CDN compression.
Lighthouse itself is not run here: its scores are a measurement, not a test."""

from __future__ import annotations

import gzip
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tools import lighthouse


def report(perf: float, a11y: float = 1.0, tbt: float = 120.0, index: float = 600) -> dict:
    """The parts of a Lighthouse JSON report the tool reads (shape of Lighthouse 13)."""
    return {
        "lighthouseVersion": "13.5.0",
        "environment": {"benchmarkIndex": index, "hostUserAgent": "Chromium/156"},
        "categories": {
            "performance": {"score": perf},
            "accessibility": {"score": a11y},
        },
        "audits": {
            "first-contentful-paint": {"numericValue": 1234.56},
            "largest-contentful-paint": {"numericValue": 2000.4},
            "total-blocking-time": {"numericValue": tbt},
            "cumulative-layout-shift": {"numericValue": 0.01234},
            "speed-index": {"numericValue": 1800.0},
            "color-contrast": {"score": 0, "scoreDisplayMode": "binary"},
            "image-alt": {"score": 1, "scoreDisplayMode": "binary"},
            "unused-javascript": {"score": 0, "scoreDisplayMode": "metricSavings"},
        },
    }


def test_summary_keeps_scores_metrics_and_failing_binary_audits():
    row = lighthouse.summarize(report(0.874))
    assert row["performance"] == 87 and row["accessibility"] == 100
    assert row["metrics"] == {"FCP": 1235, "LCP": 2000, "TBT": 120, "CLS": 0.012, "SI": 1800}
    assert row["failing"] == ["color-contrast"]  # not the metric-savings opportunity
    assert row["benchmark_index"] == 600 and row["lighthouse"] == "13.5.0"


def test_median_of_several_runs():
    runs = [lighthouse.summarize(report(p, tbt=t)) for p, t in ((0.5, 900), (0.9, 100), (0.7, 400))]
    row = lighthouse.median_of(runs)
    assert row["performance"] == 70 and row["metrics"]["TBT"] == 400 and row["runs"] == 3
    text = lighthouse.table([{"page": "/latest/", "form": "mobile", **row}])
    assert "/latest/" in text and "failing audit: color-contrast" in text


@pytest.mark.parametrize(
    ("index", "multiplier"), [(2000, 4), (1500, 4), (1499, 2), (900, 2), (799, 1), (300, 1)]
)
def test_cpu_multiplier_follows_lighthouse_throttling_docs(index, multiplier):
    assert lighthouse.calibrated_multiplier(index) == multiplier


def test_calibrated_form_only_when_asked():
    assert [f for f, _ in lighthouse.forms(False)] == ["mobile", "desktop"]
    assert [f for f, _ in lighthouse.forms(True)] == ["mobile", "desktop", "mobile-cal"]


CSS = b"body{color:#111}" * 200


class Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/":
            self.send_response(302)
            self.send_header("Location", "/latest/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        kind = "text/css; charset=utf-8" if self.path.endswith(".css") else "image/png"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Security-Policy", "default-src 'none'")
        self.send_header("Content-Length", str(len(CSS)))
        self.end_headers()
        self.wfile.write(CSS)


@pytest.fixture
def front():
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    server = lighthouse.gzip_front(f"http://127.0.0.1:{upstream.server_address[1]}")
    yield server.server_address[1]
    server.shutdown()
    upstream.shutdown()


def get(port: int, path: str, encoding: str | None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Accept-Encoding": encoding} if encoding else {})
    return conn.getresponse()


def test_front_gzips_text_for_browsers_that_accept_it_and_keeps_headers(front):
    response = get(front, "/latest/assets/main.css", "gzip, deflate, br")
    body = response.read()
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(body) == CSS and len(body) < len(CSS)
    assert response.getheader("Content-Security-Policy") == "default-src 'none'"


def test_front_leaves_other_responses_alone(front):
    plain = get(front, "/latest/assets/main.css", None)
    assert plain.getheader("Content-Encoding") is None and plain.read() == CSS
    image = get(front, "/latest/favicon.png", "gzip")
    assert image.getheader("Content-Encoding") is None and image.read() == CSS
    redirect = get(front, "/", "gzip")
    assert redirect.status == 302 and redirect.getheader("Location") == "/latest/"
