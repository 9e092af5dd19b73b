"""snippets/config/settings.ts: the TypeScript resolver gives what the Python one gives.

Both resolvers run every environment in settings_vectors.json (the same file, the same
expectations): same fields, same error ids, and the vector's password in no message, repr,
inspect() or JSON of either side.
"""

from __future__ import annotations

import json
import random
import subprocess
from functools import cache
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snippets.config.settings import RedisConfigError, load_settings, reaches_this_machine
from tests.config.leaks import PLACEMENTS, assert_no_leak, environment, passwords
from tests.nodejs import SNIPPETS, node_binary, node_env, run_ts

HERE = Path(__file__).parent
VECTORS = json.loads((HERE / "settings_vectors.json").read_text(encoding="utf-8"))
FIELDS = (
    "source",
    "scheme",
    "tls",
    "host",
    "port",
    "db",
    "username",
    "password_set",
    "production",
    "findings",
    "target",
)


def spellings(count: int, seed: int) -> list[str]:
    """Host spellings near "this machine": IPv4 in 1-4 decimal, hex or octal parts, IPv6 with
    '::', mapped IPv4 and zones, localhost with dots, stray spaces and junk. Deterministic."""
    rng = random.Random(seed)

    def number() -> str:
        value = rng.choice([0, 1, 127, 255, 256, 65535, 2130706433, 4294967295, 4294967296])
        value = rng.choice([value, rng.randrange(0, 300)])
        return rng.choice([str(value), hex(value), "0" + oct(value)[2:], f"0{value}", "0x", "08"])

    def ipv4() -> str:
        return ".".join(number() for _ in range(rng.randint(1, 5)))

    def ipv6() -> str:
        hextets = [
            rng.choice(["0", "0000", "1", "ffff", "FFFF", "7f00", "fd12", "", "12345", "g"])
            for _ in range(rng.randint(1, 9))
        ]
        if rng.random() < 0.5:
            hextets[rng.randrange(len(hextets))] = ""  # a '::'
        if rng.random() < 0.3:
            hextets[-1] = rng.choice(["127.0.0.1", "0.0.0.0", "10.0.0.1", "127.1", "0127.0.0.1"])
        return ":".join(hextets)

    def host() -> str:
        names = ["localhost", "LocalHost", "a.localhost", "localhostx", "127.example.com", "::"]
        text = rng.choice([ipv4, ipv6, ipv6, lambda: rng.choice(names)])()
        for _ in range(rng.randint(0, 2)):
            extra = rng.choice([".", "..", "%eth0", "%", " ", " x", "\t1", "\x00", ":", "x", "é"])
            text = text + extra if rng.random() < 0.7 else extra + text
        return text

    return [host() for _ in range(count)]


LISTED = [
    "localhost",
    "localhost.",
    "localhost..",
    "LOCALHOST",
    "app.localhost",
    "localhostx",
    "127.0.0.1",
    "127.255.255.254",
    "127.1",
    "127.0.1",
    "2130706433",
    "0x7f000001",
    "0X7F000001",
    "0177.0.0.1",
    "0177.1",
    "0x7f.1",
    "0",
    "00",
    "0x0",
    "0.0.0.0",
    "0.0.0.0%x",
    "127.0.0.1 x",
    "::1",
    "::",
    "0:0:0:0:0:0:0:1",
    "::1%eth0",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:0.0.0.0",
    "::ffff:127.1",
    "::ffff:0127.0.0.1",
    "::127.0.0.1",
    "1::",
    ":::",
    "08.0.0.1",
    "0x",
    "4294967295",
    "4294967296",
    "128.0.0.1",
    "10.0.0.1",
    "fd12::1",
    "red-xxxxx",
    "1.2.3.4",
    "",
    ".",
    "% ",
    "\x00",
    "0\x00",
    "127.",
    "1.2.3.4.5",
    "0xffffffff",
    "256.0.0.1",
    "0.0.0.256",
    "1.16777216",
    "1.0.65536",
    "1.0.0.256",
    "::ffff:1.2.3.4",
]
HOSTS = [*LISTED, *spellings(3000, seed=12)]


