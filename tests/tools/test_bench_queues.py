"""tools/bench/queues.py keeps working (the figures come from the command, not here)."""

from __future__ import annotations

import subprocess
import sys

from tools.bench.queues import measure_queue_throughput


def test_measure_returns_both_rates(redis_server):
    result = measure_queue_throughput(redis_server.url(), jobs=50)
    assert result["jobs"] == 50
    assert result["bullmq_jobs_per_s"] > 0 and result["list_jobs_per_s"] > 0
    assert result["ratio"] == result["bullmq_jobs_per_s"] / result["list_jobs_per_s"]
    with redis_server.admin() as admin:
        assert admin.dbsize() == 0  # the benchmark cleans up after itself


def test_command_prints_one_line_per_kind():
    # as a command, in its own process: asyncio.run() refuses to start inside a worker thread
    # whose event loop an earlier test left running
    out = subprocess.run(
        [sys.executable, "-m", "tools.bench.queues", "--jobs", "20"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = out.stdout.splitlines()
    assert lines and all("jobs/s" in line and "ratio" in line for line in lines)
