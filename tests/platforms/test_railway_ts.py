"""snippets/platforms/railway.ts: ioredis' address family, over the IPv6 imitation."""

from __future__ import annotations

from tests.config.ts_inline import run_script
from tests.nodejs import run_ts
from tests.platforms.imitate import localize, read_env
from tools import harness


def test_ioredis_default_family_is_zero():
    """The pinned ioredis resolves both families by default (earlier versions used 4)."""
    script = """
import { Redis } from 'ioredis';
import { RAILWAY_OPTIONS } from './platforms/railway.ts';
const redis = new Redis({ lazyConnect: true });
console.log(redis.options.family, RAILWAY_OPTIONS.family);
redis.disconnect();
"""
    run = run_script(script)
    assert run.stdout.split() == ["0", "0"], run.stderr


def test_railway_over_ipv6(redis_factory):
    password = harness.random_password()
    server = redis_factory(password=password)
    exposed = read_env("railway-redis-service.env")
    url = localize(exposed["REDIS_URL"], server.port, password=password, host="::1")
    run = run_ts("platforms/railway.ts", env={"REDIS_URL": url})
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "connected over IPv6 (family 0)"
    assert password not in run.stdout + run.stderr


def test_railway_over_ipv4_too(redis_factory):
    server = redis_factory()
    run = run_ts("platforms/railway.ts", env={"REDIS_URL": server.url()})
    assert run.stdout.splitlines()[-1] == "connected over IPv4 (family 0)", run.stderr
