"""Fixtures for the configuration tests."""

from __future__ import annotations

import pytest

from tools import harness


@pytest.fixture
def silent_peer():
    """A hung server: accepts TCP connections, counts them (``accepted``), never answers."""
    peer = harness.SilentEndpoint()
    yield peer
    peer.stop()
