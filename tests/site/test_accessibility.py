"""Accessibility: axe-core (WCAG 2.1 A and AA rules) reports no violation on any page of the
current version and of `dev`, loaded from the Netlify CLI in Debian's Chromium.

axe-core comes from the Node project (snippets/node_modules/axe-core, pinned); it is injected
into each page with the CSP bypassed for that one script (the CSP itself is checked in
tests/site/test_published.py). Pages are taken from the published folders, so a new page is
checked without editing this file. Every rule runs in the light palette, the colour rules
also in the dark one. Lighthouse scores are measured by tools/lighthouse.py, not here.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from tools.paths import ROOT

AXE = ROOT / "snippets" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VERSIONS = ("latest", "dev")


def pages_of(published: Path, version: str) -> list[str]:
    folder = published / version
    paths = [
        "/" + p.parent.relative_to(published).as_posix() + "/"
        for p in sorted(folder.rglob("index.html"))
        if "_sources" not in p.parts and "search" not in p.parts
    ]
    return [*paths, f"/{version}/no-such-page/"]  # the version's 404 page


def run_axe(page, only: dict) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async only => {
            const result = await axe.run(document, {runOnly: only});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact,
                nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
        }""",
        only,
    )


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_wcag_violation_on_any_page(browser, served, published, version, scheme):
    assert AXE.is_file(), "snippets/node_modules/axe-core missing: `make test` runs npm ci"
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, bypass_csp=True, color_scheme=scheme
    )
    page = context.new_page()
    paths = pages_of(published, version)
    # Every WCAG 2.1 A/AA rule in the light palette; the dark one changes only colours.
    only = (
        {"type": "tag", "values": TAGS}
        if scheme == "light"
        else {"type": "rule", "values": ["color-contrast", "link-in-text-block"]}
    )
    found: dict[str, list[dict]] = {}
    for path in paths:
        page.goto(served.url + path, wait_until="load")
        violations = run_axe(page, only)
        if violations:
            found[path] = violations
    context.close()
    by_rule = Counter(v["id"] for vs in found.values() for v in vs for _ in v["nodes"])
    print(
        f"\naxe {version} ({scheme}): {len(paths)} pages, {sum(by_rule.values())} nodes in "
        f"violation on {len(found)} pages {dict(by_rule)}"
    )
    detail = [
        f"{path}: {v['id']} ({v['impact']}) {node}"
        for path, vs in found.items()
        for v in vs
        for node in v["nodes"][:3]
    ]
    assert not found, "\n".join(detail[:60])
