"""A delay line inside the lab process: WAN round trips on 127.0.0.1 without touching the host's network.

A device with ``latency_ms`` (the round trip, in milliseconds) does not give its accepted TCP
socket to paramiko. :class:`DelayLine` puts a socketpair in between and relays the bytes, each
one half the round trip late in each direction, in order, without limiting the bandwidth (a
delay line, not a sleep per packet). The kernel's TCP handshake on loopback costs nothing, so
the relay also charges it: nothing reaches the server before one round trip after the accept
and nothing reaches the client before one and a half (the SYN / SYN-ACK / ACK exchange and the
server's accept). End of stream (FIN) is delayed like data. One thread serves every delayed
connection of the lab.

What it cannot imitate: TCP acknowledgements. The kernel acknowledges at once on loopback, so
a client without TCP_NODELAY sees no Nagle stall here (on a real WAN its second small packet
waits one round trip for the ack of the first).
"""
from __future__ import annotations

import heapq
import itertools
import selectors
import socket
import threading
import time
from typing import Any

SEND_TIMEOUT = 10.0
"""Seconds a relayed write may block before the connection is dropped."""


class _Pipe:
    """One direction of one relayed connection: bytes read from ``src`` are written to ``dst``."""

    def __init__(self, src: socket.socket, dst: socket.socket, one_way: float, gate: float, link: "_Link") -> None:
        self.src, self.dst, self.one_way, self.gate, self.link = src, dst, one_way, gate, link


class _Link:
    """Both directions of one relayed connection; closed once both have delivered their end of stream."""

    def __init__(self, outer: socket.socket, inner: socket.socket) -> None:
        self.sockets = (outer, inner)
        self.ends = 0

    def close(self) -> None:
        """Close both sockets (idempotent)."""
        for sock in self.sockets:
            try:
                sock.close()
            except OSError:
                pass


class DelayLine:
    """The lab's delay line: ``wrap(sock, rtt_s)`` returns the socket to give paramiko instead of ``sock``.

    ``start()`` is implicit at the first ``wrap``; ``stop()`` ends the thread and closes every
    relayed socket. Thread-safe.
    """

    def __init__(self) -> None:
        self._sel = selectors.DefaultSelector()
        self._heap: list[tuple[float, int, _Pipe, bytes]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._links: set[_Link] = set()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wrap(self, sock: socket.socket, rtt_s: float) -> socket.socket:
        """Relay ``sock`` (an accepted client connection) with ``rtt_s`` seconds of round trip;
        return the other end of the relay (a connected stream socket) for the SSH server."""
        inner, outer = socket.socketpair()
        now = time.monotonic()
        link = _Link(sock, outer)
        for s in (sock, outer):
            s.settimeout(SEND_TIMEOUT)
        up = _Pipe(sock, outer, rtt_s / 2, now + rtt_s, link)          # client -> server
        down = _Pipe(outer, sock, rtt_s / 2, now + 1.5 * rtt_s, link)  # server -> client
        with self._lock:
            self._links.add(link)
            self._sel.register(sock, selectors.EVENT_READ, up)
            self._sel.register(outer, selectors.EVENT_READ, down)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lab-delay-line", daemon=True)
                self._thread.start()
        self._wake_w.send(b"x")
        return inner

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                due = self._heap[0][0] - time.monotonic() if self._heap else 0.5
            for key, _events in self._sel.select(timeout=max(0.0, min(due, 0.5))):
                if key.data is None:
                    self._wake_r.recv(4096)
                else:
                    self._read(key.data)
            self._deliver()

    def _read(self, pipe: _Pipe) -> None:
        """Read what ``pipe.src`` has and schedule it (b'' = end of stream)."""
        try:
            data = pipe.src.recv(65536)
        except (BlockingIOError, InterruptedError, socket.timeout):
            return
        except OSError:
            data = b""
        if not data:
            with self._lock:
                self._sel.unregister(pipe.src)
        when = max(time.monotonic(), pipe.gate) + pipe.one_way
        with self._lock:
            heapq.heappush(self._heap, (when, next(self._seq), pipe, data))

    def _deliver(self) -> None:
        """Write every chunk whose time has come, in order."""
        while True:
            with self._lock:
                if not self._heap or self._heap[0][0] > time.monotonic():
                    return
                _when, _seq, pipe, data = heapq.heappop(self._heap)
            try:
                if data:
                    pipe.dst.sendall(data)
                else:
                    pipe.dst.shutdown(socket.SHUT_WR)
            except OSError:
                data = b""
            if not data:
                self._end(pipe)

    def _end(self, pipe: _Pipe) -> None:
        """One direction of a link has ended; close the link when both have."""
        link = pipe.link
        link.ends += 1
        if link.ends >= 2:
            with self._lock:
                self._forget(link)

    def _forget(self, link: _Link) -> None:
        """Unregister and close ``link`` (caller holds the lock)."""
        for sock in link.sockets:
            try:
                self._sel.unregister(sock)
            except (KeyError, ValueError):
                pass
        link.close()
        self._links.discard(link)

    def stop(self) -> None:
        """Stop the thread and close every relayed connection."""
        self._stop.set()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(timeout=2)
        with self._lock:
            for link in list(self._links):
                self._forget(link)
        self._sel.close()
        self._wake_r.close()
        self._wake_w.close()


def wrap_if_delayed(line: DelayLine | None, sock: socket.socket, latency_ms: float) -> Any:
    """``sock`` itself when ``latency_ms`` is 0, else the delayed end from ``line.wrap``."""
    if not latency_ms or line is None:
        return sock
    return line.wrap(sock, latency_ms / 1000.0)
