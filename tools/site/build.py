"""Build the whole versioned site into site/ (what `make site` and Netlify run).

    python -m tools.site.build [--out site] [--skip-tests] [--only NAME,...] [--keep NAME]

A released version is built once, when it is released (``--keep NAME``), and kept in
docs/_versions/NAME.tar.gz (tools/site/kept.py); `make site` unpacks the kept versions and
builds only the others: the current release ("HEAD") and dev (the working tree).

Building a version: check out its commit (or the working tree for "worktree") as a git
worktree of a temporary clone; overlay the site machinery of this checkout (macros/, tools/,
overrides/, docs/javascripts|stylesheets|changes/, versions.toml, the theme/extra/plugins of
mkdocs.yml) so every version gets the badges, the banner and the strict-CSP templates; run
that version's own tests with the tools/site/verified.py plugin (its badges come from that
run; identical trees share one run); then `mike deploy` it (alias_type copy) into a
throwaway branch of the clone. Finally `mike set-default latest`, export the branch into the
publish folder, add the kept versions, versions.json and the root 404.html.

--skip-tests builds without running tests (badges say "not verified"): the suite uses it
to check the published layout without running every version's tests again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import yaml

from tools.paths import ROOT, VERSIONS
from tools.published_root import write_root_files
from tools.site import kept

BRANCH = "site-build"
MIKE = [sys.executable, "-c", "import sys; from mike.driver import main; sys.exit(main())"]
MACHINERY = (
    "macros", "tools", "overrides", "docs/javascripts", "docs/stylesheets", "docs/changes"
)
CHROME_KEYS = ("theme", "extra", "extra_css", "extra_javascript", "plugins", "hooks")
JOBS = int(os.environ.get("SITE_TEST_JOBS", "2"))  # concurrent pytest processes per version
# Tests that build this very site: run by `make test`, not inside the site build.
NOT_IN_BUILD = ("tests/site/test_published.py", "tests/site/test_accessibility.py")
# mike runs `mkdocs` from PATH: the one next to this interpreter.
TOOLS_PATH = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
GIT_ID = {
    "GIT_AUTHOR_NAME": "site build",
    "GIT_AUTHOR_EMAIL": "site-build@localhost",
    "GIT_COMMITTER_NAME": "site build",
    "GIT_COMMITTER_EMAIL": "site-build@localhost",
}


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for builds and version test runs: no coverage measurement of the
    temporary checkouts (the suite's --cov would otherwise count their copies of snippets/)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS_")}
    return {**env, **GIT_ID, **TOOLS_PATH, **extra}


def verified_pytest(report: Path, *targets: str) -> list[str]:
    """A pytest command that loads the badge plugin standalone (PYTHONPATH holds it)."""
    return [
        sys.executable, "-m", "pytest", "-q", "-p", "pcrg_verified", "-p", "no:cacheprovider",
        f"--verified-report={report}", *targets,
    ]


def log(message: str) -> None:
    print(f"[site] {message}", flush=True)


def run(cmd: list[str], cwd: Path, env: dict | None = None, quiet: bool = True) -> str:
    result = subprocess.run(
        cmd,
        cwd=cwd,
        env=clean_env(**(env or {})),
        capture_output=quiet,
        text=True,
    )
    if result.returncode != 0:
        detail = (result.stdout or "")[-3000:] + (result.stderr or "")[-3000:] if quiet else ""
        raise SystemExit(f"[site] failed ({result.returncode}): {' '.join(cmd)}\n{detail}")
    return result.stdout if quiet else ""


def load_versions(path: Path = VERSIONS) -> tuple[list[dict], str]:
    data = tomllib.loads(path.read_text())
    versions = data["version"]
    names = [v["name"] for v in versions]
    if len(set(names)) != len(names):
        raise SystemExit("[site] versions.toml: duplicate version names")
    aliases = [a for v in versions for a in v.get("aliases", [])]
    if data["default"] not in aliases + names:
        raise SystemExit(f"[site] versions.toml: default {data['default']!r} is no version/alias")
    return versions, data["default"]


def resolve(commit: str) -> str:
    """A full sha for a commit of this checkout; fetches history if the clone is shallow."""
    ref = "HEAD" if commit in ("HEAD", "worktree") else commit
    probe = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0 and (ROOT / ".git" / "shallow").exists():
        log(f"{commit} is not in this shallow clone: fetching the history of main")
        run(["git", "fetch", "--quiet", "--unshallow"], ROOT)
        return resolve(commit)
    if probe.returncode != 0:
        raise SystemExit(f"[site] versions.toml: {commit} is not a commit of this repository")
    return probe.stdout.strip()


def sync_worktree(dest: Path) -> None:
    """Make dest (a checkout of HEAD) equal this checkout's working tree."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT)
    present = {p for p in listed.split("\0") if p and (ROOT / p).is_file()}
    tracked = set(run(["git", "ls-files", "-z"], dest).split("\0")) - {""}
    for rel in tracked - present:
        (dest / rel).unlink(missing_ok=True)
    for rel in present:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest / rel)


