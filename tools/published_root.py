"""The files at the root of the published site, beside the version folders: robots.txt and
a sitemap index. Called by the site build after mike has published every version.

mike gives every page of a version a canonical link to that version's own folder, and each
version's sitemap.xml lists those URLs (/0.2/…). `latest` is a copy of the current release,
so its pages point search engines at the release's folder. The root sitemap index lists the
sitemap of the version that carries the default alias (versions.json), whose URLs all sit
under its own folder as the sitemap protocol requires; /dev/ (unreleased) is kept out.
A deploy preview (SITE_NOINDEX=true) disallows everything.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from xml.sax.saxutils import escape

SITE_URL = "https://pharmacare-redis-guide.netlify.app/"
UNLISTED = ("dev",)


def site_url() -> str:
    url = os.environ.get("SITE_URL") or SITE_URL
    return url if url.endswith("/") else url + "/"


def robots_txt(noindex: bool) -> str:
    if noindex:
        return "User-agent: *\nDisallow: /\n"
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: /{folder}/" for folder in UNLISTED]
    return "\n".join([*lines, "", f"Sitemap: {site_url()}sitemap.xml", ""])


def current_release(publish: Path, default: str = "latest") -> str:
    """The version folder that carries the default alias (`latest` -> `0.2`)."""
    for entry in json.loads((publish / "versions.json").read_text()):
        if default in (entry["version"], *entry["aliases"]):
            return entry["version"]
    raise ValueError(f"no version carries {default!r} in versions.json")


def sitemap_index(release: str) -> str:
    loc = escape(f"{site_url()}{release}/sitemap.xml")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"  <sitemap><loc>{loc}</loc></sitemap>\n"
        "</sitemapindex>\n"
    )


def write_root_files(publish: Path, default: str = "latest") -> None:
    noindex = os.environ.get("SITE_NOINDEX", "").lower() in ("1", "true", "yes")
    (publish / "robots.txt").write_text(robots_txt(noindex))
    (publish / "sitemap.xml").write_text(sitemap_index(current_release(publish, default)))
