"""Serve a built site with the Netlify CLI itself, as Netlify will: netlify.toml's headers,
redirects, 404 rules and the Content-Security-Policy are applied by Netlify's own engine.

    with NetlifyServer(site) as server:   # netlify dev --offline --dir SITE (loopback)
        server.url, server.requests

`netlify dev --offline --dir SITE --internal-disable-edge-functions` (netlify-cli, pinned in
snippets/package.json) runs in a throwaway project folder holding a copy of netlify.toml, on
free loopback ports, with no network and no account. A small recording proxy in front of it
(loopback, passes status, headers and body through untouched, follows no redirect) lists
every path the browser asked for in ``server.requests``. Start-up is bounded; stop ends the
CLI's own process group. ``python -m tools.site.netlify_server site`` serves a build by hand.

NetlifyRules reads netlify.toml for the static checks (which rule matches which path).
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from tools.paths import ROOT, SNIPPETS

NETLIFY = SNIPPETS / "node_modules" / ".bin" / "netlify"
SHIM = Path(__file__).with_name("netlify_ts_shim.cjs")
START_TIMEOUT = float(os.environ.get("NETLIFY_START_TIMEOUT", "240"))  # a busy 2-core box


def pattern(rule_path: str) -> re.Pattern:
    """Netlify path pattern: `*` matches anything (the splat), the rest literally."""
    return re.compile("^" + re.escape(rule_path).replace(r"\*", "(.*)") + "$")


class NetlifyRules:
    """netlify.toml's [[headers]] for a path (every matching rule, in order)."""

    def __init__(self, toml_path: Path = ROOT / "netlify.toml") -> None:
        config = tomllib.loads(toml_path.read_text())
        self.headers = [(pattern(h["for"]), h["values"]) for h in config.get("headers", [])]
        self.redirects = config.get("redirects", [])

    def headers_for(self, path: str) -> dict[str, str]:
        values: dict[str, str] = {}
        for regex, rule in self.headers:
            if regex.match(path):
                for name, value in rule.items():
                    values[name] = f"{values[name]}, {value}" if name in values else value
        return values


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Proxy(BaseHTTPRequestHandler):
    upstream: tuple[str, int]
    requests: list[str]
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # quiet
        pass

    def _forward(self) -> None:
        self.requests.append(urlsplit(self.path).path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        conn.request(self.command, self.path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        conn.close()

    do_GET = do_HEAD = do_POST = _forward


class NetlifyServer:
    """``with NetlifyServer(site) as server: server.url``; ``server.requests`` lists paths."""

    def __init__(self, site: Path, timeout: float = START_TIMEOUT) -> None:
        self.site = Path(site).resolve()
        self.timeout = timeout
        self.requests: list[str] = []
        self.port, self.static_port = free_port(), free_port()
        self.process: subprocess.Popen | None = None
        self.project = Path(tempfile.mkdtemp(prefix="pcrg-netlify-"))
        self.log = self.project / "netlify.log"
        handler = type(
            "BoundProxy",
            (_Proxy,),
            {"upstream": ("127.0.0.1", self.port), "requests": self.requests},
        )
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.direct_url = f"http://127.0.0.1:{self.port}"  # the CLI itself, no recording

    def command(self) -> list[str]:
        return [
            str(NETLIFY), "dev", "--offline", "--dir", str(self.site),
            "--internal-disable-edge-functions", "--port", str(self.port),
            "--no-open", "--skip-gitignore",
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NETLIFY")}
        env.pop("NODE_V8_COVERAGE", None)  # the CLI is not the project's code
        node = shutil.which("node")
        if node:
            env["PATH"] = f"{Path(node).parent}{os.pathsep}{env.get('PATH', '')}"
        env["NODE_OPTIONS"] = f"--require {SHIM}"
        env["XDG_CONFIG_HOME"] = str(self.project / "config")  # no state in the user's home
        env["NETLIFY_TELEMETRY_DISABLED"] = "1"
        return env

    def _ready(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("HEAD", "/")
            status = conn.getresponse().status
            conn.close()
            return status < 500
        except OSError:
            return False

    def __enter__(self) -> NetlifyServer:
        # With --dir the CLI ignores --target-port and binds its static server to 3999 unless
        # [dev] staticServerPort says otherwise: two servers started at once (test workers)
        # would race for 3999 (EADDRINUSE). The project's netlify.toml has no [dev] table.
        rules = (ROOT / "netlify.toml").read_text()
        dev = f"\n[dev]\nstaticServerPort = {self.static_port}\n"
        (self.project / "netlify.toml").write_text(rules + dev)
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.project,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop() ends all of it
            )
        atexit.register(self.stop)  # also if the test session is interrupted
        deadline = time.monotonic() + self.timeout
        while not self._ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = self.log.read_text()[-3000:]
                self.stop()
                raise RuntimeError(f"netlify dev did not start ({self.command()}):\n{output}")
            time.sleep(0.25)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)  # the group this object started
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        shutil.rmtree(self.project, ignore_errors=True)

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.stop()


if __name__ == "__main__":
    with NetlifyServer(Path(sys.argv[1] if len(sys.argv) > 1 else "site")) as server:
        print(f"serving {sys.argv[1:] or ['site']} with netlify dev at {server.url}/")
        threading.Event().wait()