def overlay_machinery(dest: Path) -> None:
    for rel in MACHINERY:
        if (dest / rel).exists():
            shutil.rmtree(dest / rel)
        if (ROOT / rel).exists():
            shutil.copytree(ROOT / rel, dest / rel, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "versions.toml", dest / "versions.toml")


def mkdocs_config(version_dir: Path) -> Path:
    """mkdocs.site.yml: the version's own config, with this checkout's site chrome."""
    own = yaml.load((version_dir / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)  # noqa: S506 (strings only)
    nav = own.get("nav", [])
    if not any(isinstance(i, dict) and "changes/index.md" in i.values() for i in nav):
        nav.append({"What changed": "changes/index.md"})
    chrome_text = (ROOT / "mkdocs.yml").read_text()
    # Keep !ENV tags intact: copy the top-level chrome blocks as text, not through yaml.
    blocks, current = {}, None
    for line in chrome_text.splitlines():
        key = line.split(":", 1)[0] if line and not line[0].isspace() else None
        if key is not None:
            current = key if key in CHROME_KEYS else None
        if current:
            blocks.setdefault(current, []).append(line)
    text = "INHERIT: mkdocs.yml\n" + "\n".join("\n".join(b) for b in blocks.values()) + "\n"
    text += yaml.safe_dump({"nav": nav}, sort_keys=False, allow_unicode=True)
    path = version_dir / "mkdocs.site.yml"
    path.write_text(text)
    return path


def tree_digest(directory: Path) -> str:
    files = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], directory)
    digest = hashlib.sha256()
    for rel in sorted(p for p in files.split("\0") if p and (directory / p).is_file()):
        digest.update(rel.encode() + b"\0" + (directory / rel).read_bytes() + b"\0")
    return digest.hexdigest()


def shards(version_dir: Path, jobs: int) -> list[list[str]]:
    """The version's test files in `jobs` groups of similar size (largest first, greedy)."""
    files = sorted(
        (
            p
            for p in version_dir.glob("tests/**/test_*.py")
            if p.relative_to(version_dir).as_posix() not in NOT_IN_BUILD
        ),
        key=lambda p: -p.stat().st_size,
    )
    groups: list[tuple[int, list[str]]] = [(0, []) for _ in range(max(1, jobs))]
    for file in files:
        size, names = min(groups, key=lambda g: g[0])
        groups.remove((size, names))
        groups.append(
            (size + file.stat().st_size, [*names, file.relative_to(version_dir).as_posix()])
        )
    return [sorted(names) for _, names in groups if names]


def run_tests(version_dir: Path, plugin_dir: Path, report: Path, jobs: int = JOBS) -> None:
    """Run the version's own tests in `jobs` concurrent pytest processes; merge their reports.

    The suite mostly waits on servers and sockets (little CPU), so a few processes at once
    keep `make site` well under ten minutes on two cores.
    """
    env = clean_env(PYTHONPATH=str(plugin_dir), PYTHONDONTWRITEBYTECODE="1")
    running = []
    for n, files in enumerate(shards(version_dir, jobs)):
        part = report.with_suffix(f".{n}.json")
        output = report.with_suffix(f".{n}.log").open("w")
        cmd = verified_pytest(part, *files)
        proc = subprocess.Popen(cmd, cwd=version_dir, env=env, stdout=output, stderr=output)
        running.append((proc, part, output))
    merged: dict = {}
    for proc, part, output in running:
        proc.wait()
        output.close()
        log_text = Path(output.name).read_text()
        summary = [line for line in log_text.splitlines() if line.strip()][-1:]
        log(f"{version_dir.name} tests, part {part.suffixes[-2][1:]}: {' '.join(summary)}")
        if proc.returncode not in (0, 1):
            print(log_text[-6000:])
        if not part.is_file():
            raise SystemExit(f"[site] the tests of {version_dir.name} wrote no report")
        data = json.loads(part.read_text())
        if not merged:
            merged = {**data, "files": {}}
        merged["files"].update(data["files"])
        merged["kinds"].update(data["kinds"])
        merged["exitstatus"] = max(merged["exitstatus"], data["exitstatus"])
        if data["exitstatus"]:
            failed = [f for f, r in data["files"].items() if r["failed"]]
            log(f"failures in {', '.join(failed)} (their snippets get no badge):")
            print(
                "\n".join(
                    line for line in log_text.splitlines() if "FAILED" in line or "ERROR" in line
                )
            )
    report.write_text(json.dumps(merged, indent=1) + "\n")
    # A failing test does not stop the build here: the snippets it verifies get no badge,
    # and the strict build fails on the first page that shows one.


