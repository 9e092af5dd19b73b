"""Caching: report cache, query/response cache, running without Redis."""
