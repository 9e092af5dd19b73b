"""Fixtures for the doctor's tests (helpers they import: tests/doctor/helpers.py)."""

from __future__ import annotations

import pytest

from tests.doctor.helpers import diagnose


@pytest.fixture
def doctor():
    return diagnose
