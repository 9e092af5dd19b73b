"""snippets/security/acl.ts: the Node app as the least-privilege ACL user, on every kind.

The user is the one snippets/security/acl.py defines (tests/cache/app_user.py puts it in the
server's config). The cache and presence TS tests (tests/cache/test_*_ts.py,
tests/presence/test_socket_presence_ts.py) already run as this user; here: plain cache reads
and writes, a BullMQ job end to end, the startup check, and NOPERM for FLUSHALL/KEYS/CONFIG
as the Node client reports it.
"""

from __future__ import annotations

import json

import pytest

from snippets.security.acl import APP_USERNAME
from tests.cache import app_user
from tests.config.ts_inline import run_script
from tests.nodejs import run_ts

MODULE = "security/acl.ts"


@pytest.fixture
def app(redis_factory) -> app_user.AppServer:
    return app_user.start(redis_factory)


FLOWS = """
import { Worker } from 'bullmq';
import { createRedis } from './config/client.ts';
import { makeQueue, workerConnection, PREFIX } from './queues/definitions.ts';
import { APP_USERNAME, isPrivileged } from './security/acl.ts';
const redis = createRedis('cache');
const result = { user: APP_USERNAME, privileged: await isPrivileged(redis) };
await redis.set('pharmacare:cache:v1:report:daily-sales:pharmacy=12', '{}', 'EX', 60);
result.cached = await redis.get('pharmacare:cache:v1:report:daily-sales:pharmacy=12');
const shown = async (run) => {
  try { await run(); return 'allowed'; } catch (e) { return `${e.constructor.name}: ${e.message}`; }
};
result.denied = {
  'FLUSHALL': await shown(() => redis.flushall()),
  'KEYS pharmacare:*': await shown(() => redis.keys('pharmacare:*')),
  'CONFIG SET maxmemory-policy allkeys-lru': await shown(
    () => redis.config('SET', 'maxmemory-policy', 'allkeys-lru')),
  'SET other-app:key 1': await shown(() => redis.set('other-app:key', '1')),
};
const queue = makeQueue('appointment-status');
const done = Promise.withResolvers();
const worker = new Worker('appointment-status', async (job) => {
  done.resolve(job.data.appointmentId);
  return 'updated';
}, { prefix: PREFIX, connection: workerConnection() });
await queue.add('update-status', { appointmentId: 'apt-7' });
result.processed = await done.promise;
await worker.close();
await queue.close();
redis.disconnect();
console.log(JSON.stringify(result));
"""


def test_cache_and_queue_work_as_the_app_user_and_admin_commands_are_denied(app, capture):
    run = run_script(FLOWS, {"REDIS_URL": app.url})
    assert run.returncode == 0, run.stdout + run.stderr
    out = json.loads(run.stdout.splitlines()[-1])
    assert out["user"] == APP_USERNAME
    assert out["privileged"] is False
    assert out["cached"] == "{}"
    assert out["processed"] == "apt-7"
    for command, reply in out["denied"].items():
        assert reply.startswith("SimpleError: NOPERM"), (command, reply)
    with app.server.admin() as admin:  # FLUSHALL really did nothing; the job ran on the server
        assert admin.get("pharmacare:cache:v1:report:daily-sales:pharmacy=12") == "{}"
        assert admin.keys("{pharmacare}:appointment-status:*")
        assert admin.config_get("maxmemory-policy")["maxmemory-policy"] != "allkeys-lru"
    assert app.app_password not in run.stdout + run.stderr
    text = "\n".join(f"{command}:\n  {reply}" for command, reply in out["denied"].items())
    capture("acl-noperm-ts", text, client="ioredis")


def test_demo_as_the_app_user_and_as_an_administrator(app):
    run = run_ts(MODULE, env={"REDIS_URL": app.url})
    assert run.returncode == 0, run.stderr
    assert "privileged: false" in run.stdout
    assert "Redis user can run CONFIG" not in run.stderr
    admin = run_ts(MODULE, env={"REDIS_URL": app.server.url(username="default")})
    assert admin.returncode == 0, admin.stderr
    assert "privileged: true" in admin.stdout
    assert f"connect as the least-privilege user {APP_USERNAME}" in admin.stderr
    assert app.server.password not in admin.stdout + admin.stderr


def test_demo_unreachable_is_an_error_without_the_password(redis_factory):
    closed = redis_factory.closed_port()
    run = run_ts(
        MODULE, env={"REDIS_URL": f"redis://{APP_USERNAME}:Zq8v-pw@127.0.0.1:{closed.port}/0"}
    )
    assert run.returncode == 1
    assert "MaxRetriesPerRequestError" in run.stderr
    assert "Zq8v-pw" not in run.stdout + run.stderr
