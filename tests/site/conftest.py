"""Fixtures shared by the site tests: this checkout's pages, the published site (every
version, built by build_site), Chromium, and the published site served by the Netlify CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import CHROMIUM, CHROMIUM_ARGS, built_once, need
from tools.site import build as build_site
from tools.site.netlify_server import NETLIFY, NetlifyServer
from tests.site.test_build import strict_build



@pytest.fixture(scope="session")
def reader_site(tmp_path_factory) -> Path:
    """This checkout's pages built once with `mkdocs build --strict` (once per run)."""
    return built_once(tmp_path_factory, "reader-site", strict_build)


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> Path:
    """Every version in versions.toml, as `make site` publishes it (without the badge runs)."""
    return built_once(
        tmp_path_factory, "published-site", lambda out: build_site.build(out, skip_tests=True)
    )


@pytest.fixture(scope="session")
def browser():
    need("chromium", Path(CHROMIUM).exists(), f"{CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def served(published):
    """The published site served by `netlify dev --offline` (the engine Netlify runs)."""
    need("node", shutil.which("node") is not None, "node not on PATH: `make test` puts it there")
    need("node", NETLIFY.exists(), "snippets/node_modules/.bin/netlify missing: `make test`")
    with NetlifyServer(published) as server:
        yield server