def run_driver(vectors: list[dict], switches: list[dict] = (), hosts: list[str] = ()) -> dict:
    """Environments through settings.ts in one node process (tests/config/settings_driver.mjs)."""
    run = subprocess.run(
        [node_binary(), str(HERE / "settings_driver.mjs")],
        input=json.dumps({"vectors": vectors, "switches": list(switches), "hosts": list(hosts)}),
        cwd=SNIPPETS,
        env=node_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@cache
def typescript_results() -> dict:
    """Every vector, switch vector and host spelling, through settings.ts at once."""
    return run_driver(
        [v["env"] for v in VECTORS["vectors"]], [v["env"] for v in VECTORS["switches"]], HOSTS
    )


def python_result(env: dict[str, str]) -> dict:
    try:
        s = load_settings(env)
    except RedisConfigError as error:
        return {"error": error.check_id, "message": str(error), "printed": repr(error)}
    result = {name: getattr(s, name) for name in FIELDS}
    result["findings"] = sorted(s.findings)
    return {**result, "printed": repr(s)}


def result(language: str, index: int) -> dict:
    if language == "python":
        return python_result(VECTORS["vectors"][index]["env"])
    return typescript_results()["vectors"][index]


@pytest.mark.parametrize("language", ["python", "typescript"])
@pytest.mark.parametrize(
    "index", range(len(VECTORS["vectors"])), ids=[v["name"] for v in VECTORS["vectors"]]
)
def test_vector(language, index):
    vector = VECTORS["vectors"][index]
    got = result(language, index)
    if "error" in vector:
        assert got.get("error") == vector["error"], got
        assert got["message"].startswith(f"{vector['error']}: ")
    else:
        assert "error" not in got, got
        for name, expected in vector["expect"].items():
            assert got[name] == expected, (name, got)
    secret = vector.get("secret")
    if secret:  # the password in no message, repr, inspect() or JSON
        shown = json.dumps({k: v for k, v in got.items() if k != "options"})
        assert secret not in shown and secret not in json.loads(json.dumps(shown))


def test_both_languages_agree_on_every_field():
    """Beyond the listed expectations: every field the two resolvers share is equal."""
    for index, vector in enumerate(VECTORS["vectors"]):
        py, ts = result("python", index), result("typescript", index)
        if "error" in py:
            assert ts.get("error") == py["error"], vector["name"]
        else:
            assert {k: ts[k] for k in FIELDS} == {k: py[k] for k in FIELDS}, vector["name"]


def test_production_guard_reads_every_host_as_python_does():
    """reachesThisMachine (TS) and reaches_this_machine (Python) on the listed spellings and
    3,000 generated ones: the same answer for each (and the listed ones cover both answers)."""
    typescript = typescript_results()["hosts"]
    assert len(typescript) == len(HOSTS)
    pairs = zip(HOSTS, typescript, strict=True)
    differ = [(host, ts) for host, ts in pairs if ts != reaches_this_machine(host)]
    assert differ == []
    assert sum(typescript) > 300 and len(HOSTS) - sum(typescript) > 300  # both answers, often


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(passwords("red-xxxxx", "6379"), min_size=25, max_size=25), st.booleans())
def test_hostile_passwords_in_every_placement_are_never_shown(secrets, production):
    """Passwords over the printable range, whitespace and reserved characters, in every
    placement (userinfo raw and encoded, without user, pasted as the user name, the query,
    Method 2): settings.ts shows no 4-character piece of one in its fields, inspect(), JSON or
    error messages and stack, and it resolves or fails with the same id as settings.py."""
    envs = []
    for secret in secrets:
        for placement in PLACEMENTS:
            env = environment(placement, secret, "red-xxxxx", 6379)
            envs.append((secret, env | ({"NODE_ENV": "production"} if production else {})))
    results = run_driver([env for _, env in envs])["vectors"]
    for (secret, env), got in zip(envs, results, strict=True):
        shown = {k: v for k, v in got.items() if k not in ("options", "rejectUnauthorized")}
        assert_no_leak(secret, typescript=json.dumps(shown, ensure_ascii=False))
        py = python_result(env)
        assert got.get("error") == py.get("error"), (env, got.get("message"), py.get("message"))
        if "error" not in py:
            assert {k: got[k] for k in FIELDS} == {k: py[k] for k in FIELDS}, env


def test_options_for_ioredis_carry_the_decoded_password():
    """redisOptions(): what ioredis gets, parts decoded once (p%40ss → p@ss), TLS switched on."""
    for index, vector in enumerate(VECTORS["vectors"]):
        got = result("typescript", index)
        if "error" in got:
            continue
        options = got["options"]
        if vector.get("as_username"):  # redis://SECRET@host: sent as the user name, like redis-py
            assert options.get("username") == vector["secret"], vector["name"]
        expected = None if vector.get("as_username") else vector.get("secret")
        assert options.get("password") == vector.get("password", expected), vector["name"]
        assert options.get("db") == got["db"]
        assert ("tls" in options and options["tls"] is not None) == got["tls"], vector["name"]
        if got["scheme"] == "unix":
            assert options["path"] == got["host"] and "host" not in options
        else:
            assert (options["host"], options["port"]) == (got["host"], got["port"])
        if "url.tls-verify-disabled" in got["findings"]:
            assert got["rejectUnauthorized"] is False
    heroku = next(i for i, v in enumerate(VECTORS["vectors"]) if v["name"].startswith("Heroku"))
    assert result("typescript", heroku)["rejectUnauthorized"] is False
    good = next(i for i, v in enumerate(VECTORS["vectors"]) if "good timeout" in v["name"])
    assert result("typescript", good)["options"]["connectionName"] == "api"