def build(
    out: Path,
    skip_tests: bool = False,
    only: set[str] | None = None,
    keep: str | None = None,
    kept_dir: Path = kept.KEPT_DIR,
) -> dict:
    """Build the site into ``out``: the kept versions unpacked, the others built with mike.

    ``keep=NAME`` releases a version: it is built from its commit with its own tests (even
    if it is kept already) and its folder is stored in docs/_versions/ (tools/site/kept.py).
    """
    published_versions, default = load_versions()
    if keep:
        only = {keep}
    selected = [v for v in published_versions if not only or v["name"] in only]
    kept_versions = [v for v in selected if kept.is_kept(v, kept_dir) and v["name"] != keep]
    versions = [v for v in selected if v not in kept_versions]
    started = time.monotonic()
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="pcrg-site-") as tmp_name:
        tmp = Path(tmp_name)
        clone = tmp / "repo"
        run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], tmp)
        plugin_dir = tmp / "plugin"
        plugin_dir.mkdir()
        shutil.copy2(Path(__file__).with_name("verified.py"), plugin_dir / "pcrg_verified.py")
        reports: dict[str, Path] = {}
        for v in versions:
            t0 = time.monotonic()
            sha = resolve(v["commit"])
            src = tmp / f"v-{v['name']}"
            run(["git", "fetch", "--quiet", str(ROOT), sha], clone)
            run(["git", "worktree", "add", "--quiet", "--detach", str(src), sha], clone)
            if v["commit"] == "worktree":
                sync_worktree(src)
            label = "working tree" if v["commit"] == "worktree" else sha[:12]
            env = {
                "SITE_VERSION": v["name"],
                "SITE_COMMIT": "worktree" if v["commit"] == "worktree" else sha,
                "NO_MKDOCS_2_WARNING": "1",
            }
            if not skip_tests:
                digest = tree_digest(src)
                if digest not in reports:
                    log(f"{v['name']} ({label}): running its tests for the badges")
                    reports[digest] = tmp / f"report-{v['name']}.json"
                    run_tests(src, plugin_dir, reports[digest])
                else:
                    log(f"{v['name']} ({label}): same files as a version already tested")
                env |= {"VERIFIED_REPORT": str(reports[digest]), "VERIFIED_STRICT": "1"}
            overlay_machinery(src)
            config = mkdocs_config(src)
            log(f"{v['name']} ({label}): mike deploy {' '.join(v.get('aliases', []))}")
            run(
                [
                    *MIKE,
                    "deploy",
                    "--config-file",
                    config.name,
                    "--branch",
                    BRANCH,
                    "--alias-type",
                    "copy",
                    "--ignore-remote-status",
                    "--update-aliases",
                    "--title",
                    v["title"],
                    v["name"],
                    *v.get("aliases", []),
                ],
                src,
                env,
            )
            timings[v["name"]] = round(time.monotonic() - t0, 1)
        staging = tmp / "publish"
        staging.mkdir()
        names = {n for v in versions for n in (v["name"], *v.get("aliases", []))}
        if versions:
            export(clone, staging, versions, default if default in names else versions[-1]["name"])
        for v in kept_versions:
            log(f"{v['name']}: kept ({kept.archive_of(v['name'], kept_dir)}), built when released")
            kept.unpack(v, staging, kept_dir)
        if keep:
            log(f"{keep}: stored {kept.store(staging / keep, keep, kept_dir)}")
        (staging / "versions.json").write_text(kept.versions_json(selected))
        names |= {n for v in kept_versions for n in (v["name"], *v.get("aliases", []))}
        target = default if default in names else selected[-1]["name"]
        if (staging / target / "404.html").is_file():  # the root 404 page: the default's
            shutil.copy2(staging / target / "404.html", staging / "404.html")
        write_root_files(staging, target)  # robots.txt, sitemap index (tools/published_root.py)
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(staging, out)
    target = next(
        (v["name"] for v in selected if target in (v["name"], *v.get("aliases", []))), target
    )
    summary = {
        "versions": [v["name"] for v in reversed(selected)],
        "default": target,
        "kept": [v["name"] for v in kept_versions],
        "seconds": round(time.monotonic() - started, 1),
        "per_version": timings,
    }
    log(f"published {out}: {json.dumps(summary)}")
    return summary


def export(clone: Path, staging: Path, versions: list[dict], default: str) -> None:
    """mike's root redirect to ``default``, then the built branch into ``staging``."""
    config = clone.parent / f"v-{versions[-1]['name']}" / "mkdocs.site.yml"
    run(
        [
            *MIKE,
            "set-default",
            "--branch",
            BRANCH,
            "--ignore-remote-status",
            "--config-file",
            str(config),
            "--template",
            str(ROOT / "overrides" / "redirect.html"),
            default,
        ],
        clone,
    )
    archive = subprocess.run(
        ["git", "archive", BRANCH], cwd=clone, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(staging)], input=archive, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    parser.add_argument("--skip-tests", action="store_true", help="badges: not verified")
    parser.add_argument("--only", help="comma-separated version names (for quick checks)")
    parser.add_argument(
        "--keep", metavar="NAME", help="release NAME: build it with its tests, store it kept"
    )
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    build(args.out.resolve(), skip_tests=args.skip_tests, only=only, keep=args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
