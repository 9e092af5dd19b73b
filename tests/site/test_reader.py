"""What a reader meets: no builder jargon, no failing benchmark row, the start page's paths.

Scans the built pages' visible text (tests/site/reader.py) of this checkout's build.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.site.reader import page_text

# Words only the people building the guide understand. A variable is jargon only where the
# page never says what to set it to.
JARGON = [
    r"\bthe seed\b",
    r"\bseed guide\b",
    r"\bseed's\b",
    r"\bfact sheet\b",
    r"\bissue \d+\b",
    r"\bour sources\b",
    r"\bstored docs\b",
    r"\bthe lead\b",
]
VARIABLES = ["GUIDE_REPO_URL"]


def jargon_in(text: str) -> list[str]:
    found = [m[0] for pattern in JARGON for m in re.finditer(pattern, text, re.I)]
    for name in VARIABLES:
        if name in text and not re.search(rf"\b{name}\s*=\s*\S", text):
            found.append(f"${name} (never defined on the page)")
    return found


def test_the_jargon_scanner_finds_what_it_should():
    assert jargon_in("As in the seed, our fact sheet (issue 8) says") == [
        "the seed",
        "fact sheet",
        "issue 8",
    ]
    assert jargon_in('git clone "$GUIDE_REPO_URL" x') == [
        "$GUIDE_REPO_URL (never defined on the page)"
    ]
    assert jargon_in('GUIDE_REPO_URL="https://x" ; git clone "$GUIDE_REPO_URL"') == []


def test_no_builder_jargon_on_any_page(reader_site: Path):
    problems = [
        f"{page.relative_to(reader_site)}: {word}"
        for page in sorted(reader_site.rglob("*.html"))
        for word in jargon_in(page_text(page))
    ]
    assert not problems, "\n".join(problems)


def test_benchmarks_publish_no_failing_row_and_sit_outside_the_readers_path(reader_site):
    text = page_text(reader_site / "operations" / "benchmarks" / "index.html")
    rows = [line for line in text.splitlines() if "| verification:" in line]
    assert rows, "the verification rows are missing"
    assert not [r for r in rows if re.search(r"\b(failed|error|errors)\b", r)], rows
    nav = re.sub(r"\s+", " ", (reader_site / "index.html").read_text())
    sections = re.split(r"> ?(Operations|Troubleshooting|For maintainers) ?<", nav)
    after = dict(zip(sections[1::2], sections[2::2], strict=True))
    assert "benchmarks/" not in after["Operations"], "Benchmarks is still under Operations"
    assert "operations/benchmarks/" in after["For maintainers"]


def test_start_page_has_the_three_paths_and_reaches_the_refused_fix(reader_site):
    html = (reader_site / "index.html").read_text()
    text = page_text(reader_site / "index.html")
    for heading in ("Set up Redis for the app", "Fix something now", "Understand how the app uses"):
        assert heading in text, heading
    # "ECONNREFUSED 127.0.0.1:6379 on Render": one row on the start page links the fix.
    row = re.search(r"<tr>(?:(?!</tr>).)*ECONNREFUSED 127\.0\.0\.1:6379.*?</tr>", html, re.S)
    assert row and 'href="troubleshooting/net/#net-refused"' in row[0]
    assert 'href="quickstart/render/"' in html
