"""``make bench``'s JSON (docs/_captured/bench.json) from small real runs: its schema, one
entry per comparison, raw figures behind every ratio; a failing verification is never
published; rows of steps not rerun are carried over with their own date. No timing is
asserted: the figures themselves come from ``make bench``."""

from __future__ import annotations

import json
import sys

from tools import captured, harness
from tools.bench import __main__ as bench
from tools.bench import app, cache, report, verify

KINDS = harness.discover_kinds()


def check_entry(entry: dict) -> None:
    """The schema every published comparison follows."""
    assert entry["name"] and entry["step"] in bench.STEPS
    assert isinstance(entry["ratio"], float) and entry["ratio"] > 0
    assert entry["ratio_text"] and entry["text"]["ours"] and entry["text"]["baseline"]
    for side in ("ours", "baseline"):
        figure = entry[side]
        assert set(figure) == {"label", "value", "unit"}
        assert isinstance(figure["value"], float) and figure["value"] > 0, figure
        assert figure["unit"]
    assert set(entry["server"]) == {"kind", "version"}
    machine = entry["machine"]
    assert machine["cpus"] >= 1 and machine["cpu_model"]
    assert machine["load_at_start"] is not None and machine["load_at_end"] is not None
    assert entry["clients"]["redis-py"] and entry["clients"]["python"]
    assert entry["date"].endswith(" UTC")


def test_start_step_writes_one_entry_per_comparison(tmp_path, capsys):
    assert bench.main(["--only", "start", "--starts", "1", "--capture-dir", str(tmp_path)]) == 0
    document = json.loads((tmp_path / "bench.json").read_text())
    assert document["schema"] == report.SCHEMA and document["failed"] == []
    rows = document["rows"]
    assert len(rows) == len(KINDS)  # one comparison per server kind
    for entry, kind in zip(rows, KINDS.values(), strict=True):
        check_entry(entry)
        assert entry["step"] == "start"
        assert entry["server"] == {"kind": kind.name, "version": str(kind).split(" ", 1)[1]}
        assert entry["ours"]["unit"] == entry["baseline"]["unit"] == "ms"
        # the ratio is the one of the two raw figures, as the table prints it
        ours, theirs = entry["ours"]["value"], entry["baseline"]["value"]
        assert abs(entry["ratio"] - theirs / ours) < 1e-9  # harness = "ours"
    # the text capture shows the same rows, under the same header
    text = captured.parse((tmp_path / "bench.txt").read_text()).body
    assert text.count("| server start-to-PING") == len(KINDS)
    assert f"{rows[0]['machine']['cpus']} CPUs" in text


def test_cache_hit_rows_carry_three_columns(redis_factory):
    from snippets.security.acl import APP_USERNAME, acl_rules

    password = harness.random_password()
    server = redis_factory(acl_users=(" ".join([APP_USERNAME, *acl_rules(password)]),))
    url = server.url(username=APP_USERNAME, password=password)
    run = report.run_info()
    run["machine"]["load_at_end"] = report.load_value()
    for measure in (cache.cache_hit_ops, cache.query_hit_ops):
        hits, gets, bare = [], [], []
        for _ in range(2):
            hit = measure(url, 1024, n=200)
            hits.append(hit["ops_per_s"])
            gets.append(cache.redis_benchmark_ops(url, "GET", hit["key"], n=200))
            bare.append(cache.bare_get_ops(url, hit["key"], n=200))
        row = app.hit_row("hit", str(server.kind), "x", hits, gets, bare, hit["payload_bytes"], 2)
        row.step = "cache"
        entry = report.row_json(row, run)
        assert entry["bare"]["unit"] == "ops/s" and entry["bare"]["value"] > 0
        assert entry["extra"]["runs"]["ours"] == hits and entry["extra"]["payload_bytes"] > 1000
        if None in gets:  # no redis-benchmark on this machine: no baseline, no ratio
            assert entry["ratio"] is None and entry["baseline"]["value"] is None
            continue
        check_entry(entry)
        assert entry["ratio"] == entry["ours"]["value"] / entry["baseline"]["value"]


def failing_suite(args, kinds):
    """A real run of a command that fails the way pytest does (exit 1, its summary line)."""
    code = "print('= 3 passed, 1 failed in 0.20s ='); raise SystemExit(1)"
    return verify.verification_rows(60, [sys.executable, "-c", code])


def test_failing_verification_is_loud_and_never_published(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(bench.STEPS, "verify", failing_suite)
    assert bench.main(["--only", "verify", "--capture-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "FAILED, NOT PUBLISHED: verification" in err and "3 passed, 1 failed" in err
    document = json.loads((tmp_path / "bench.json").read_text())
    assert document["rows"] == []
    (failed,) = document["failed"]
    assert failed["extra"]["outcome"] == "3 passed, 1 failed"
    assert "verification" not in (tmp_path / "bench.txt").read_text()


def test_a_passing_verification_is_published():
    code = "print('= 3 passed, 2 skipped in 0.20s =')"
    (row,) = verify.verification_rows(60, [sys.executable, "-c", code])
    assert row.passed and row.figures["ours"].unit == "s"
    assert report.outcome_passed("3 passed, 2 skipped")
    assert not report.outcome_passed("11 passed, 1 error")
    assert not report.outcome_passed("exit 2")


def test_steps_not_rerun_are_carried_over_with_their_date(tmp_path):
    old = (
        "server: valkey 8.1.8\nclient: redis-py 8.1.0\n---\n"
        "date: 2026-11-25 18:46 UTC\nmachine: Linux x86_64, 2 CPUs (AMD EPYC)\n\n"
        "| comparison | server | ours | baseline | ratio |\n|---|---|---|---|---|\n"
        "| verification: tests/doctor | both | 103.4 s | 220 passed | 20% of total |\n"
        "| verification: tests/presence | both | 26.2 s | 11 passed, 1 error | 5% of total |\n"
    )
    (tmp_path / "bench.txt").write_text(old)
    kept, dropped = bench.previous_rows(["verify"], tmp_path)
    assert [r["name"] for r in kept] == ["verification: tests/doctor"]
    assert kept[0]["ours"] == {"label": "", "value": 103.4, "unit": "s"}
    assert kept[0]["date"] == "2026-11-25 18:46 UTC"
    assert dropped == ["verification: tests/presence (11 passed, 1 error)"]
    # a run of another step keeps the carried row, marked with its run's date
    assert bench.main(["--only", "start", "--starts", "1", "--capture-dir", str(tmp_path)]) == 0
    document = json.loads((tmp_path / "bench.json").read_text())
    assert [r["step"] for r in document["rows"]].count("verify") == 1
    text = (tmp_path / "bench.txt").read_text()
    assert "verification: tests/doctor [run of 2026-11-25 18:46 UTC]" in text
    assert "tests/presence" not in text
    # and from bench.json on, the next partial run carries it again
    assert bench.main(["--only", "start", "--starts", "1", "--capture-dir", str(tmp_path)]) == 0
    again = json.loads((tmp_path / "bench.json").read_text())
    assert [r["name"] for r in again["rows"] if r["step"] == "verify"] == [
        "verification: tests/doctor"
    ]
