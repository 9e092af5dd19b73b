"""The published site: the versioned build (``make site``: :mod:`tools.site.build`) and the
pytest plugin whose report feeds the verified badges (:mod:`tools.site.verified`)."""
