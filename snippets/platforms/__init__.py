"""Platform recipes: the same resolver and client factory, configured per platform.

The pages under docs/platforms/ show them. Platform differences live in configuration
(the URL and its query options); only where a platform needs a specific client option is
there a small module here (Heroku's self-signed certificate, ElastiCache cluster mode).
"""
