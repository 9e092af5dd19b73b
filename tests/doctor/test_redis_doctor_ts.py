"""snippets/doctor/redis-doctor.mjs: the Node doctor, run as an operator runs it in an app's shell.

`node redis-doctor.mjs` from the app's directory (here snippets/, whose node_modules holds the
ioredis the app uses). Parity: the broken servers of the Python doctor's tests
(tests/doctor/test_checks_net.py, test_checks_server.py) diagnosed by both doctors must give
the same ids with the same statuses; PARITY_FIGURE counts them.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from snippets.checks import CATALOGUE_FILE, CHECKS, docs_url
from snippets.config.url_inspect import inspect
from tests.doctor.helpers import diagnose
from tests.nodejs import ROOT, SNIPPETS, node_binary, node_env, ts_command
from tools import embed_catalogue, harness
from tools.harness.session import PATIENCE

DOCTOR = "doctor/redis-doctor.mjs"
ALLOWLIST_REPLY = b"-AUTH failed: Client IP address is not in the allowlist\r\n"


@dataclass
class NodeRun:
    code: int
    stdout: str
    stderr: str

    @property
    def data(self) -> dict:
        return json.loads(self.stdout)


def node_doctor(*args: str, env: dict[str, str] | None = None, cwd: Path = SNIPPETS) -> NodeRun:
    """``node redis-doctor.mjs ARGS`` from ``cwd`` (the app's directory)."""
    base = {"NODE_ENV": "", "APP_ENV": "", "REDIS_URL": "", "REDIS_HOST": "", "REDIS_PASSWORD": ""}
    out = subprocess.run(
        ts_command(DOCTOR, *args),
        cwd=cwd,
        env=node_env({**base, **(env or {})}),
        capture_output=True,
        text=True,
        timeout=90,
    )
    return NodeRun(out.returncode, out.stdout, out.stderr)


# Many runs in one node process (this machine is shared): import the file, call main().
MANY = """
import { main } from %s;
let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const { args, env } of JSON.parse(input)) {
  const out = [];
  const err = [];
  const code = await main(args, env, (t) => out.push(t), (t) => err.push(t));
  const text = (lines) => lines.map((t) => t + "\\n").join("");
  results.push({ code, stdout: text(out), stderr: text(err) });
}
console.log(JSON.stringify(results));
process.exit(0);
"""


def node_doctor_many(runs: list[tuple[tuple[str, ...], dict[str, str]]]) -> list[NodeRun]:
    """``main(args, env)`` for each run, inside one node process started in the app's dir."""
    script = MANY % json.dumps((SNIPPETS / DOCTOR).as_uri())
    payload = json.dumps([{"args": list(args), "env": env} for args, env in runs])
    out = subprocess.run(
        [node_binary(), "--input-type=module", "-e", script],
        input=payload,
        cwd=SNIPPETS,
        env=node_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return [NodeRun(r["code"], r["stdout"], r["stderr"]) for r in json.loads(out.stdout)]


def pieces(secret: str, size: int = 4) -> set[str]:
    """Every ``size``-character piece of a secret: any of them in the output is a leak."""
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def assert_no_leak(run: NodeRun, *secrets: str) -> None:
    text = run.stdout + run.stderr
    for secret in secrets:
        leaked = sorted(p for p in pieces(secret) if p in text)
        assert not leaked, f"pieces of the password in the output: {leaked}"


# ---------------------------------------------------------------- one source for the ids


def test_embedded_catalogue_and_inspector_are_current():
    assert embed_catalogue.main(["--check"]) == 0, "run: python -m tools.embed_catalogue"


def test_the_staleness_check_can_fail(tmp_path, monkeypatch):
    """Editing the catalogue without regenerating makes --check fail (and embed fixes it)."""
    catalogue = json.loads(CATALOGUE_FILE.read_text())
    catalogue["checks"]["net.refused"]["summary"] += " (edited)"
    edited = tmp_path / "checks.json"
    edited.write_text(json.dumps(catalogue))
    copy = tmp_path / "redis-doctor.mjs"
    copy.write_text(embed_catalogue.DOCTOR.read_text())
    monkeypatch.setattr(embed_catalogue, "CATALOGUE", edited)
    monkeypatch.setattr(embed_catalogue, "DOCTOR", copy)
    monkeypatch.setattr(embed_catalogue, "ROOT", tmp_path)
    monkeypatch.setattr(embed_catalogue, "INSPECTOR", tmp_path / "redis-url.js")
    (tmp_path / "redis-url.js").write_text(
        (ROOT / "docs" / "javascripts" / "redis-url.js").read_text()
    )
    text = copy.read_text().replace(
        "(tools/embed_catalogue.py)", "(tools/embed_catalogue.py)"
    )  # markers name the source relative to ROOT: rename them for the temporary root
    text = text.replace("snippets/checks.json (", "checks.json (").replace(
        "docs/javascripts/redis-url.js (", "redis-url.js ("
    )
    text = text.replace("END GENERATED: snippets/checks.json", "END GENERATED: checks.json")
    text = text.replace(
        "END GENERATED: docs/javascripts/redis-url.js", "END GENERATED: redis-url.js"
    )
    copy.write_text(text)
    assert embed_catalogue.main(["--check"]) == 1
    assert embed_catalogue.main([]) == 0 and "(edited)" in copy.read_text()
    assert embed_catalogue.main(["--check"]) == 0


def test_checks_py_reads_the_json_catalogue():
    data = json.loads(CATALOGUE_FILE.read_text())
    assert {k: (v["status"], v["summary"]) for k, v in data["checks"].items()} == {
        k: tuple(v) for k, v in CHECKS.items()
    }


# ---------------------------------------------------------------- the command


def test_inspect_json_matches_python_for_every_vector():
    """--inspect is the embedded browser inspector: the same object as Python's inspect()."""
    vectors = json.loads((ROOT / "tests" / "config" / "url_vectors.json").read_text())
    urls = [v["url"] for v in vectors]
    runs = node_doctor_many([(("--inspect", url, "--json"), {}) for url in urls])
    for url, run in zip(urls, runs, strict=True):
        assert json.loads(run.stdout) == json.loads(json.dumps(inspect(url))), url
        assert run.code == (1 if inspect(url)["error"] else 0)
    readable = node_doctor_many([(("--inspect", url), {}) for url in urls])
    assert all(run.stdout.startswith("scheme") for run in readable)


def test_inspect_readable_and_help():
    run = node_doctor("--inspect", "redis://redis.example.com:6379")
    assert run.code == 0 and "url.plaintext-remote" in run.stdout
    assert docs_url("url.plaintext-remote") in run.stdout
    assert "host          redis.example.com" in run.stdout
    assert "ok    no problems found" in node_doctor("--inspect", "redis://red-xxxxx:6379").stdout
    bad = node_doctor("--inspect", "redis://:6379")
    assert bad.code == 1 and "fail  url.missing-host" in bad.stdout
    helped = node_doctor("--help")
    assert helped.code == 0 and helped.stdout.startswith("usage: node redis-doctor.mjs")


BAD_USAGE = [
    ("--no-such-option",),
    ("--timeout", "soon"),
    ("--timeout", "0"),
    ("--timeout", "-1"),
    ("--timeout", "nan"),
    ("--timeout",),
    ("--json=yes",),
    ("--url", "redis://a", "--inspect", "redis://b"),
]


def test_bad_usage_exit_2_with_one_line():
    for args, run in zip(BAD_USAGE, node_doctor_many([(a, {}) for a in BAD_USAGE]), strict=True):
        assert run.code == 2 and run.stdout == "", args
        assert len(run.stderr.strip().splitlines()) == 1 and "redis-doctor: error:" in run.stderr
    run = node_doctor("--timeout", "soon")  # the real command: exit status and one line
    assert run.code == 2 and run.stderr.strip() == (
        "redis-doctor: error: --timeout must be a positive number of seconds"
    )


def test_without_ioredis_a_clear_error(tmp_path):
    run = node_doctor("--url", "redis://127.0.0.1:6379/0", "--timeout", "1", cwd=tmp_path)
    # no ioredis next to the app: said in one line (the network steps ran before)
    if "net.refused" in run.stdout:
        assert run.code == 1  # nothing listening on 6379 here: the check fails first
    else:
        assert run.code == 1 and "ioredis is not installed in" in run.stderr


def test_without_ioredis_on_a_live_server(tmp_path, redis_server):
    run = node_doctor("--url", redis_server.url(), cwd=tmp_path)
    assert run.code == 1 and run.stdout == ""
    assert run.stderr.strip().splitlines()[-1].startswith("redis-doctor: error: ioredis is not")


def test_healthy_json_shape_docs_links_and_equals_sign_options(redis_factory):
    password = harness.random_password()
    server = redis_factory(password=password, appendonly=True)
    env = {"DOCS_BASE_URL": "http://127.0.0.1:8000/"}
    run = node_doctor("--json", f"--url={server.url()}", "--timeout=3", env=env)
    assert run.code == 0, run.stdout + run.stderr
    data = run.data
    assert set(data) == {"target", "ok", "checks"} and data["ok"] is True
    assert data["target"] == f"redis://:***@127.0.0.1:{server.port}/0"
    for check in data["checks"]:
        assert set(check) == {"id", "status", "summary", "docs"} and check["id"] in CHECKS
        assert (
            check["docs"] == "http://127.0.0.1:8000/" + docs_url(check["id"]).split("/latest/")[1]
        )
    assert "… authenticating" in run.stderr
    assert_no_leak(run, password)


def test_readable_table(redis_server):
    run = node_doctor("--url", redis_server.url())
    assert run.code == 0 and run.stdout.startswith("redis-doctor: redis://127.0.0.1:")
    assert "✓ pass  net.refused" in run.stdout
    assert re.search(r"OK: 0 failing, \d warnings, \d+ passed, 0 skipped", run.stdout)


RESERVED = ["p@ss:w/rd?x#1", "qa zx%wqz9", "100%", "päz wöq+é", "a&b=c;d[]"]


@pytest.mark.parametrize("shape", RESERVED)
def test_no_piece_of_a_password_in_any_output(redis_factory, shape):
    """Reserved characters, whitespace, bare %, non-ASCII: no 4-character piece leaks."""
    password = shape + "-Zq" + harness.random_password(6)[2:]
    server = redis_factory(password=harness.random_password())
    encoded = server.url(password=password)
    raw = f"redis://:{password}@127.0.0.1:{server.port}/0"  # pasted unencoded
    query = f"redis://127.0.0.1:{server.port}/0?password={encoded.split(':')[2].split('@')[0]}"
    runs = []
    for url in (encoded, raw, encoded.replace("@", " @"), encoded + "\n", query):
        runs += [(("--url", url), {}), (("--url", url, "--json"), {}), (("--inspect", url), {})]
    runs.append(
        (
            (),
            {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(server.port), "REDIS_PASSWORD": password},
        )
    )
    for run in node_doctor_many(runs):
        assert run.code in (0, 1), run.stderr
        assert_no_leak(run, password, password.replace(" ", ""))


def test_query_string_and_method_2_credentials_never_shown(redis_factory):
    password = "Qs" + harness.random_password()
    server = redis_factory(password=password)
    url = f"redis://127.0.0.1:{server.port}/0?username=default&password={password}"
    run = node_doctor("--url", url, "--json")
    assert run.code == 0, run.stdout  # redis-py and ioredis both log in with it
    assert_no_leak(run, password)
    run = node_doctor("--inspect", url, "--json")
    assert_no_leak(run, password)
    wrong = "Mt" + harness.random_password()
    env = {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(server.port), "REDIS_PASSWORD": wrong}
    run = node_doctor("--json", env=env)
    assert (
        run.code == 1
        and {c["id"]: c["status"] for c in run.data["checks"]}["auth.wrongpass"] == "fail"
    )
    assert_no_leak(run, wrong)


def test_production_and_method_2_configuration_errors():
    run = node_doctor("--json", env={"NODE_ENV": "production"})
    assert run.code == 1 and [c["id"] for c in run.data["checks"]] == ["config.missing"]
    run = node_doctor("--json", env={"NODE_ENV": "production", "REDIS_URL": "redis://localhost"})
    assert run.data["checks"][0]["id"] == "config.localhost-in-production"
    for env, expected in (
        ({"REDIS_HOST": "h", "REDIS_PORT": "port"}, "url.invalid-port"),
        ({"REDIS_HOST": "h", "REDIS_DB": "x"}, "url.invalid-db"),
    ):
        assert node_doctor("--json", env=env).data["checks"][0]["id"] == expected
    run = node_doctor("--json", env={"REDIS_HOST": "127.0.0.1 ", "REDIS_PORT": "1"})
    assert "url.whitespace" in [c["id"] for c in run.data["checks"]]


class Drip:
    """An endpoint that accepts and then sends one byte a second, forever (a stuck proxy)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            for byte in b"+" + b"P" * 600:
                if self.stop.wait(1.0):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def test_every_step_has_a_total_deadline():
    """A drip endpoint (one byte a second) cannot stretch a step past --timeout."""
    drip = Drip()
    try:
        run = node_doctor("--url", f"redis://127.0.0.1:{drip.port}/0", "--timeout", "1", "--json")
        assert run.code == 1
        assert {c["id"]: c["status"] for c in run.data["checks"]}["net.timeout"] == "fail"
        tls = node_doctor("--url", f"rediss://127.0.0.1:{drip.port}/0", "--timeout", "1")
        assert tls.code == 1 and "net.timeout" in tls.stdout
    finally:
        drip.close()


def test_silent_endpoint_and_dns_failure(redis_factory):
    silent = redis_factory.silent_endpoint()
    run = node_doctor("--url", f"redis://127.0.0.1:{silent.port}/0", "--timeout", "0.5")
    assert run.code == 1 and "net.timeout" in run.stdout
    run = node_doctor("--url", "redis://redis.pharmacare.invalid:6379/0", "--json")
    assert run.code == 1 and run.data["checks"][-1]["id"] == "net.dns"


def test_doctor_runs_from_a_copy_in_an_app_directory(tmp_path, redis_server):
    """As an operator uses it: the file copied next to the app's node_modules."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "node_modules").symlink_to(SNIPPETS / "node_modules")
    copy = app / "redis-doctor.mjs"
    shutil.copy(SNIPPETS / DOCTOR, copy)
    out = subprocess.run(
        [node_binary(), str(copy), "--url", redis_server.url(), "--json"],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and json.loads(out.stdout)["ok"] is True


# ---------------------------------------------------------------- parity with the Python doctor


@dataclass
class Case:
    """A broken (or healthy) server both doctors diagnose; ``setup`` returns URL or env."""

    name: str
    setup: Callable[[harness.ServerFactory, list], dict]
    timeout: float = 2.0
    node_differs: dict[str, str] = field(default_factory=dict)  # id -> Node status, on purpose
    ignore: tuple[str, ...] = ()  # ids whose outcome is random in both doctors


def _fill(server, count, size=1000):
    import redis

    with server.admin() as client:
        for i in range(count):
            try:
                client.set(f"fill:{i}", "x" * size)
            except redis.exceptions.OutOfMemoryError:
                return


def _hold(server, n, held):
    for _ in range(n):
        client = server.admin()
        client.ping()
        held.append(client)


def _tls(f, *names, **options):
    tls = harness.TLSFiles.create(*names)
    return tls, f(tls=tls, **options)


# On purpose: ioredis falls back to RESP2 where HELLO is unknown, so a Node app works there.
# The Node doctor warns (for redis-py clients of the same server) and runs the remaining checks;
# the Python doctor fails at authentication and stops.
NO_HELLO = {"server.no-hello": "warn", "persistence.off": "warn"}

CASES: list[Case] = []


def case(name: str, **options) -> Callable:
    """Register a parity case: ``setup(factory, held) -> {"url": …, "env": {…}}``."""

    def register(setup: Callable) -> Callable:
        CASES.append(Case(name, setup, **options))
        return setup

    return register


def _front_reply(f, reply: bytes) -> dict:
    return {"url": f"redis://127.0.0.1:{f.front(f(), reply=reply).port}/0"}


def _app_user(f, rule: str) -> dict:
    server = f(acl_users=(f"app on >Ap12345678 {rule}",))
    return {"url": server.url(username="app", password="Ap12345678")}


@case("healthy")
def _healthy(f, held):
    server = f(password="Hp" + harness.random_password(), appendonly=True)
    return {"url": server.url(username="default")}


@case("refused")
def _refused(f, held):
    return {"url": f"redis://127.0.0.1:{f.closed_port().port}/0"}


@case("dns")
def _dns(f, held):
    return {"url": "redis://redis.pharmacare.invalid:6379/0"}


@case("unix-missing")
def _unix_missing(f, held):
    return {"url": f"unix://{tempfile.gettempdir()}/pharmacare-no-such-{time.monotonic_ns()}.sock"}


@case("silent", timeout=0.5)
def _silent(f, held):
    return {"url": f"redis://127.0.0.1:{f.silent_endpoint().port}/0"}


@case("tls-untrusted")
def _tls_untrusted(f, held):
    return {"url": f(tls=harness.TLSFiles.create()).url()}


@case("tls-trusted")
def _tls_trusted(f, held):
    tls = harness.TLSFiles.create()
    return {"url": f(tls=tls).url(query=f"ssl_ca_certs={tls.ca_cert}")}


@case("tls-unverified")
def _tls_unverified(f, held):
    return {"url": f(tls=harness.TLSFiles.create()).url(query="ssl_cert_reqs=none")}


@case("tls-name")
def _tls_name(f, held):
    tls = harness.TLSFiles.create("redis.other.example")
    return {"url": f(tls=tls).url(host="localhost", query=f"ssl_ca_certs={tls.ca_cert}")}


@case("tls-name-unchecked")
def _tls_name_unchecked(f, held):
    tls = harness.TLSFiles.create("redis.other.example")
    query = f"ssl_ca_certs={tls.ca_cert}&ssl_check_hostname=false"
    return {"url": f(tls=tls).url(query=query)}


@case("tls-on-plaintext")
def _tls_on_plaintext(f, held):
    return {"url": f().url(tls=False).replace("redis://", "rediss://")}


@case("plaintext-on-tls")
def _plaintext_on_tls(f, held):
    return {"url": f"redis://127.0.0.1:{f(tls=harness.TLSFiles.create()).tls_port}/0"}


@case("missing-ca")
def _missing_ca(f, held):
    server = f(tls=harness.TLSFiles.create())
    return {"url": server.url(query="ssl_ca_certs=/nonexistent/ca.pem")}


@case("http")
def _http(f, held):
    return _front_reply(f, b"HTTP/1.1 400 Bad Request\r\n\r\n")


@case("allowlist")
def _allowlist(f, held):
    return _front_reply(f, ALLOWLIST_REPLY)


@case("upstash-limit")
def _upstash_limit(f, held):
    return _front_reply(f, b"-ERR max concurrent connections exceeded\r\n")


@case("maxclients-full")
def _maxclients_full(f, held):
    server = f(maxclients=2)
    _hold(server, 2, held)
    return {"url": server.url()}


@case("maxclients-near")
def _maxclients_near(f, held):
    server = f(maxclients=10)
    _hold(server, 8, held)
    return {"url": server.url()}


@case("noauth")
def _noauth(f, held):
    return {"url": f(password=harness.random_password()).url(password="")}


@case("wrongpass")
def _wrongpass(f, held):
    server = f(password=harness.random_password())
    return {"url": server.url(password="not-" + harness.random_password())}


@case("wrong-user")
def _wrong_user(f, held):
    server = f(acl_users=("app on >Ap12345678 ~* +@all",))
    return {"url": server.url(username="ghost", password="Ap12345678")}


@case("no-password-needed")
def _no_password_needed(f, held):
    return {"url": f().url(password=harness.random_password())}


@case("acl-no-info-set-ping")
def _acl_no_info(f, held):
    return _app_user(f, "~* +@all -info -set -ping -config")


@case("acl-keys")
def _acl_keys(f, held):
    return _app_user(f, "~other:* +@all")


# the write probe's key is random in both doctors: its slot may or may not be on this node
@case("cluster", ignore=("memory.oom",))
def _cluster(f, held):
    return {"url": f.cluster().url()}


@case("slow")
def _slow(f, held):
    return {"url": f"redis://127.0.0.1:{f.front(f(), delay=0.04).port}/0"}


@case("oom")
def _oom(f, held):
    server = f(maxmemory="1mb", maxmemory_policy="noeviction")
    _fill(server, 5000)
    return {"url": server.url()}


@case("evictions")
def _evictions(f, held):
    server = f(maxmemory="2mb", maxmemory_policy="allkeys-lru")
    _fill(server, 3000)
    return {"url": server.url()}


@case("evictions-cache-only")
def _evictions_cache_only(f, held):
    return {**_evictions(f, held), "env": {"DISABLE_BACKGROUND_JOBS": "true"}}


@case("rdb")
def _rdb(f, held):
    return {"url": f(save="3600 1").url()}


@case("config-blocked")
def _config_blocked(f, held):
    return {"url": f(config=('rename-command CONFIG ""',)).url()}


@case("info-blocked")
def _info_blocked(f, held):
    return {"url": f(config=('rename-command INFO ""',)).url()}


@case("replica")
def _replica(f, held):
    primary = f()
    return {"url": f(config=(f"replicaof 127.0.0.1 {primary.port}",)).url()}


@case("renamed-ping-exists")
def _renamed(f, held):
    return {"url": f(config=('rename-command PING ""', 'rename-command EXISTS ""')).url()}


@case("sentinel")
def _sentinel(f, held):
    return {"url": f"redis://127.0.0.1:{f.sentinel().sentinels[0].port}/0"}


@case("ipv6")
def _ipv6(f, held):
    return {"url": f().url(host="::1")}


@case("proxy-refuses")
def _proxy_refuses(f, held):
    proxy = RefusingProxy()
    held.append(proxy)
    return {"url": f"redis://127.0.0.1:{proxy.port}/0"}


@case("drop-at-auth")
def _drop_at_auth(f, held):
    return {"url": f"redis://127.0.0.1:{f.front(f(), drop_after=60).port}/0"}


@case("no-hello", node_differs=NO_HELLO)
def _no_hello(f, held):
    return {"url": f(config=('rename-command HELLO ""',)).url()}


@case("production-missing")
def _production_missing(f, held):
    return {"env": {"APP_ENV": "production"}}


@case("production-localhost")
def _production_localhost(f, held):
    return {"env": {"APP_ENV": "production", "REDIS_URL": f().url(host="localhost")}}


@case("valkey-scheme")
def _valkey_scheme(f, held):
    return {"url": "valkey://127.0.0.1:6379"}


@case("unencoded-password")
def _unencoded_password(f, held):
    return {"url": "redis://:p@ss/w@127.0.0.1:6379/0"}


@case("bad-port")
def _bad_port(f, held):
    return {"url": "redis://127.0.0.1:99999/0"}


@case("method-2-wrongpass")
def _method_2_wrongpass(f, held):
    server = f(password=harness.random_password())
    password = "Wp" + harness.random_password()
    return {
        "env": {
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(server.port),
            "REDIS_PASSWORD": password,
        }
    }


class RefusingProxy:
    """Speaks RESP but refuses every command with an error (a proxy with no backend)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.sock.accept()
                threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    @staticmethod
    def _commands(buffer: bytes) -> tuple[int, bytes]:
        """How many whole commands ``buffer`` holds (RESP arrays or inline), and the rest."""
        count = 0
        while b"\r\n" in buffer:
            if not buffer.startswith(b"*"):
                buffer = buffer.split(b"\r\n", 1)[1]
            else:
                head, rest = buffer.split(b"\r\n", 1)
                for _ in range(int(head[1:])):
                    if b"\r\n" not in rest:
                        return count, buffer
                    size, rest = rest.split(b"\r\n", 1)
                    if len(rest) < int(size[1:]) + 2:
                        return count, buffer
                    rest = rest[int(size[1:]) + 2 :]
                buffer = rest
            count += 1
        return count, buffer

    def _answer(self, conn: socket.socket) -> None:
        buffer = b""
        with conn, contextlib.suppress(OSError):
            while data := conn.recv(65536):
                count, buffer = self._commands(buffer + data)
                conn.sendall(b"-ERR proxy says no\r\n" * count)

    def close(self) -> None:
        self.sock.close()


def _rows(checks) -> dict[str, str]:
    """id -> status of every row that is not a pass (the last row of an id wins)."""
    return {c["id"]: c["status"] for c in checks if c["status"] != "pass"}


PARITY: dict[str, bool] = {}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_parity_with_the_python_doctor(redis_factory, server_kind, case):
    held: list = []
    try:
        spec = case.setup(redis_factory, held)
        env = {**spec.get("env", {})}
        if "url" in spec:
            env["REDIS_URL"] = spec["url"]
        python = diagnose(timeout=case.timeout, **env)
        node = node_doctor("--json", "--timeout", str(case.timeout), env=env)
    finally:
        for client in held:
            client.close()
    expected = {r.id: r.status for r in python.checks if r.status != "pass"}
    expected.update(case.node_differs)
    got = _rows(node.data["checks"])
    # latency.high measures this machine, not the case (a loaded machine warns on both sides
    # or on one): compared only where the case is about latency.
    for check_id in (*case.ignore, *(() if "latency" in case.name else ("latency.high",))):
        expected.pop(check_id, None)
        got.pop(check_id, None)
    PARITY[f"{server_kind.name}:{case.name}"] = got == expected
    assert got == expected, (node.stdout, python.checks)
    assert node.code == (0 if not any(s == "fail" for s in got.values()) else 1)


@pytest.mark.kinds("redis")
def test_parity_protected_mode_and_client_certificates(redis_factory):
    server = redis_factory(bind="127.0.0.1 127.0.0.2")
    front = harness.SourceFront("127.0.0.2", server.port, source="127.0.0.2").start()
    try:
        url = f"redis://127.0.0.1:{front.port}/0"
        python = diagnose(url)
        node = node_doctor("--json", "--url", url)
    finally:
        front.stop()
    assert _rows(node.data["checks"]) == {
        r.id: r.status for r in python.checks if r.status != "pass"
    }
    assert node.data["checks"][-1]["id"] == "server.protected-mode"
    tls = harness.TLSFiles.create()
    server = redis_factory(tls=tls, config=("tls-auth-clients yes",))
    for query in (
        f"ssl_ca_certs={tls.ca_cert}",
        f"ssl_ca_certs={tls.ca_cert}&ssl_certfile={tls.cert}&ssl_keyfile={tls.key}",
    ):
        url = server.url(query=query)
        python = diagnose(url)
        node = node_doctor("--json", "--url", url)
        assert _rows(node.data["checks"]) == {
            r.id: r.status for r in python.checks if r.status != "pass"
        }, node.stdout


def test_server_stops_answering_mid_run(redis_factory):
    server = redis_factory()
    with server.admin() as admin:
        admin.execute_command("CLIENT", "PAUSE", 20000, "WRITE")  # reads answer, writes wait
        # Reads must answer within the timeout and the paused write must not: a loaded
        # machine gets a longer timeout, still far below the 20 s pause.
        timeout = str(0.5 * PATIENCE)
        run = node_doctor("--url", server.url(), "--timeout", timeout, "--json")
        admin.execute_command("CLIENT", "UNPAUSE")
    statuses = {c["id"]: c["status"] for c in run.data["checks"]}
    assert run.code == 1 and statuses["net.timeout"] == "fail"
    # reads answered: latency was measured (its verdict depends on the machine's load)
    assert statuses["latency.high"] in {"pass", "warn"}


def test_connection_dropped_mid_run(redis_factory):
    server = redis_factory()
    front = redis_factory.front(server, drop_after=500)  # authenticated, then it drops
    run = node_doctor("--url", f"redis://127.0.0.1:{front.port}/0", "--json")
    assert run.code == 1 and run.data["checks"][-1]["id"] == "net.closed"
    assert "during the checks" in run.data["checks"][-1]["summary"]


class Endpoint:
    """A loopback endpoint that answers PING only on its first connection, then stays silent."""

    def __init__(self, listen_backlog: int = 16) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=listen_backlog)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []

    def serve_first_ping(self) -> Endpoint:
        def serve() -> None:
            with contextlib.suppress(OSError):
                first, _ = self.sock.accept()
                self.conns.append(first)
                first.recv(100)
                first.sendall(b"+PONG\r\n")
                while True:  # later connections: accepted, never answered
                    conn, _ = self.sock.accept()
                    self.conns.append(conn)

        threading.Thread(target=serve, daemon=True).start()
        return self

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        self.sock.close()


def test_timeout_at_authentication():
    endpoint = Endpoint().serve_first_ping()
    try:
        run = node_doctor("--url", f"redis://127.0.0.1:{endpoint.port}/0", "--timeout", "0.5")
    finally:
        endpoint.close()
    assert run.code == 1 and "connected, then no reply" in run.stdout


def test_tcp_connect_timeout_on_a_full_backlog():
    """A listener that never accepts: once its queue is full, a connect gets no answer."""
    endpoint = Endpoint(listen_backlog=0)
    fillers = []
    try:
        for _ in range(8):  # fill the accept queue (its size is the kernel's choice)
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", endpoint.port))
            fillers.append(filler)
        url = f"redis://127.0.0.1:{endpoint.port}/0"
        run = node_doctor("--url", url, "--timeout", "0.5", "--json")
    finally:
        for filler in fillers:
            filler.close()
        endpoint.close()
    rows = {c["id"]: c for c in run.data["checks"]}
    assert run.code == 1 and rows["net.timeout"]["status"] == "fail"


def test_defaults_to_localhost_outside_production():
    (run,) = node_doctor_many([(("--json", "--timeout", "0.5"), {})])
    assert run.data["target"] == "redis://localhost:6379/0"


def test_runs_on_an_older_node_too(redis_server):
    """Apps run Node 18-22 as well: the file uses nothing newer (no import.meta.main there)."""
    older = Path("/usr/bin/node")
    if not older.is_file():
        pytest.skip("no system Node besides the bootstrapped one")
    version = subprocess.run([older, "-v"], capture_output=True, text=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) >= 24:
        pytest.skip(f"system node is {version}: not older")
    out = subprocess.run(
        [older, str(SNIPPETS / DOCTOR), "--url", redis_server.url(), "--json"],
        cwd=SNIPPETS,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and json.loads(out.stdout)["ok"] is True, out.stderr
