"""snippets/doctor/cli.py: the command as operators run it — exit codes, JSON, redaction."""

from __future__ import annotations

import json
import re
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import snippets.doctor
from snippets.checks import CHECKS, docs_url
from snippets.config.url_inspect import inspect
from snippets.doctor import cli
from tests.demos import run_demo
from tests.doctor.helpers import run_doctor
from tools import harness

HERE = Path(__file__).parent


def _assert_no_secret(run, *secrets):
    for secret in secrets:
        assert secret not in run.stdout and secret not in run.stderr


def test_healthy_exit_0_with_json_shape(redis_factory):
    password = harness.random_password()
    server = redis_factory(password=password, appendonly=True)
    run = run_doctor("--json", env={"REDIS_URL": server.url()})
    assert run.code == 0, run.stdout + run.stderr
    data = run.data
    assert set(data) == {"target", "ok", "checks"} and data["ok"] is True
    assert data["target"] == f"redis://:***@127.0.0.1:{server.port}/0"
    for check in data["checks"]:
        assert set(check) == {"id", "status", "summary", "docs"}
        assert check["status"] in {"pass", "warn", "fail", "skip"}
        assert check["docs"] == docs_url(check["id"]) and check["id"] in CHECKS
    assert "… authenticating" in run.stderr  # progress goes to stderr as checks run
    _assert_no_secret(run, password)


def test_failing_check_exit_1_and_password_redacted_everywhere(redis_factory):
    password = "s3cr@t/" + harness.random_password()
    server = redis_factory(password=harness.random_password())
    url = server.url(password=password)
    assert "%40" in url  # percent-encoded in the URL, as a reader would write it
    for args in (("--url", url), ("--url", url, "--json")):
        run = run_doctor(*args)
        assert run.code == 1
        assert "auth.wrongpass" in run.stdout
        _assert_no_secret(run, password, url.split("@")[0].split(":")[-1])


def test_method_2_password_redacted(redis_factory):
    password = harness.random_password()
    server = redis_factory(password=harness.random_password())
    env = {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(server.port), "REDIS_PASSWORD": password}
    run = run_doctor("--json", env=env)
    assert run.code == 1 and run.statuses()["auth.wrongpass"] == "fail"
    _assert_no_secret(run, password)


def test_configuration_errors_exit_1(tmp_path):
    run = run_doctor("--json", env={"APP_ENV": "production"})
    assert run.code == 1 and run.statuses() == {"config.missing": "fail"}
    password = harness.random_password()
    run = run_doctor("--url", f"valkey://:{password}@127.0.0.1:6379")
    assert run.code == 1 and "url.unsupported-scheme" in run.stdout
    _assert_no_secret(run, password)


def test_docs_links_follow_docs_base_url():
    run = run_doctor(
        "--json", env={"APP_ENV": "production", "DOCS_BASE_URL": "http://127.0.0.1:8000/"}
    )
    assert run.data["checks"][0]["docs"] == (
        "http://127.0.0.1:8000/troubleshooting/config/#config-missing"
    )


def test_bad_usage_exit_2():
    assert run_doctor("--no-such-option").code == 2
    assert run_doctor("--timeout", "soon").code == 2
    assert run_doctor("--timeout", "0").code == 2
    both = run_doctor("--url", "redis://a", "--inspect", "redis://b")
    assert both.code == 2 and "not allowed with" in both.stderr


@pytest.mark.parametrize(
    "argv",
    [["--timeout", t] for t in ("nan", "inf", "1e300", "-1")] + [["--url", ""], ["--url", "  "]],
)
def test_usage_errors_are_one_line_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.splitlines()[-1].startswith("redis-doctor: error:")


def test_configuration_errors_still_print_json(capsys, monkeypatch):
    """REDIS_PORT=² once raised a raw ValueError and printed no JSON."""
    monkeypatch.setenv("REDIS_HOST", "red-xxxxx")
    for name, value in (("REDIS_PORT", "²"), ("REDIS_PORT", "9" * 5000), ("REDIS_DB", "²")):
        monkeypatch.setenv(name, value)
        assert cli.main(["--json"]) == 1
        data = json.loads(capsys.readouterr().out)
        assert data["ok"] is False and data["checks"][0]["id"] in {
            "url.invalid-port",
            "url.invalid-db",
        }
        monkeypatch.delenv(name)


def test_inspect_json_is_exactly_url_inspect():
    password = harness.random_password()
    for url in (
        f"rediss://default:{password}@red-xxxxx.oregon-keyvalue.render.com:6379",
        "redis://:p@ss@127.0.0.1:6379/0",
        "valkey://host:6379",
    ):
        run = run_doctor("--inspect", url, "--json")
        assert json.loads(run.stdout) == inspect(url)
        assert run.code == (1 if inspect(url)["error"] else 0)
        _assert_no_secret(run, password)


