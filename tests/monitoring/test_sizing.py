"""snippets/monitoring/sizing.py: PharmaCare's own data (report cache, presence, BullMQ
reminders and medication schedules, written by the app's code) loaded into real servers.

Sizing figures for the page come from the Redis kind (jemalloc, as on managed services);
the embedded Valkey uses libc malloc, so on it we only check the mechanics."""

from __future__ import annotations

import os
import re

import pytest

from snippets.config.settings import load_settings
from snippets.monitoring import key_memory, sizing
from snippets.queues.definitions import PREFIX
from tests.demos import run_demo
from tools import captured as captures

N = 1000  # items of each kind per measurement
# used_memory deltas move by a few bytes per item between runs, and BullMQ's events streams
# by up to ~8 % under load (stream entry ids encode the milliseconds between events)
TOLERANCE = 0.15

WORKLOAD = {"report": 500, "presence": 300, "reminder": 3000, "prescription": 2000}
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def same_within(committed: str, fresh: str, tolerance: float) -> bool:
    """Same text, and every number within ``tolerance`` of the committed one."""

    def shape(text: str) -> str:  # right-aligned columns shift when a number gains a digit
        return re.sub(r"[ \t]+", " ", NUMBER.sub("#", text))

    if shape(committed) != shape(fresh):
        return False
    pairs = zip(NUMBER.findall(committed), NUMBER.findall(fresh), strict=True)
    for a, b in pairs:
        old, new = float(a.replace(",", "")), float(b.replace(",", ""))
        last_digit = 10 ** -len(a.partition(".")[2])  # "0.71" may move by 0.01, "0" by 1
        if abs(new - old) > max(tolerance * abs(old), last_digit):
            return False
    return True


def test_same_within():
    assert same_within("a 1,000 b 2.0", "a 1,040 b 2.05", 0.05)
    assert same_within("0 KB, 0.71 MB", "1 KB, 0.72 MB", 0.05)  # one unit of the last digit
    assert same_within("x      100 KB\n", "x       99 KB\n", 0.05)  # alignment may shift
    assert not same_within("x 100 KB\n", "x 100 KB\ny\n", 0.05)
    assert not same_within("0 KB", "2 KB", 0.05)
    assert not same_within("a 1,000 b", "a 1,100 b", 0.05)
    assert not same_within("a 1,000 b", "x 1,000 b", 0.05)


def table(fig: dict[str, int]) -> str:
    fit = {item: sizing.how_many_fit(fig[item], fig["baseline"]) for item in WORKLOAD}
    stream_mb = sizing.EVENTS_CAP * fig["event"] / 1e6
    needed = sizing.bytes_needed(fig, WORKLOAD)
    labels = {
        "report": "cached report (daily sales, 50 rows)",
        "presence": "online user (presence)",
        "reminder": "appointment reminder (delayed job)",
        "prescription": "medication schedule (per prescription)",
    }
    lines = [f"{'item':40} {'bytes each':>10} {'fit alone in 80 % of 25 MB':>27}"]
    lines += [f"{labels[i]:40} {fig[i]:>10,} {fit[i]:>27,}" for i in WORKLOAD]
    lines += [
        f"{'BullMQ events stream entry':40} {fig['event']:>10,}",
        "",
        f"almost empty server, BullMQ scripts loaded: {fig['baseline'] / 1e6:.2f} MB",
        f"one queue's events stream at its {sizing.EVENTS_CAP:,}-entry cap: {stream_mb:.2f} MB",
        "",
        "workload: " + ", ".join(f"{count:,} × {item}" for item, count in WORKLOAD.items()),
        f"  + all 5 events streams full: {needed / 1e6:.1f} MB = "
        f"{needed / sizing.PLAN_BYTES:.0%} of 25 MB",
    ]
    return "\n".join(lines)


@pytest.mark.kinds("redis")
def test_pharmacare_sizing_on_redis(redis_server, capture, request):
    client = redis_server.admin(decode_responses=False)
    figures = sizing.measure_sample(client, load_settings({"REDIS_URL": redis_server.url()}), N)
    assert figures["presence"] < figures["reminder"] < figures["prescription"] < figures["report"]
    assert 20 < figures["event"] < 200
    capture_close(capture, request, "sizing-pharmacare", table(figures))
    # What the prefix measurement prints for the same data (every key: sample ≥ DBSIZE).
    usages = key_memory.measure(client, sample=100_000)
    assert sum(u.estimated_keys for u in usages) == client.dbsize()
    assert len(usages) < 30  # ids are cut off: a few groups, not one per key
    shown = sorted(usages, key=lambda u: u.prefix)  # by name: near-equal sizes cannot swap
    capture_close(capture, request, "key-memory-pharmacare", key_memory.table(shown))


def capture_close(capture, request, name: str, body: str) -> None:
    """capture(), except that figures within TOLERANCE of the committed ones pass."""
    committed = captures.read(name)
    update = request.config.getoption("--update-captures")
    if committed and not update and same_within(committed.body, body + "\n", TOLERANCE):
        body = committed.body  # within the noise: the committed figures still hold
    capture(
        name,
        body,
        prefer="redis",
        normalised=f"none; a later run passes if every figure is within {TOLERANCE:.0%}",
    )


def test_mechanics_on_every_kind(redis_server):
    client = redis_server.admin(decode_responses=False)
    figures = sizing.measure_sample(client, load_settings({"REDIS_URL": redis_server.url()}), 200)
    assert set(figures) == {"baseline", "report", "presence", "reminder", "prescription", "event"}
    assert figures["report"] > 2000 and figures["event"] > 0 and figures["baseline"] > 0
    assert client.zcard(f"{PREFIX}:appointment-reminder:delayed") == 201  # real BullMQ jobs
    assert client.zcard("pharmacare:presence:v1:online") == 201
    reports = list(client.scan_iter(match="pharmacare:cache:v1:report:daily-sales:*"))
    assert len(reports) == 201 and all(client.pttl(key) > 0 for key in reports)
    sizing.cleanup(client)
    assert client.dbsize() == 0


def test_how_many_fit_and_bytes_needed():
    assert sizing.how_many_fit(1000, 0) == 20_000  # 80 % of 25,000,000 bytes
    assert sizing.how_many_fit(1000, 25_000_000) == 0  # nothing fits: never negative
    figures = {"baseline": 1_000_000, "report": 5000, "presence": 300, "event": 60}
    assert sizing.bytes_needed(figures, {"report": 10, "presence": 10}) == (
        1_000_000 + 10 * 5000 + 10 * 300 + 5 * 10_000 * 60
    )


def test_demo_runs_and_cleans_up(redis_server):
    out = run_demo(
        "snippets.monitoring.sizing",
        env={**os.environ, "REDIS_URL": redis_server.url()},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("report ")
    assert "one full events stream" in out.stdout
    assert redis_server.admin().dbsize() == 0  # every sample key deleted


def test_demo_refuses_a_database_with_data(redis_server):
    redis_server.admin().set("pharmacare:cache:v1:report:daily-sales:all", "{}")
    out = run_demo(
        "snippets.monitoring.sizing", env={**os.environ, "REDIS_URL": redis_server.url()}
    )
    assert out.returncode == 1
    assert "the database is not empty" in out.stderr
    assert redis_server.admin().dbsize() == 1  # untouched


def test_demo_refuses_production():
    env = {**os.environ, "REDIS_URL": "redis://cache.example.invalid:6379", "APP_ENV": "production"}
    out = run_demo("snippets.monitoring.sizing", env=env)
    assert out.returncode == 1
    assert "refusing to write sample data" in out.stderr
