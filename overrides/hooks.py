"""MkDocs hook (mkdocs.yml `hooks:`), run after the plugins' on_config.

mike sets ``site_url`` to ``urljoin(site_url, version)``, which drops the trailing slash
("…/0.2"); the 404 page then resolves its search index and links against the site root.
Put the slash back so every version's 404.html works from any depth.
"""


def on_config(config):
    if config.site_url and not config.site_url.endswith("/"):
        config.site_url += "/"
    return config
