"""The runbook CLI: ``python -m snippets.doctor`` or, once the repo is pip-installed,
``redis-doctor``. See docs/troubleshooting/doctor.md."""

from snippets.doctor.cli import main

__all__ = ["main"]
