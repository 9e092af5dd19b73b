"""MkDocs hook (mkdocs.yml `hooks:`), run after the plugins' on_config.

mike sets ``site_url`` to ``urljoin(site_url, version)``, which drops the trailing slash
("…/0.2"); the 404 page then resolves its search index and links against the site root.
Put the slash back so every version's 404.html works from any depth.

A shown block's title links to the whole file (on_page_content).
"""

import re


def on_config(config):
    if config.site_url and not config.site_url.endswith("/"):
        config.site_url += "/"
    return config


# A shown block's title is its file's path (macros.snippet()); link it to the whole file,
# published as text beside the pages (_sources/<path>.txt, macros.copy_sources).
_TITLE = re.compile(r'<span class="filename">(snippets/[^<"]+)</span>')


def on_page_content(html, page, config, files):
    up = "../" * page.url.count("/")  # the page's depth: links work in every version folder
    return _TITLE.sub(
        lambda m: (
            f'<span class="filename"><a href="{up}_sources/{m[1]}.txt" '
            f'title="The whole file">{m[1]}</a></span>'
        ),
        html,
    )
