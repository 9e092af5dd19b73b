"""The doctor's results: one row per check, a table for people and JSON for machines.

Every row carries its id and its docs link
(``snippets.checks.docs_url``); a passing row reuses the id of the failure it rules out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from snippets.checks import CHECKS, docs_url
from snippets.config.redact import Redactor  # every output goes through it

__all__ = ["Redactor", "Report", "Result", "found"]

STATUSES = ("pass", "warn", "fail", "skip")
MARKS = {"pass": "✓", "warn": "!", "fail": "✗", "skip": "-"}


@dataclass(frozen=True)
class Result:
    """One check: its id, pass/warn/fail/skip and a line a person can act on."""

    id: str
    status: str
    summary: str

    def as_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "status": self.status,
            "summary": self.summary,
            "docs": docs_url(self.id),
        }


def found(check_id: str, detail: str = "") -> Result:
    """The problem ``check_id`` was found: its catalogue status and summary, plus detail."""
    check = CHECKS[check_id]
    return Result(check_id, check.status, check.summary + (f" ({detail})" if detail else ""))




@dataclass
class Report:
    """Everything one run found, in the order the checks ran."""

    target: str
    checks: list[Result] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(r.status == "fail" for r in self.checks)

    def as_dict(self, redact: Redactor) -> dict:
        return {
            "target": redact(self.target),
            "ok": self.ok,
            "checks": [{k: redact(v) for k, v in r.as_dict().items()} for r in self.checks],
        }

    def table(self, redact: Redactor) -> str:
        """A compact table: mark and status, id, summary, docs link."""
        width = max((len(r.id) for r in self.checks), default=10)
        lines = [f"redis-doctor: {redact(self.target)}", ""]
        for r in self.checks:
            lines.append(f"{MARKS[r.status]} {r.status:4}  {r.id:{width}}  {redact(r.summary)}")
            lines.append(f"  {'':4}  {'':{width}}  {docs_url(r.id)}")
        counts = {s: sum(r.status == s for r in self.checks) for s in STATUSES}
        verdict = "OK" if self.ok else "PROBLEMS FOUND"
        lines += [
            "",
            f"{verdict}: {counts['fail']} failing, {counts['warn']} warnings, "
            f"{counts['pass']} passed, {counts['skip']} skipped",
        ]
        return "\n".join(lines)


if __name__ == "__main__":
    demo = Report(
        "redis://default:***@red-xxxxx:6379/0",
        [
            Result("net.dns", "pass", "red-xxxxx resolves to 10.0.0.7"),
            found("auth.wrongpass", "WRONGPASS"),
        ],
    )
    print(demo.table(Redactor()))