def python_switches(env: dict[str, str]) -> dict:
    switches = pytest.importorskip(
        "snippets.config.switches", reason="switches.py comes from the hardening branch"
    )
    out = {}
    for name in ("DISABLE_BACKGROUND_JOBS", "CACHE_PROVIDER"):
        try:
            out[name] = switches.switch(name, env)
        except switches.SwitchError as error:
            out[name] = {"error": error.check_id, "message": str(error)}
    return out


@pytest.mark.parametrize("language", ["python", "typescript"])
@pytest.mark.parametrize("index", range(len(VECTORS["switches"])))
def test_switch_vector(language, index):
    vector = VECTORS["switches"][index]
    if language == "python":
        got = python_switches(vector["env"])
    else:
        got = typescript_results()["switches"][index]
    for name in ("DISABLE_BACKGROUND_JOBS", "CACHE_PROVIDER"):
        if name not in vector:
            continue
        expected = vector[name]
        if isinstance(expected, str) and expected.startswith("config."):
            assert got[name]["error"] == expected
            assert vector["env"][name].strip() in got[name]["message"]  # says what was read
        else:
            assert got[name] == expected


def test_production_template_loads():
    """The shown env.production.example, read as a platform would set it: production, Method 1."""
    template = SNIPPETS / "config" / "env.production.example"
    env = {}
    for line in template.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    assert env["NODE_ENV"] == "production"
    run = run_ts("config/settings.ts", env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == "redis://red-xxxxx:6379/0 (from REDIS_URL; warnings: [])"
    assert load_settings(env).production and load_settings(env).target in run.stdout


def test_demo_against_the_server(redis_factory, capture):
    """The demo prints the target and the switches; the password stays ***."""
    server = redis_factory(password="Zq8vR2mWx7-demo")
    url = server.url()
    run = run_ts("config/settings.ts", env={"REDIS_URL": url, "CACHE_PROVIDER": "memory"})
    assert run.returncode == 0, run.stderr
    assert "Zq8vR2mWx7-demo" not in run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("redis://") and ":***@127.0.0.1:" in lines[0]
    assert lines[1] == "background jobs: true, cache: memory"


def test_demo_configuration_errors(capture):
    """What a misconfigured deploy prints: the id, the variable, exit status 1."""
    cases = [
        ({"NODE_ENV": "production"}, "config.missing"),
        ({"REDIS_URL": "valkey://default:Zq8vR2mWx7@red-xxxxx:6379"}, "url.unsupported-scheme"),
        ({"REDIS_URL": "redis://default:PASS/WORD@red-xxxxx:6379"}, "url.malformed"),
        ({"REDIS_URL": "redis://red-xxxxx:6379", "DISABLE_BACKGROUND_JOBS": "maybe"}, None),
    ]
    shown = []
    for env, error_id in cases:
        run = run_ts("config/settings.ts", env=env)
        assert "Zq8vR2mWx7" not in run.stdout + run.stderr
        assert "PASS/WORD" not in run.stdout + run.stderr
        if error_id:
            assert run.returncode == 1 and run.stderr.startswith(f"configuration error: {error_id}")
        else:
            assert run.returncode == 1 and "config.invalid-switch" in run.stderr
        command = " ".join(f"{k}={v}" for k, v in env.items())
        shown.append(f"$ {command.replace('Zq8vR2mWx7', 'PASSWORD')} node config/settings.ts")
        shown.append(run.stderr.strip())
    assert "valkey:// is not accepted" in shown[3]
    capture(
        "config-errors-ts",
        "\n".join(shown) + "\n",
        offline=True,
        normalised="the password in the shown commands (PASSWORD); the output never has it",
    )


def test_unknown_switch_name_is_a_programming_error():
    script = (
        "import { readSwitch } from './config/settings.ts';"
        "try { readSwitch('NO_SUCH_SWITCH', {}); } catch (e) { console.log(e.message); }"
    )
    run = subprocess.run(
        [node_binary(), "--input-type=module", "-e", script],
        cwd=SNIPPETS,
        env=node_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.strip() == "unknown switch NO_SUCH_SWITCH", run.stderr


def test_demo_masks_a_password_pasted_as_user_name_and_refuses_this_machine():
    """What `node config/settings.ts` prints for the two cases the shared vectors add."""
    secret = "Zq8v@R2m/Wx7#"
    env = {"REDIS_URL": f"redis://{quote(secret, safe='')}@red-xxxxx:6379"}
    run = run_ts("config/settings.ts", env=env)
    assert run.returncode == 0, run.stderr
    first = run.stdout.splitlines()[0]
    assert first.startswith("redis://***@red-xxxxx:6379/0 (from REDIS_URL;")
    assert "url.password-as-username" in first
    assert_no_leak(secret, stdout=run.stdout, stderr=run.stderr)
    env = {"NODE_ENV": "production", "REDIS_URL": "redis://[::ffff:127.0.0.1]:6379"}
    run = run_ts("config/settings.ts", env=env)
    assert run.returncode == 1
    assert run.stderr.startswith("configuration error: config.localhost-in-production: ")
