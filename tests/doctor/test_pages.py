"""docs/troubleshooting/: every check id has its section, the index renders the symptom table."""

from __future__ import annotations

import re
from pathlib import Path

from snippets.checks import CHECKS, SYMPTOMS, docs_path, symptom_table
from tools.paths import ROOT

PAGES = ROOT / "docs" / "troubleshooting"
ANCHOR = re.compile(r"^#+ .*\{ #([a-z0-9-]+) \}\s*$", re.M)


def anchors(page: Path) -> set[str]:
    return set(ANCHOR.findall(page.read_text()))


def test_every_check_id_has_its_anchor_on_its_group_page():
    missing = []
    for check_id in CHECKS:
        path, anchor = docs_path(check_id).split("/#")
        page = ROOT / "docs" / f"{path}.md"
        if not page.is_file() or anchor not in anchors(page):
            missing.append(f"{check_id}: no '{{ #{anchor} }}' heading in {page.relative_to(ROOT)}")
    assert not missing, "\n".join(missing)


def test_index_renders_the_symptom_table_with_its_macro():
    """The table is not pasted: the page calls the macro (tests/site/test_symptom_table.py
    checks the built page holds exactly SYMPTOMS)."""
    index = (PAGES / "index.md").read_text()
    assert "{{ symptom_table() }}" in index
    assert not [line for line in index.splitlines() if line.startswith("|")]
    assert symptom_table().count("\n") == len(SYMPTOMS) + 2  # header, rule, one row each


def test_every_symptom_links_to_an_existing_section():
    for symptom in SYMPTOMS:
        page, _, anchor = symptom.section.partition("#")
        assert (PAGES / page).is_file(), symptom
        if anchor:
            assert anchor in anchors(PAGES / page), symptom
        if symptom.check:
            assert docs_path(symptom.check).endswith(f"{page.removesuffix('.md')}/#{anchor}")


def test_every_symptom_capture_is_shown_on_a_page():
    shown = " ".join(p.read_text() for p in PAGES.glob("*.md"))
    captures = sorted((ROOT / "docs" / "_captured").glob("symptom-*.txt"))
    assert captures
    for capture in captures:
        assert f'captured("{capture.stem}")' in shown, capture.name


def test_every_page_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in PAGES.glob("*.md"):
        assert f"troubleshooting/{page.name}" in nav, page.name
