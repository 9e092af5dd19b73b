"""snippets/doctor/report.py: rows, redaction, table and JSON."""

from __future__ import annotations

from snippets.checks import docs_url
from snippets.doctor.report import MARKS, Redactor, Report, Result, found
from tests.demos import run_demo
from tools import harness


def test_found_uses_the_catalogue():
    row = found("net.refused", "127.0.0.1:6379")
    assert row == Result(
        "net.refused", "fail", "nothing is listening at that host and port (127.0.0.1:6379)"
    )
    assert row.as_dict()["docs"] == docs_url("net.refused")
    assert found("latency.high").status == "warn"


def test_redactor_hides_passwords_raw_encoded_and_in_urls():
    password = "p@ss/" + harness.random_password()
    redact = Redactor(password, None, "")
    text = f"a {password} b redis://u:{password.replace('@', '%40').replace('/', '%2F')}@h:1/0"
    out = redact(text)
    assert password not in out and "%40" not in out
    assert redact("rediss://:unknown-secret-value@h:6379/0") == "rediss://:***@h:6379/0"


def test_table_and_json():
    password = harness.random_password()
    report = Report(
        f"redis://:{password}@h:1/0",
        [Result("net.dns", "pass", "ok"), found("auth.wrongpass", f"sent {password}")],
    )
    redact = Redactor(password)
    table = report.table(redact)
    assert password not in table
    assert MARKS["fail"] in table and docs_url("auth.wrongpass") in table
    assert table.splitlines()[-1].startswith("PROBLEMS FOUND: 1 failing")
    data = report.as_dict(redact)
    assert data["ok"] is False and password not in str(data)
    assert set(data["checks"][0]) == {"id", "status", "summary", "docs"}
    assert (
        Report("x", [Result("net.dns", "pass", "ok")])
        .table(redact)
        .endswith("OK: 0 failing, 0 warnings, 1 passed, 0 skipped")
    )


def test_demo_runs():
    out = run_demo("snippets.doctor.report", check=True)
    assert "auth.wrongpass" in out.stdout and "red-xxxxx" in out.stdout


def test_demo_in_process(monkeypatch, capsys):
    """The same demo in-process, so its lines count even if a subprocess's data is lost."""
    import runpy

    monkeypatch.setenv("REDIS_URL", "redis://red-xxxxx:6379")
    from snippets.doctor import report as module

    runpy.run_path(module.__file__, run_name="__main__")
    assert capsys.readouterr().out


def test_password_with_an_at_sign_is_hidden_whole():
    password = "p@ss" + harness.random_password()
    redact = Redactor(password)
    out = redact(f"redis://:{password}@red-xxxxx:6379/0 and {password}")
    assert out == "redis://:***@red-xxxxx:6379/0 and ***"
    assert password[4:] not in out
