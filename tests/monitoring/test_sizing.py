"""snippets/monitoring/sizing.py: PharmaCare-shaped data (cached reports, presence entries,
BullMQ jobs added by the real bullmq client) loaded into real servers and measured.

Sizing figures for the page come from the Redis kind (jemalloc, as on managed services);
the embedded Valkey uses libc malloc, so on it we only check the mechanics."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from snippets.monitoring import sizing

N = 1000  # items of each kind per measurement

MIX = {"reports": 500, "online_users": 300, "jobs": 5000}  # the workload on the page


def rounded(figures: dict[str, int]) -> dict[str, int]:
    """Run-to-run noise (hash tables growing, stream IDs) is a few %: round it away."""

    def to(value: float, step: int) -> int:
        return int(round(value / step) * step)

    return {
        "baseline": to(figures["baseline"], 100_000),  # 0.1 MB
        "report": to(figures["report"], 100),  # 0.1 kB
        "presence": to(figures["presence"], 100),
        "job": to(figures["job"], 100),
        "event": -(-figures["event"] // 10) * 10,  # up to the next 10 bytes: an upper bound
    }


@pytest.mark.kinds("redis")
def test_pharmacare_sizing_on_redis(redis_server, capture):
    client = redis_server.admin(decode_responses=False)
    figures = sizing.measure_sample(client, redis_server.url(), N)
    assert figures["report"] > len(sizing.report_json(0))  # the JSON plus key and overhead
    assert figures["presence"] < figures["job"] < figures["report"]
    assert 20 < figures["event"] < 200
    fig = rounded(figures)
    stream_mb = sizing.EVENTS_CAP * fig["event"] / 1e6
    lines = [
        f"{'item':44} {'bytes':>6} {'fit alone in 80 % of 25 MB':>27}",
        f"{'cached report (50-row daily-sales JSON, TTL)':44} {fig['report']:>6,} "
        f"{sizing.how_many_fit(fig['report'], fig['baseline']):>27,}",
        f"{'presence entry (hash with TTL + set member)':44} {fig['presence']:>6,} "
        f"{sizing.how_many_fit(fig['presence'], fig['baseline']):>27,}",
        f"{'queued job (BullMQ, delayed, with its events)':44} {fig['job']:>6,} "
        f"{sizing.how_many_fit(fig['job'], fig['baseline']):>27,}",
        f"{'BullMQ events stream entry':44} {fig['event']:>6,}",
        "",
        f"empty server (with BullMQ's scripts loaded): {fig['baseline'] / 1e6:.1f} MB",
        f"one queue's events stream at its {sizing.EVENTS_CAP:,}-entry cap: "
        f"up to {stream_mb:.1f} MB; all {sizing.QUEUES} queues: up to "
        f"{sizing.QUEUES * stream_mb:.1f} MB",
    ]
    needed = sizing.bytes_needed(fig, MIX["reports"], MIX["online_users"], MIX["jobs"])
    lines.append(
        f"{MIX['reports']} cached reports + {MIX['online_users']} online users + "
        f"{MIX['jobs']:,} queued jobs + full event streams: {needed / 1e6:.1f} MB "
        f"= {needed / sizing.PLAN_BYTES:.0%} of 25 MB"
    )
    capture(
        "sizing-pharmacare",
        "\n".join(lines),
        prefer="redis",
        normalised=(
            "figures rounded (items to 100 bytes, stream entries up to the next 10 bytes, "
            "baseline to 0.1 MB): used_memory deltas vary by a few % between runs"
        ),
    )


def test_mechanics_on_every_kind(redis_server):
    client = redis_server.admin(decode_responses=False)
    figures = sizing.measure_sample(client, redis_server.url(), 100)
    assert set(figures) == {"baseline", "report", "presence", "job", "event"}
    assert all(value > 0 for value in figures.values())
    assert client.xlen("bull:medication-reminder:events") >= 101  # the real bullmq wrote it
    assert client.zcard("bull:medication-reminder:delayed") == 101
    assert client.scard("presence:online") == 100
    assert client.ttl("presence:user:7") <= sizing.PRESENCE_TTL
    assert 0 < client.ttl("report:daily-sales:pharmacy-7:2026-11-25") <= sizing.REPORT_TTL


def test_how_many_fit_and_bytes_needed():
    assert sizing.how_many_fit(1000, 0) == 20_000  # 80 % of 25,000,000 bytes
    assert sizing.how_many_fit(1000, 25_000_000) == 0  # nothing fits: never negative
    figures = {"baseline": 1_000_000, "report": 5000, "presence": 300, "job": 900, "event": 60}
    assert sizing.bytes_needed(figures, 10, 10, 10) == (
        1_000_000 + 10 * 5000 + 10 * 300 + 10 * 900 + 5 * 10_000 * 60
    )


def test_demo_runs_and_cleans_up(redis_server):
    env = {**os.environ, "REDIS_URL": redis_server.url()}
    out = subprocess.run(
        [sys.executable, "-m", "snippets.monitoring.sizing"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("report ")
    assert "one full events stream" in out.stdout
    assert redis_server.admin().dbsize() == 0  # every sample key deleted


def test_demo_refuses_production():
    env = {**os.environ, "REDIS_URL": "redis://cache.example.invalid:6379", "APP_ENV": "production"}
    out = subprocess.run(
        [sys.executable, "-m", "snippets.monitoring.sizing"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "refusing to write sample data" in out.stderr
