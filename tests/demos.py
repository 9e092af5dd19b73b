"""Run a snippet's ``python -m`` demo the way a reader does, output captured as text.

Coverage follows the subprocess (``[tool.coverage.run] patch = ["subprocess"]``).
"""

from __future__ import annotations

import subprocess
import sys

from tools.harness.session import PATIENCE


def run_demo(
    module: str, *args: str, check: bool = False, timeout: float = 60, **kwargs
) -> subprocess.CompletedProcess:
    """``python -m module args``; ``env``, ``input`` and the like pass through."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout * PATIENCE,
        **kwargs,
    )