def test_inspect_readable(capsys):
    assert cli.main(["--inspect", "redis://redis.example.com:6379"]) == 0
    out = capsys.readouterr().out
    assert "url.plaintext-remote" in out and docs_url("url.plaintext-remote") in out
    assert cli.main(["--inspect", "redis://:6379"]) == 1
    assert "fail  url.missing-host" in capsys.readouterr().out
    assert cli.main(["--inspect", "rediss://redis.internal:6379/0?ssl_ca_certs=/ca.pem"]) == 0
    assert "no problems found" in capsys.readouterr().out


def test_every_run_is_bounded(redis_factory):
    silent = redis_factory.silent_endpoint()
    run = run_doctor("--url", f"redis://127.0.0.1:{silent.port}/0", "--timeout", "0.5", timeout=20)
    assert run.code == 1 and "net.timeout" in run.stdout


def test_in_process_main_with_url(redis_server, capsys):
    assert cli.main(["--url", redis_server.url(), "--timeout", "2"]) == 0
    assert "persistence.off" in capsys.readouterr().out


def test_redactor_survives_an_unparsable_url():
    assert cli.redactor_for({"REDIS_URL": "redis://[::1"})("text") == "text"


def test_cli_module_demo():
    run = run_doctor("--inspect", "redis://red-xxxxx:6379", "--json")
    assert run.code == 0

    out = run_demo("snippets.doctor.cli", "--inspect", "redis://red-xxxxx:6379")
    assert out.returncode == 0 and "host          red-xxxxx" in out.stdout


def test_console_script_entry_point_resolves():
    (script,) = entry_points(group="console_scripts", name="redis-doctor")
    assert script.value == "snippets.doctor:main"
    assert script.load() is snippets.doctor.main is cli.main


def test_every_check_id_is_exercised_by_a_doctor_test():
    """Each id in the catalogue is asserted somewhere in tests/doctor (by its quoted name)."""
    text = "".join(p.read_text() for p in HERE.glob("test_*.py") if p.name != "test_cli.py")
    quoted = set(re.findall(r'"([a-z]+\.[a-z-]+)"', text))
    missing = sorted(set(CHECKS) - quoted)
    assert not missing, missing


@pytest.mark.parametrize("status", ["pass", "warn", "fail", "skip"])
def test_statuses_have_marks(status):
    from snippets.doctor.report import MARKS

    assert MARKS[status]


def _normalise_output(text: str, port: int) -> str:
    text = text.replace(f":{port}", ":6379")
    text = re.sub(r"\d+\.\d+ ms", "0.1 ms", text)
    return re.sub(r"\d+\.\d MB of (\d+\.\d) MB \(\d+%\)", r"N MB of \1 MB (N%)", text)


def test_capture_a_healthy_run_and_a_json_failure(redis_factory, capture):
    password = harness.random_password()
    server = redis_factory(
        password=password, appendonly=True, maxmemory="25mb", maxmemory_policy="noeviction"
    )
    run = run_doctor(env={"REDIS_URL": server.url(username="default"), "APP_ENV": "staging"})
    assert run.code == 0
    _assert_no_secret(run, password)
    note = "the port (shown as 6379), timings (0.1 ms), memory use (N)"
    capture("doctor-table", _normalise_output(run.stdout, server.port), normalised=note)
    capture("doctor-progress", run.stderr, normalised="none")
    bad = run_doctor("--json", env={"REDIS_URL": server.url(password="old-" + password)})
    assert bad.code == 1
    _assert_no_secret(bad, password)
    capture("doctor-json", _normalise_output(bad.stdout, server.port), normalised=note)


def test_installed_console_script_runs():
    """`pip install -e .` (what `make` does) put `redis-doctor` next to the venv's python."""
    import subprocess
    import sys

    script = Path(sys.executable).parent / "redis-doctor"
    assert script.is_file(), "reinstall the repo: pip install -e ."
    out = subprocess.run(
        [str(script), "--inspect", "rediss://default:PASSWORD@red-xxxxx:6379", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and json.loads(out.stdout)["password_set"] is True
    assert run_doctor("--help").stdout.startswith("usage: redis-doctor")


def test_an_unexpected_error_prints_no_traceback_and_no_password(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("bug while holding redis://u:s3cr3t-pw-77@h")

    monkeypatch.setattr(cli, "run", broken)
    assert cli.main(["--url", "redis://u:s3cr3t-pw-77@h:6379/0"]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError" in err and "s3cr3t" not in err
