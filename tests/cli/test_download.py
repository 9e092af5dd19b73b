"""The Node doctor as a download: built into the site with its SHA-256, fetched as the page says.

Builds the site (mkdocs build --strict), serves it on loopback, runs the page's fetch commands
(snippets/cli/get-doctor.sh: Node's fetch, and curl) into an empty app directory, checks the
SHA-256 against the file in the repo and the one printed on the page, then runs the page's
commands (snippets/cli/node-doctor.sh) there against a real server. Also checks what the app's
own Node client prints when REDIS_URL did not reach it (the ECONNREFUSED capture).
"""

from __future__ import annotations

import functools
import hashlib
import html
import os
import re
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers import need_binary
from tests.nodejs import SNIPPETS, node_binary, node_env
from tools.paths import ROOT

# The shown files this module validates (read by the site's include macro).
SHOWS = (
    "snippets/cli/get-doctor.sh",
    "snippets/cli/node-doctor.sh",
)

CLI = ROOT / "snippets" / "cli"
DOCTOR = SNIPPETS / "doctor" / "redis-doctor.mjs"


def section(script: str, name: str) -> str:
    text = (CLI / script).read_text()
    match = re.search(rf"# --8<-- \[start:{name}\]\n(.*?)# --8<-- \[end:{name}\]", text, re.S)
    assert match, f"{script} has no section {name}"
    return match.group(1)


@pytest.fixture(scope="module")
def served_site(tmp_path_factory):
    """The strictly built site, served over HTTP on loopback."""
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert build.returncode == 0, build.stderr[-4000:]
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(out))

    class Quiet(handler.func):  # type: ignore[name-defined]
        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield out, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_every_shell_file_parses():
    for script in CLI.glob("*.sh"):
        subprocess.run(["bash", "-n", str(script)], check=True)


def test_download_from_the_built_site_matches_its_checksum(served_site, tmp_path):
    site, base = served_site
    expected = hashlib.sha256(DOCTOR.read_bytes()).hexdigest()
    page = (site / "troubleshooting" / "doctor" / "index.html").read_text()
    shown = re.search(r'class="pc-sha256">([0-9a-f]{64})<', page).group(1)
    href = html.unescape(re.search(r'class="pc-download" href="([^"]+)"', page).group(1))
    assert shown == expected and href == "../../downloads/redis-doctor.mjs"
    assert (site / "downloads" / "redis-doctor.mjs").read_bytes() == DOCTOR.read_bytes()
    env = {"PATH": f"{Path(node_binary()).parent}{os.pathsep}{os.environ['PATH']}", "GUIDE": base}
    for name in ("node", "curl"):
        if name == "curl":
            need_binary("curl")
        app = tmp_path / name
        app.mkdir()
        out = subprocess.run(
            ["bash", "-c", "set -eu\n" + section("get-doctor.sh", name)],
            cwd=app,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        assert expected in out.stdout, out.stdout
        assert hashlib.sha256((app / "redis-doctor.mjs").read_bytes()).hexdigest() == expected


def test_page_commands_run_the_downloaded_doctor_in_an_app_directory(
    served_site, redis_server, tmp_path
):
    _, base = served_site
    app = tmp_path / "app"
    app.mkdir()
    (app / "node_modules").symlink_to(SNIPPETS / "node_modules")  # the app's installed deps
    env = node_env({"GUIDE": base, "APP_DIR": str(app), "REDIS_URL": redis_server.url()})
    env["PATH"] = f"{Path(node_binary()).parent}{os.pathsep}{env['PATH']}"
    fetch = section("get-doctor.sh", "node")
    for name, expect in (("here", "OK: 0 failing"), ("json", "healthy")):
        out = subprocess.run(
            ["bash", "-c", f"set -eu\ncd {app}\n{fetch}{section('node-doctor.sh', name)}"],
            cwd=app,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0 and expect in out.stdout, out.stdout + out.stderr


def test_what_a_node_app_prints_without_redis_url(redis_factory, capture):
    """ioredis's default is 127.0.0.1:6379: the error a Node reader sees after a deploy."""
    closed = redis_factory.closed_port()
    script = (
        "const { Redis } = require('ioredis');"
        f"const r = new Redis({{ port: {closed.port}, retryStrategy: () => null }});"
        "r.on('end', () => process.exit(0));"
    )
    out = subprocess.run(
        [node_binary(), "-e", script],
        cwd=SNIPPETS,
        env=node_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    text = (out.stdout + out.stderr).replace(f":{closed.port}", ":6379")
    text = re.sub(r"\n +at .*", "", text)  # the stack: paths of this machine
    text = re.sub(r"(errno|code|syscall|address|port): .*\n", "", text)
    assert "[ioredis] Unhandled error event: Error: connect ECONNREFUSED 127.0.0.1:6379" in text
    capture(
        "econnrefused-node",
        text.strip() + "\n",
        normalised="port (6379), stack trace",
        client="ioredis",
    )


def test_redis_cli_lines_use_the_app_url_and_insecure_once():
    insecure = []
    for script in ("connect.sh", "server.sh"):
        lines = (CLI / script).read_text().splitlines()
        commands = [line for line in lines if re.match(r"(timeout 5 )?redis-cli ", line)]
        assert commands and all('"$REDIS_URL"' in line for line in commands), script
        insecure += [line for line in lines if "--insecure" in line and line[:1] != "#"]
    assert len(insecure) == 1  # one section, under its warning (docs/troubleshooting/tls.md)
