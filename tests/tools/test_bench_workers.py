"""tools/bench/workers.py (Node vs Python worker) keeps working; the figure comes from
``make bench``, nothing here asserts a timing."""

from __future__ import annotations

from tools.bench.workers import main, measure_on, worker_rows


def test_measure_returns_both_rates(redis_server):
    result = measure_on(redis_server.url(), jobs=30, rounds=2)
    assert len(result["node_runs"]) == len(result["python_runs"]) == 2
    assert result["node_jobs_per_s"] > 0 and result["python_jobs_per_s"] > 0
    assert result["ratio"] == result["node_jobs_per_s"] / result["python_jobs_per_s"]
    with redis_server.admin() as admin:
        assert admin.dbsize() == 0  # the benchmark cleans up after itself


def test_row_carries_both_raw_figures(server_kind):
    (row,) = worker_rows(server_kind, jobs=20, rounds=1)
    assert row.kind == str(server_kind)
    assert row.figures["ours"].unit == row.figures["baseline"].unit == "jobs/s"
    assert row.ratio_value == row.figures["ours"].value / row.figures["baseline"].value


def test_command_prints_one_line_per_kind(capsys):
    assert main(["--jobs", "20", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all("Node worker" in line and "ratio" in line for line in lines)
