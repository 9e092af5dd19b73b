"""Tests for the template module: the pattern every mirror test follows.

- run the code on every server kind (``redis_server`` is a fresh server of each kind;
  ``redis_factory(...)`` takes options: password, acl_users, maxmemory, tls, …);
- run the ``python -m`` demo as a reader does (``run_demo``; coverage follows it);
- show output to readers only through ``capture`` (checked for drift, ``make captures``).
"""

from __future__ import annotations

import os
import re

from tests.demos import run_demo

# In your copy: from snippets.<area>.<name> import PREFIX, count_visit
from tools.template.example import PREFIX, count_visit

MODULE = "tools.template.example"  # in your copy: "snippets.<area>.<name>"


def test_counts_visits_per_page(redis_server):
    with redis_server.admin() as client:
        assert [count_visit(client, "home") for _ in range(3)] == [1, 2, 3]
        assert count_visit(client, "about") == 1
        assert client.get(f"{PREFIX}:home") == "3"


def test_demo_prints_the_total(redis_server):
    env = {**os.environ, "REDIS_URL": redis_server.url()}
    out = run_demo(MODULE, env=env, check=True)
    assert re.fullmatch(r"home has 1 visit\(s\)\n", out.stdout)
