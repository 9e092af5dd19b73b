"""What a reader sees: the text of built pages, and the scanners the reader tests share."""

from __future__ import annotations

import html
import re
from pathlib import Path

from macros import facts

# A plan figure: memory or a connection count.
FIGURE = re.compile(r"(\d[\d,.]*)\s?(MB|GB)\b|(\d[\d,]*)\s+connections\b")
WINDOW = 150  # characters either side of a figure in which a platform or plan name counts


def names_pattern() -> re.Pattern:
    """Platform and plan names from the data file (and the words a sentence uses for them)."""
    names = {p["name"].split()[0] for p in facts.data()["platform"] if p["id"] != "selfhosted"}
    names |= {p["name"].split(" (")[0] for p in facts.plans() if p["name"][:1].isalpha()}
    names |= {"ElastiCache", "free plan", "free tier", "free instance"}
    names.discard("per")
    words = "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))
    return re.compile(rf"\b(?:{words})\b")


def normal(figure: str) -> str:
    """'1,000 connections' -> '1000 connections'; '25MB' -> '25 MB'."""
    m = FIGURE.fullmatch(figure)
    if m and m[2]:
        return f"{m[1].replace(',', '')} {m[2]}"
    return f"{m[3].replace(',', '')} connections" if m else figure


def held_figures() -> set[str]:
    """Every figure the data file states, normalised."""
    held = set()
    for row in (*facts.data()["platform"], *facts.plans()):
        for key, value in row.items():
            if not isinstance(value, str):
                continue
            if key == "connections" and value[:1].isdigit():
                held.add(normal(f"{value} connections"))
            held |= {normal(m[0]) for m in FIGURE.finditer(value)}
    return held


def plan_figures(text: str) -> list[tuple[str, str]]:
    """(figure, context) for each figure within WINDOW characters of a platform or plan name,
    paragraph by paragraph."""
    names = names_pattern()
    found = []
    for para in re.split(r"\n\s*\n", text):
        for m in FIGURE.finditer(para):
            window = para[max(0, m.start() - WINDOW) : m.end() + WINDOW]
            if names.search(window):
                found.append((normal(m[0]), " ".join(window.split())))
    return found


def page_text(path: Path) -> str:
    """The visible text of a built page's article, one table cell or paragraph per line."""
    raw = path.read_text()
    article = re.search(r"<article.*?</article>", raw, re.S)
    body = article[0] if article else raw
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"</(p|li|tr|h\d|pre|div|table)>", "\n\n", body)
    body = re.sub(r"</t[dh]>", " | ", body)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def hand_written(md: str) -> str:
    """A page's source with every macro call removed: what a writer typed by hand."""
    return re.sub(r"\{\{.*?\}\}", " ", md, flags=re.S)
