"""snippets/checks.py: the id catalogue and its docs links."""

from snippets import checks
from tests.demos import run_demo


def test_every_id_has_a_status_and_a_group_page(monkeypatch):
    for check_id, check in checks.CHECKS.items():
        assert check.status in {"fail", "warn"}, check_id
        group, _, name = check_id.partition(".")
        assert name, check_id
        assert checks.docs_path(check_id) == (
            f"troubleshooting/{group}/#{check_id.replace('.', '-')}"
        )
    monkeypatch.setenv("DOCS_BASE_URL", "http://127.0.0.1:8000/")
    assert (
        checks.docs_url("tls.verify-failed")
        == "http://127.0.0.1:8000/troubleshooting/tls/#tls-verify-failed"
    )


def test_default_docs_base_is_published_latest():
    assert checks.docs_url("net.refused").startswith(
        "https://pharmacare-redis-guide.netlify.app/latest/troubleshooting/net/"
    )


def test_demo_lists_every_id():
    out = run_demo("snippets.checks", check=True)
    assert len(out.stdout.splitlines()) == len(checks.CHECKS)


def test_every_id_is_in_the_symptom_table():
    ids = {s.check for s in checks.SYMPTOMS if s.check}
    assert ids == set(checks.CHECKS)
    table = checks.symptom_table()
    for check_id in checks.CHECKS:
        assert f"`{check_id}`" in table


def test_demo_prints_the_table():
    out = run_demo("snippets.checks", "--table", check=True)
    assert out.stdout == checks.symptom_table()
