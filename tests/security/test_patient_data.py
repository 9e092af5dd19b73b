"""Patient data rule (docs/operations/security.md): Redis holds ids, never patient details.

Static check over every snippet: no dict key, keyword argument or f-string in a key that
names a patient detail. Queue payloads are also checked at run time by tests/queues.
"""

from __future__ import annotations

import ast

from tools.paths import ROOT

# Field names that only ever mean a patient detail ("name" alone is too generic to judge).
PATIENT_DETAILS = {
    "patient_name",
    "first_name",
    "last_name",
    "full_name",
    "dob",
    "date_of_birth",
    "birthdate",
    "ssn",
    "address",
    "phone",
    "email",
    "diagnosis",
    "medication_name",
    "dosage",
    "insurance_number",
    "medical_history",
}


def offending_names(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        keys: list[ast.AST] = []
        if isinstance(node, ast.Dict):
            keys = [k for k in node.keys if k is not None]
        elif isinstance(node, ast.Call):
            keys = [ast.Constant(kw.arg) for kw in node.keywords if kw.arg]
            for kw in node.keywords:
                kw.value.lineno = getattr(kw.value, "lineno", node.lineno)
        for key in keys:
            if (
                isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and key.value.lower() in PATIENT_DETAILS
            ):
                found.append((getattr(key, "lineno", node.lineno), key.value))
    return found


def test_checker_catches_a_patient_detail():
    assert offending_names('enqueue({"patient_id": 7, "date_of_birth": "1970-01-01"})') == [
        (1, "date_of_birth")
    ]
    assert offending_names("add_job(patient_id=7, email='a@b.c')") == [(1, "email")]


def test_snippets_store_ids_not_patient_details():
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {name!r} — store an id and look the detail up"
        for path in sorted((ROOT / "snippets").rglob("*.py"))
        for line, name in offending_names(path.read_text())
    ]
    assert not problems, "\n".join(problems)
