"""snippets/doctor/run-doctor.sh: the commands on docs/troubleshooting/doctor.md."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import APP_VARIABLES
from tools.paths import ROOT

# The shown files this module validates (the site's badge for them links here).
SHOWS = (
    "snippets/doctor/run-doctor.sh",
)

SCRIPT = ROOT / "snippets" / "doctor" / "run-doctor.sh"  # run-doctor.sh


def section(name: str) -> str:
    text = SCRIPT.read_text()
    return re.search(rf"\[start:{name}\]\n(.*?)# --8<-- \[end:{name}\]", text, re.S).group(1)


def run_section(name: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in APP_VARIABLES}
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # the venv's python
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", section(name)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, "PYTHONPATH": str(ROOT), "PATH": path, **env},
    )


def test_script_parses_and_every_section_runs_the_doctor():
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
    for name in ("vm", "any-box", "heroku", "railway", "json", "inspect"):
        assert "redis-doctor" in section(name) or "python -m snippets.doctor" in section(name)
    assert "red-xxxxx" in section("inspect") and "PASSWORD" in section("inspect")


def test_any_box_and_json_sections_run(redis_server, tmp_path):
    ok = run_section("any-box", tmp_path, REDIS_URL=redis_server.url())
    assert ok.returncode == 0 and "OK: 0 failing" in ok.stdout
    out = run_section("json", tmp_path, REDIS_URL=redis_server.url())
    assert out.stdout.strip() == "healthy"
    assert json.loads((tmp_path / "doctor.json").read_text())["ok"] is True
    redis_server.stop()
    down = run_section("json", tmp_path, REDIS_URL=redis_server.url())
    assert down.stdout.strip() == "exit 1"


def test_inspect_section_runs_offline(tmp_path):
    out = run_section("inspect", tmp_path)
    assert out.returncode == 0 and "password_set  True" in out.stdout
    assert "PASSWORD" not in out.stdout
