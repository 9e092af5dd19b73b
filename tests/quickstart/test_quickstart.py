"""The quickstarts: each platform's .env block goes through the app's resolver, the one
command that proves it works (verify.sh) runs for real, and every page shows its pieces.

Files: snippets/quickstart/<platform>-quickstart.env (render-quickstart.env,
heroku-quickstart.env, railway-quickstart.env, upstash-quickstart.env,
elasticache-quickstart.env, digitalocean-quickstart.env, self-hosted-quickstart.env) and
snippets/quickstart/verify.sh.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from macros import facts
from snippets.config.settings import load_settings
from tools.paths import ROOT

# The shown files this module validates (read by the site's include macro).
SHOWS = (
    "snippets/quickstart/digitalocean-quickstart.env",
    "snippets/quickstart/elasticache-quickstart.env",
    "snippets/quickstart/heroku-quickstart.env",
    "snippets/quickstart/railway-quickstart.env",
    "snippets/quickstart/render-quickstart.env",
    "snippets/quickstart/self-hosted-quickstart.env",
    "snippets/quickstart/upstash-quickstart.env",
    "snippets/quickstart/verify.sh",
)

QUICK = ROOT / "snippets" / "quickstart"
PAGES = ROOT / "docs" / "quickstart"
PLATFORMS = {p["id"]: p for p in facts.data()["platform"]}
NAMES = {pid: Path(p["quickstart"]).stem for pid, p in PLATFORMS.items()}


def read_env(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def railway_reference(value: str) -> str:
    """Railway substitutes ${{Redis.REDIS_URL}} with the Redis service's variable."""
    exposed = read_env(ROOT / "snippets" / "platforms" / "railway-redis-service.env")
    return re.sub(r"\$\{\{Redis\.(\w+)\}\}", lambda m: exposed[m[1]], value)


@pytest.mark.parametrize("pid", sorted(PLATFORMS))
def test_env_block_resolves_as_the_platform_url(pid):
    env = read_env(QUICK / f"{NAMES[pid]}-quickstart.env")
    assert set(env) == {"REDIS_URL", "NODE_ENV", "APP_ENV"}, env
    env = {k: railway_reference(v) for k, v in env.items()}
    env["REDIS_URL"] = env["REDIS_URL"].replace(":PORT", ":31337")  # Heroku's per-instance port
    settings = load_settings(env)
    assert settings.source == "REDIS_URL" and settings.production
    assert "url.localhost" not in settings.findings
    # The same scheme, user and port as the URL shape the platform page shows.
    first = next(u for u in facts.data()["url"] if u["platform"] == pid)
    shape = urlsplit(facts.url_shape(first).replace(":PORT", ":31337"))
    assert settings.scheme == shape.scheme, (pid, settings.scheme, shape.scheme)
    assert settings.username == (shape.username or None)
    assert str(settings.port) == (str(shape.port) if shape.port else str(settings.port))
    assert settings.password_set == bool(shape.password)


@pytest.mark.parametrize("pid", sorted(PLATFORMS))
def test_page_shows_env_client_command_mistakes_and_facts(pid):
    name = NAMES[pid]
    text = (PAGES / f"{name}.md").read_text()
    assert f'snippet("quickstart/{name}-quickstart.env")' in text
    assert 'snippet_tabs("config/client.py", "config/client.ts", "make-client"' in text
    section = re.search(r'snippet\("quickstart/verify.sh", "([a-z]+)"\)', text)
    assert section and f"[start:{section[1]}]" in (QUICK / "verify.sh").read_text()
    mistakes = text.split("## The two most common mistakes", 1)[1].split("##", 1)[0]
    links = re.findall(r"\]\((\.\./[^)]+)\)", mistakes)
    assert len(re.findall(r"^\d\. \*\*", mistakes, re.M)) == 2 and len(links) >= 2, links
    for link in links:
        path, _, anchor = link[3:].partition("#")
        page = ROOT / "docs" / path
        assert page.is_file(), link
        if anchor:
            body = page.read_text()
            heading = any(
                re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-") == anchor
                for h in re.findall(r"^#+ (.+)$", body, re.M)
            )
            assert f"#{anchor}" in body or heading, link
    assert f'plan_table("{pid}")' in text and f'platform_facts("{pid}")' in text


def verify_section(name: str) -> str:
    text = (QUICK / "verify.sh").read_text()
    return text.split(f"# --8<-- [start:{name}]\n", 1)[1].split("# --8<-- [end:", 1)[0]


def test_verify_script_is_valid_bash():
    subprocess.run(["bash", "-n", str(QUICK / "verify.sh")], check=True)


def test_the_one_command_runs_where_the_app_runs(redis_server):
    """The "here" section, for real: the app's environment, the smoke check's answer."""
    env = {
        **os.environ,
        "REDIS_URL": redis_server.url(),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    out = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", verify_section("here")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "server:" in out.stdout and "policy:" in out.stdout, out.stdout
