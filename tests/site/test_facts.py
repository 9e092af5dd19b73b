"""One source for every platform fact: docs/_data/platforms.toml.

Plan figures (memory, connections) appear on pages only through macros/facts.py; a page that
states one by hand, or states a figure the data file does not hold, fails here. The test
prints how many places state each figure: one source, however many pages show it.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from macros import facts
from tests.site.reader import hand_written, held_figures, normal, page_text, plan_figures
from tools.paths import ROOT

DOCS = ROOT / "docs"


def test_the_scanner_catches_hand_written_figures():
    text = "Render's free plan has 30 MB.\n\nHeroku `mini` allows 20 connections.\n\nA 4 MB test."
    found = dict(plan_figures(text))
    assert set(found) == {"30 MB", "20 connections"}  # the 4 MB has no platform near it
    assert "30 MB" not in held_figures() and "20 connections" in held_figures()


def test_no_page_states_a_plan_figure_by_hand():
    """Every plan figure on a page comes from the data file through a macro."""
    by_hand = [
        (md.relative_to(DOCS).as_posix(), figure, context)
        for md in sorted(DOCS.rglob("*.md"))
        for figure, context in plan_figures(hand_written(md.read_text()))
    ]
    assert not by_hand, "plan figures typed into pages (use {{ fact(...) }} / plan_table):\n" + (
        "\n".join(f"{p}: {f} … {c[:140]}" for p, f, c in by_hand)
    )


def test_every_figure_a_page_shows_is_in_the_data_file(reader_site):
    held = held_figures()
    shown: Counter[str] = Counter()
    unknown = []
    for page in sorted(reader_site.rglob("*.html")):
        for figure, context in plan_figures(page_text(page)):
            shown[figure] += 1
            if figure not in held:
                unknown.append(f"{page.relative_to(reader_site)}: {figure} … {context[:140]}")
    assert not unknown, "figures the data file does not hold:\n" + "\n".join(unknown)
    typed = Counter(
        f for md in DOCS.rglob("*.md") for f, _ in plan_figures(hand_written(md.read_text()))
    )
    print("\nplan figure: where it is stated (data file rows) · typed by hand · shown on pages")
    for figure in sorted(held, key=lambda f: (f.split()[1], float(f.split()[0]))):
        rows = [
            f"{p['platform']} {p['name']}"
            for p in facts.plans()
            for value in (p["memory"], f"{p['connections']} connections")
            if value[:1].isdigit() and normal(value) == figure
        ]
        rows = rows or ["a platform row"]
        where = f"data file ({', '.join(rows)})"
        print(f"  {figure}: {where} · {typed[figure]} by hand · {shown[figure]} on pages")
    assert shown, "no plan figure found on any page: the scanner is broken"


def test_every_row_has_a_source_and_a_last_checked_date():
    today = date.today()
    for row in (*facts.data()["platform"], *facts.plans()):
        assert row["source"].startswith("https://"), row
        assert date.fromisoformat(row["checked"]) <= today, row
    for row in facts.data()["url"]:
        assert (ROOT / "snippets" / row["file"]).is_file(), row
        assert facts.url_shape(row).split("://")[0] in ("redis", "rediss"), row


def test_url_shapes_have_one_source(reader_site):
    """The platforms overview shows each URL shape as the file the platform tests use."""
    text = page_text(reader_site / "platforms" / "index.html")
    for row in facts.data()["url"]:
        assert facts.url_shape(row) in text, row
