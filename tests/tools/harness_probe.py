"""Run by tests/test_harness.py in a child pytest: starts servers, reports their pids, and
optionally hangs so the parent can interrupt it. Not collected on its own (no test_ prefix)."""

import os
import time


def test_probe(redis_factory):
    servers = [redis_factory(), redis_factory(appendonly=True)]
    with open(os.environ["PCRG_PROBE_OUT"], "w") as fh:
        fh.write(" ".join(str(s.proc.pid) for s in servers))
    if os.environ.get("PCRG_PROBE_HANG"):
        time.sleep(60)
