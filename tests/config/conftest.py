"""Fixtures for the configuration tests."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest


class CountingSilentPeer:
    """Accepts TCP connections, counts them and never answers (a hung server)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self.accepted.append(self.sock.accept()[0])

    def close(self) -> None:
        for conn in [*self.accepted, self.sock]:
            conn.close()


@pytest.fixture
def silent_peer():
    peer = CountingSilentPeer()
    yield peer
    peer.close()
