"""snippets/doctor/rotate.py: the leaked-password procedure, on real servers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import redis

from snippets.doctor import rotate
from tests.demos import run_demo
from tools import harness


def test_rotation_procedure(redis_factory, monkeypatch, capture):
    old, new = harness.random_password(), harness.random_password()
    server = redis_factory(acl_users=(f"app on >{old} ~pharmacare:* +@all",))
    old_url = server.url(username="app", password=old)
    new_url = server.url(username="app", password=new)
    # An attacker's (or a stale worker's) connection opened with the leaked password.
    leaked = redis.Redis.from_url(old_url, retry=harness.NO_RETRY)
    leaked.set("pharmacare:x", "1")
    assert not rotate.old_password_refused(old_url)

    with server.admin() as admin:
        rotate.rotate_password(admin, "app", new)  # 1. rotate
        assert rotate.old_password_refused(old_url)  # new connections: refused at once
        assert leaked.get("pharmacare:x") == b"1"  # ...but the open one still works
        monkeypatch.setenv("REDIS_URL", new_url)  # 2. update REDIS_URL, 3. redeploy
        assert rotate.new_password_works()
        closed = rotate.end_sessions(admin, "app")  # 4. end the old sessions
    assert closed >= 1
    with pytest.raises(redis.ConnectionError):
        leaked.get("pharmacare:x")  # cut off; reconnecting needs the old password: refused
    with pytest.raises(redis.AuthenticationError):
        leaked.get("pharmacare:x")
    assert "~pharmacare:*" in " ".join(map(str, server.admin().acl_getuser("app")["keys"]))

    out = subprocess.run(  # 5. verify, as on the page
        [sys.executable, "-m", "snippets.doctor.rotate"],
        env={**os.environ, "OLD_REDIS_URL": old_url, "REDIS_URL": new_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert old not in out.stdout + out.stderr and new not in out.stdout + out.stderr
    capture("rotate-verify", out.stdout)
    leaked.close()


def test_verify_fails_while_the_old_password_still_works(redis_factory):
    old = harness.random_password()
    server = redis_factory(password=old)
    env = {**os.environ, "OLD_REDIS_URL": server.url(), "REDIS_URL": server.url()}
    out = run_demo("snippets.doctor.rotate", env=env)
    assert out.returncode == 1
    assert "old password refused: False; new password works: True" in out.stdout


def test_default_user_rotation(redis_factory):
    old, new = harness.random_password(), harness.random_password()
    server = redis_factory(password=old)
    with server.admin() as admin:
        rotate.rotate_password(admin, "default", new)
    assert rotate.old_password_refused(server.url())
    assert redis.Redis(port=server.port, password=new, retry=harness.NO_RETRY).ping()
