"""tools/site/kept.py: a released version is stored once, reproducibly, and unpacked as is."""

from __future__ import annotations

import json

from tools.site import kept


def _version(tmp_path):
    folder = tmp_path / "built" / "0.9"
    (folder / "setup").mkdir(parents=True)
    (folder / "index.html").write_text("<h1>0.9</h1>\n")
    (folder / "setup" / "index.html").write_bytes(b"\x00binary\xff")
    return folder


def test_store_is_reproducible(tmp_path):
    folder = _version(tmp_path)
    first = kept.store(folder, "0.9", tmp_path / "a").read_bytes()
    (folder / "index.html").touch()  # a newer mtime must not change the archive
    second = kept.store(folder, "0.9", tmp_path / "b").read_bytes()
    assert first == second


def test_unpack_gives_the_same_bytes_for_the_version_and_its_aliases(tmp_path):
    folder = _version(tmp_path)
    kept.store(folder, "0.9", tmp_path / "kept")
    version = {"name": "0.9", "title": "0.9 (old)", "aliases": ["legacy"]}
    assert kept.is_kept(version, tmp_path / "kept")
    assert not kept.is_kept({"name": "1.0"}, tmp_path / "kept")
    staging = tmp_path / "publish"
    kept.unpack(version, staging, tmp_path / "kept")
    for name in ("0.9", "legacy"):
        assert (staging / name / "index.html").read_text() == "<h1>0.9</h1>\n"
        assert (staging / name / "setup" / "index.html").read_bytes() == b"\x00binary\xff"


def test_versions_json_lists_newest_first_like_mike():
    versions = [
        {"name": "0.1", "title": "0.1 (spine)", "aliases": []},
        {"name": "0.2", "title": "0.2 (current)", "aliases": ["latest"]},
        {"name": "dev", "title": "dev"},
    ]
    assert json.loads(kept.versions_json(versions)) == [
        {"version": "dev", "title": "dev", "aliases": []},
        {"version": "0.2", "title": "0.2 (current)", "aliases": ["latest"]},
        {"version": "0.1", "title": "0.1 (spine)", "aliases": []},
    ]
