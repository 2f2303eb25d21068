"""lab.latency's delay line on real sockets: order, delay, end of stream, stop."""
from __future__ import annotations

import socket
import time

from lab.latency import DelayLine, wrap_if_delayed


def _pair() -> tuple[socket.socket, socket.socket]:
    """A connected TCP pair on 127.0.0.1: (client, accepted)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname(), timeout=5)
        accepted, _addr = server.accept()
    return client, accepted


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def test_bytes_arrive_in_order_late_and_the_end_follows() -> None:
    line = DelayLine()
    client, accepted = _pair()
    try:
        start = time.monotonic()
        inner = line.wrap(accepted, 0.2)
        inner.settimeout(5)
        inner.sendall(b"SSH-2.0-lab\r\n")  # the server speaks first
        assert client.recv(64) == b"SSH-2.0-lab\r\n"
        assert time.monotonic() - start >= 0.4  # handshake 1.5 x RTT + half a round trip (a lower bound)
        payload = bytes(range(256)) * 2000  # 512 kB, several chunks: order kept, sent back to back
        sent = time.monotonic()
        client.sendall(payload)
        client.shutdown(socket.SHUT_WR)
        assert _read_all(inner) == payload  # ... then the end of stream, after the data
        assert time.monotonic() - sent >= 0.1
        inner.close()
        assert _read_all(client) == b""  # the server's close reaches the client as an end of stream
    finally:
        client.close()
        line.stop()


def test_no_latency_gives_the_socket_itself_and_stop_closes_relayed_sockets() -> None:
    client, accepted = _pair()
    assert wrap_if_delayed(None, accepted, 100) is accepted and wrap_if_delayed(DelayLine(), accepted, 0) is accepted
    line = DelayLine()
    inner = line.wrap(accepted, 0.05)
    line.stop()
    client.settimeout(5)
    assert client.recv(10) == b""  # the relay closed its side
    assert accepted.fileno() == -1
    client.close()
    inner.close()
