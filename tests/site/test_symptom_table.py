"""The troubleshooting symptom table is rendered by a macro from its one source
(``snippets.checks.SYMPTOMS``): the built page holds exactly those rows, in order."""

from __future__ import annotations

import html
import re
from pathlib import Path

from snippets.checks import SYMPTOMS


def cells(row: str) -> list[str]:
    return re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)


def text(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()


def test_rendered_table_equals_the_source(reader_site: Path):
    page = (reader_site / "troubleshooting" / "index.html").read_text()
    section = page.split('id="symptom-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)
    assert [text(c) for c in cells(rows[0])] == ["What you see", "Likely cause", "Check", "Fix"]
    rendered = [cells(row) for row in rows[1:]]
    assert len(rendered) == len(SYMPTOMS)
    for (seen, cause, check, fix), symptom in zip(rendered, SYMPTOMS, strict=True):
        assert text(seen) == symptom.seen.replace("`", ""), symptom
        assert text(cause) == symptom.cause.replace("`", ""), symptom
        assert text(check) == (symptom.check or "—"), symptom
        page_name, _, anchor = symptom.section.partition("#")
        href = page_name.removesuffix(".md") + "/" + (f"#{anchor}" if anchor else "")
        assert re.search(rf'href="{re.escape(href)}"', fix), (fix, symptom)
