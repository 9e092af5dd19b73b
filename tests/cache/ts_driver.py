"""Run a scenario of tests/cache/cache_driver.mjs (the TypeScript caches) and read its JSON.

Not a test module: the TypeScript cache tests (``test_*_ts.py``) call :func:`scenario`.
"""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

from tests.nodejs import SNIPPETS, node_binary, node_env
from tools.harness.session import PATIENCE

DRIVER = Path(__file__).with_name("cache_driver.mjs")


def scenario(name: str, arg=None, env: dict[str, str] | None = None, timeout: float = 120) -> dict:
    """``node cache_driver.mjs NAME [ARG]``; the scenario's result, with its log lines."""
    command = [node_binary(), str(DRIVER), name]
    if arg is not None:
        command.append(json.dumps(arg))
    out = subprocess.run(
        command,
        cwd=SNIPPETS,
        env=node_env(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout * PATIENCE,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    # the result is the last JSON line: a log line of a background timer may still follow it
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no JSON result from the driver:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    result = json.loads(lines[-1])
    result["_stderr"] = out.stderr
    result["_stdout"] = out.stdout
    return result


class Interactive:
    """A scenario that stops at steps (``ask`` in the driver) while the test acts on the
    server; :meth:`latest` is the last JSON line, :meth:`answer` lets the driver go on."""

    def __init__(self, name: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [node_binary(), str(DRIVER), name],
            cwd=SNIPPETS,
            env=node_env(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[dict] = []
        self.raw: list[str] = []  # every stdout line, log lines (console.info) included
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.raw.append(line)
            if line.startswith("{"):
                self.lines.append(json.loads(line))

    def latest(self) -> dict:
        return self.lines[-1] if self.lines else {}

    def step(self, name: str) -> dict:
        return next((line for line in self.lines if line.get("step") == name), {})

    def answer(self) -> None:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 60) -> tuple[dict, str]:
        """Wait for the driver's exit: its final JSON line and its stderr + stdout."""
        self.proc.wait(timeout=timeout * PATIENCE)
        self._reader.join(timeout=10)
        stderr = self.proc.stderr.read()
        assert self.proc.returncode == 0, stderr
        return self.latest(), stderr + "".join(self.raw)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
