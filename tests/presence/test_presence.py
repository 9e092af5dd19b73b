"""snippets/presence/presence.py: heartbeats, ghosts, two instances, 10,000 users, restarts.

Every test runs on both kinds, as the app's least-privilege ACL user.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time

import pytest

from snippets.config.client import make_client
from snippets.presence import presence as pr
from snippets.security.acl import APP_USERNAME
from tests.cache.app_user import command_calls
from tests.demos import run_demo
from tools.harness import wait_for


class Events:
    """Collects what an instance hears on the presence channel."""

    def __init__(self) -> None:
        self.items: list[dict] = []
        self.lock = threading.Lock()

    def __call__(self, event: dict) -> None:
        with self.lock:
            self.items.append(event)

    def seen(self, event: str, user: str) -> bool:
        with self.lock:
            return any(e["event"] == event and e["user"] == user for e in self.items)

    def count(self, event: str) -> int:
        with self.lock:
            return sum(e["event"] == event for e in self.items)


def presence(**options) -> pr.Presence:
    return pr.Presence(make_client("presence"), **options)


def subscribers(app) -> int:
    return dict(app.server.admin().pubsub_numsub(pr.EVENTS))[pr.EVENTS]


def test_connect_status_last_seen_and_disconnect(app):
    p = presence()
    assert p.last_seen("pharmacist-7") is None and p.status("pharmacist-7") is None
    before = time.time()
    p.connect("pharmacist-7", status="At the counter")
    p.connect("patient-42")
    assert sorted(p.online()) == ["patient-42", "pharmacist-7"]
    assert p.status("pharmacist-7") == "At the counter"
    p.set_status("pharmacist-7", "In a consultation")
    p.set_status("someone-elsewhere", "Away")  # a user on another instance: shared only
    assert p.local == {"pharmacist-7": "In a consultation", "patient-42": None}
    assert p.status("pharmacist-7") == "In a consultation"
    p.disconnect("pharmacist-7")
    assert p.online() == ["patient-42"]
    assert before - 1 <= p.last_seen("pharmacist-7") <= time.time() + 1
    assert p.status("pharmacist-7") == "In a consultation"  # a custom status outlives a session
    admin = app.server.admin()
    assert admin.zscore(pr.LAST_SEEN, "pharmacist-7") is not None
    assert any(c.get("user") == APP_USERNAME for c in admin.client_list())


def test_two_instances_see_each_others_changes(app):
    a_heard, b_heard = Events(), Events()
    a = presence(heartbeat_every=0.1, instance="app-1")
    b = presence(heartbeat_every=0.1, instance="app-2")
    a.start(a_heard)
    b.start(b_heard)
    try:
        wait_for(lambda: subscribers(app) == 2, what="both instances subscribed")
        a.connect("pharmacist-7")
        b.connect("patient-42", status="Waiting for a refill")
        wait_for(lambda: b_heard.seen("online", "pharmacist-7"), what="app-2 hearing app-1")
        wait_for(lambda: a_heard.seen("online", "patient-42"), what="app-1 hearing app-2")
        b.set_status("patient-42", "Refill collected")
        wait_for(lambda: a_heard.seen("status", "patient-42"), what="status reaching app-1")
        assert sorted(a.online()) == sorted(b.online()) == ["patient-42", "pharmacist-7"]
        assert a.status("patient-42") == "Refill collected"
        a.disconnect("pharmacist-7")
        wait_for(lambda: b_heard.seen("offline", "pharmacist-7"), what="offline reaching app-2")
        assert b.online() == ["patient-42"]
        status = next(e for e in a_heard.items if e["event"] == "status")
        assert status == {
            "event": "status",
            "user": "patient-42",
            "instance": "app-2",
            "status": "Refill collected",
        }
    finally:
        a.stop()
        b.stop()


def test_ghosts_of_a_crashed_instance_are_removed_once(app):
    listener_heard = Events()
    listener = presence(heartbeat_every=60, offline_after=3600)  # its own cleanup: no ghosts
    listener.start(listener_heard)
    try:
        wait_for(lambda: subscribers(app) == 1, what="listener subscribed")
        crashed = presence(offline_after=1.0)
        ghosts = [f"user-{n}" for n in range(200)]
        for user in ghosts:
            crashed.connect(user)  # … and then the instance dies: no more heartbeats
        survivors = [presence(offline_after=1.0) for _ in range(4)]
        survivors[0].connect("still-here")
        time.sleep(1.05)
        survivors[0].beat()
        assert survivors[0].online() == ["still-here"]  # ghosts are invisible at once
        results: list[list[str]] = []
        threads = [
            threading.Thread(target=lambda s=s: results.append(s.cleanup())) for s in survivors
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        removed = [user for result in results for user in result]
        assert sorted(removed) == sorted(ghosts)  # every ghost removed exactly once
        assert survivors[0].cleanup() == []
        wait_for(lambda: listener_heard.count("offline") == 200, what="200 offline events")
        time.sleep(0.1)
        assert listener_heard.count("offline") == 200  # one event per ghost, not one per instance
        assert all(pr.Presence.last_seen(survivors[0], g) is not None for g in ghosts[:5])
    finally:
        listener.stop()


def test_10000_users_heartbeat_through_pipelines(app):
    instances = [presence(offline_after=60) for _ in range(4)]
    for n in range(10_000):
        instances[n % 4].connect(f"user-{n}", status="Available" if n % 10 == 0 else None)
    before = command_calls(app.server)
    assert sum(p.beat() for p in instances) == 10_000
    after = command_calls(app.server)
    admin = app.server.admin()
    assert admin.zcard(pr.ONLINE) == admin.zcard(pr.LAST_SEEN) == 10_000
    assert admin.hlen(pr.STATUS) == 1_000
    # 2,500 users per instance in batches of 500: 5 pipelines × 2 ZADDs, 4 instances
    assert after["zadd"] - before["zadd"] == 4 * 5 * 2
    assert len(instances[0].online()) == 10_000
    sweeper = presence(offline_after=0.001)
    time.sleep(0.01)
    assert len(sweeper.cleanup()) == 10_000
    assert admin.zcard(pr.ONLINE) == 0 and admin.zcard(pr.LAST_SEEN) == 10_000


def test_presence_rebuilds_from_heartbeats_after_a_restart(app, caplog):
    caplog.set_level(logging.INFO, logger="pharmacare.presence")
    a_heard, b_heard = Events(), Events()
    a = presence(heartbeat_every=0.1, offline_after=5, instance="app-1")
    b = presence(heartbeat_every=0.1, offline_after=5, instance="app-2")
    users_a = [f"a-{n}" for n in range(50)]
    users_b = [f"b-{n}" for n in range(50)]
    for user in users_a:
        a.connect(user)
    for user in users_b:
        b.connect(user, status="On shift")
    a.start(a_heard)
    b.start(b_heard)
    try:
        wait_for(lambda: subscribers(app) == 2, what="both instances subscribed")
        app.server.kill9()  # no persistence: every presence key is gone
        wait_for(
            lambda: caplog.text.count("Redis unavailable") == 2,
            what="both instances noticing the outage (after their client's retries)",
        )
        time.sleep(0.3)  # a few more missed beats: still one line per instance
        app.server.restart()
        admin = app.server.admin()
        wait_for(
            lambda: admin.zcard(pr.ONLINE) == 100 and admin.hlen(pr.STATUS) == 50,
            what="presence rebuilt from heartbeats",
        )
        assert sorted(a.online()) == sorted(users_a + users_b)
        assert b.status("b-7") == "On shift"
        wait_for(lambda: subscribers(app) == 2, what="both instances subscribed again")
        a.connect("after-restart")
        wait_for(lambda: b_heard.seen("online", "after-restart"), what="events after restart")
    finally:
        a.stop()
        b.stop()
    down = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    up = [r for r in caplog.records if "Redis available again" in r.getMessage()]
    assert len(down) == 2 and len(up) == 2  # once per instance, not once per beat


def test_demo_shows_two_instances(app, capture):
    out = run_demo("snippets.presence.presence", env={**os.environ, "REDIS_URL": app.url})
    assert out.returncode == 0, out.stderr
    assert "online: ['patient-42', 'pharmacist-7']" in out.stdout
    assert "app-2 heard: offline pharmacist-7" in out.stdout
    capture(
        "presence-demo",
        re.sub(r"\d\d:\d\d:\d\d UTC", "17:42:05 UTC", out.stdout),
        normalised="the last-seen time (shown as 17:42:05 UTC)",
    )


def test_heartbeat_thread_outlives_errors_other_than_outages(app, caplog):
    """OOM from a full noeviction instance: logged once, retried, recovered (issue 14)."""
    caplog.set_level(logging.INFO, logger="pharmacare.presence")
    p = presence(heartbeat_every=0.05, offline_after=5)
    p.connect("pharmacist-1", status="At the counter")
    admin = app.server.admin()
    admin.config_set("maxmemory-policy", "noeviction")
    admin.config_set("maxmemory", 1)  # every write refused: OutOfMemoryError
    p.start(Events())
    try:
        wait_for(lambda: "heartbeat failed (OutOfMemoryError)" in caplog.text, what="OOM seen")
        wait_for(lambda: p._down, what="still failing")
        assert all(t.is_alive() for t in p._threads)
        admin.config_set("maxmemory", 0)
        wait_for(lambda: "Redis available again" in caplog.text, what="recovered")
    finally:
        p.stop()
    assert caplog.text.count("heartbeat failed") == 1  # once, not once per beat


def test_text_that_cannot_be_stored_is_refused_up_front(app):
    p = presence()
    for call in (
        lambda: p.connect("patient-\ud800"),
        lambda: p.connect("patient-1", status="half an emoji \ud83d"),
        lambda: p.set_status("patient-1", "\udc00"),
    ):
        with pytest.raises(ValueError, match="lone surrogate"):
            call()
    assert p.local == {}  # nothing kept that every later heartbeat would choke on
    p.connect("patient-1", status="ok")
    assert p.beat() == 1
