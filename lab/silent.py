"""A TCP server on 127.0.0.1 that accepts connections and never sends a byte.

It stands for a hung or firewalled service (a PostgreSQL metrics store that does not answer, a
device whose SSH daemon hangs): a client waits for its own timeout. Counts the connections it
accepted, so a test can tell how often a client tried. Used through the ``silent_server``
fixture (lab/pytest_plugin.py).
"""
from __future__ import annotations

import socket
import threading


class SilentServer:
    """Listens on 127.0.0.1 (an ephemeral ``port``), accepts, answers nothing; ``accepted`` holds the
    accepted sockets. ``close()`` stops it and closes them. Opens its socket when constructed."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port: int = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._serve, name="silent-server", daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                self.accepted.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        """Stop accepting and close every accepted connection."""
        self.sock.close()
        for conn in self.accepted:
            conn.close()
