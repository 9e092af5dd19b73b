"""Versions built once: a released version's built folder, kept in the repository.

mike's model is a branch holding every built version; here the kept versions are
reproducible archives in ``docs/_versions/<name>.tar.gz`` (excluded from mkdocs), written
once when a version is released (``python -m tools.site.build --keep NAME``: built from its
commit, with its own test run for the badges) and afterwards only unpacked by ``make site``.
A kept version is therefore byte for byte what readers saw when it was released, and no
later change to the tooling has to keep its commit building.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
from pathlib import Path

from tools.paths import DOCS

KEPT_DIR = DOCS / "_versions"


def archive_of(name: str, directory: Path = KEPT_DIR) -> Path:
    return directory / f"{name}.tar.gz"


def is_kept(version: dict, directory: Path = KEPT_DIR) -> bool:
    return archive_of(version["name"], directory).is_file()


def store(folder: Path, name: str, directory: Path = KEPT_DIR) -> Path:
    """Archive ``folder`` (a built version) reproducibly: sorted names, no times or owners."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = tarfile.TarInfo(path.relative_to(folder).as_posix())
            info.size, info.mode, info.mtime = path.stat().st_size, 0o644, 0
            with path.open("rb") as fh:
                tar.addfile(info, fh)
    target = archive_of(name, directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(buffer.getvalue())
    return target


def unpack(version: dict, staging: Path, directory: Path = KEPT_DIR) -> None:
    """Put a kept version (and copies for its aliases) into the publish folder."""
    for folder in (version["name"], *version.get("aliases", [])):
        target = staging / folder
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        with tarfile.open(archive_of(version["name"], directory), "r:gz") as tar:
            tar.extractall(target, filter="data")


def versions_json(versions: list[dict]) -> str:
    """mike's versions.json for every published version, newest first (as mike orders it)."""
    entries = [
        {"version": v["name"], "title": v["title"], "aliases": list(v.get("aliases", []))}
        for v in reversed(versions)
    ]
    return json.dumps(entries)
