# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Further passwords of the same user on one SSH connection, and TCP_NODELAY on every connection.

At WAN latency a credential attempt costs round trips, not CPU: a fresh connection is TCP, the
version exchange, the key exchange, the ``ssh-userauth`` service request and the password (about
8 round trips against OpenSSH), one more password on the same connection is one round trip plus
the server's answer. The protocol allows it:

- RFC 4252 section 5: a client may send one ``SSH_MSG_USERAUTH_REQUEST`` after another on one
  connection; the server answers each failure with ``SSH_MSG_USERAUTH_FAILURE`` (section 5.1). The
  user name is repeated in each request and MAY change, but a server that cannot flush its
  authentication state MUST disconnect when it does: OpenSSH (``auth2.c``,
  ``input_userauth_request``: "Change of username or service not allowed") and Dropbear do. So
  only credentials of one user name share a connection.
- RFC 4252 section 4: the server SHOULD limit the failed attempts of one connection and
  disconnect past it. OpenSSH ``MaxAuthTries`` (default 6; ``auth2.c`` ``userauth_finish`` ->
  ``auth_maxtries_exceeded`` disconnects instead of answering), Cisco IOS
  ``ip ssh authentication-retries`` (default 3), Junos ``system login retry-options``
  (``tries-before-disconnect`` 10, and after ``backoff-threshold`` = 2 failures a
  ``backoff-factor`` of 5 s per further try). Hence at most two passwords per connection by
  default: the Junos backoff starts after the 2nd failure.
- Lockout counters (Cisco local max-fail, AAA servers) count failed passwords, not connections:
  two passwords on one connection cost the same as two connections with one each.

A connection the device closed is never used again: when the answer to a password on a reused
connection is the end of the connection (the device closed it after the previous failure, as
Dropbear does at its limit), that password was not judged; it goes to a fresh connection and is
still recorded once. paramiko does not set ``TCP_NODELAY``, so the first userauth request waits
behind the key exchange's last packet for the peer's TCP ack (one more round trip at WAN
latency); ``client()`` sets it on every socket it connects.

Used by ``_attempts.attempt_one`` through netmiko's ``BaseConnection._get_ssh_client_instance``
hook (netmiko >= 4.7.0); paramiko's ``SSHClient.connect(transport_factory=...)`` (>= 3.2).
"""
from __future__ import annotations

import functools
import socket
import threading
from typing import Any

try:
    import paramiko
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib
    paramiko = None


PASSWORDS_PER_CONNECTION = 2
"""The default of ``passwords_per_connection``: below the Junos backoff, which starts after the 2nd failure."""


def sharable(credential: dict) -> bool:
    """True when ``credential`` may go on a connection opened for another credential: it has a
    password and no ``ssh_key_file`` (a key credential always gets a fresh connection)."""
    return bool(credential.get("password")) and not credential.get("ssh_key_file")


def set_nodelay(sock: Any) -> None:
    """Set ``TCP_NODELAY`` on ``sock`` when it is a TCP socket (a ProxyCommand is left alone)."""
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _nodelay_transport(sock: Any, **kwargs: Any) -> Any:
    """paramiko ``transport_factory``: a ``Transport`` over ``sock`` with TCP_NODELAY set."""
    set_nodelay(sock)
    return paramiko.Transport(sock, **kwargs)


def _answered(transport: Any, before: Any) -> bool:
    """True when the device answered the userauth request just made on ``transport`` (success or
    failure) rather than closing the connection first. ``before``: the transport's auth handler
    before the request (paramiko makes a new one per request; the same one = nothing was sent).
    True when paramiko does not say (the safe side: the password counts as judged)."""
    handler = getattr(transport, "auth_handler", None)
    if handler is before:
        return False
    # paramiko's AuthHandler holds the request's user name until an SSH_MSG_USERAUTH_FAILURE
    # clears it (_parse_userauth_failure); the end of the connection leaves it set.
    return bool(getattr(handler, "authenticated", True)) or getattr(handler, "username", None) is None


@functools.lru_cache(maxsize=1)
def _serviced_handler() -> Any:
    """paramiko's ``AuthHandler`` without the ``ssh-userauth`` service request, or None when this
    paramiko lacks the methods it relies on (then the transport's own ``auth_password`` is used)."""
    base = getattr(getattr(paramiko, "auth_handler", None), "AuthHandler", None)
    if base is None or not all(hasattr(base, name) for name in ("_request_auth", "_parse_service_accept", "wait_for_response")):
        return None

    class ServicedAuthHandler(base):  # type: ignore[misc,valid-type]
        """The service was accepted on this connection already (RFC 4253 section 10): send the
        userauth request at once, as paramiko does once the service is accepted."""

        def _request_auth(self) -> None:
            accepted = paramiko.Message()
            accepted.add_string("ssh-userauth")
            accepted.rewind()
            self._parse_service_accept(accepted)

    return ServicedAuthHandler


def _password_on(transport: Any, username: str | None, password: str | None) -> Any:
    """One password on an open connection whose ``ssh-userauth`` service was accepted with the first
    one: the userauth request goes out at once (paramiko's ``auth_password`` would ask for the
    service again, one more round trip). Falls back to keyboard-interactive as ``auth_password``
    does. Raises what paramiko's ``auth_password`` raises."""
    handler_class = _serviced_handler()
    if handler_class is None:
        return transport.auth_password(username, password)
    event = threading.Event()
    transport.auth_handler = handler = handler_class(transport)
    handler.auth_password(username, password, event)
    try:
        return handler.wait_for_response(event)
    except paramiko.BadAuthenticationType as exc:
        if "keyboard-interactive" not in exc.allowed_types:
            raise
        try:
            return transport.auth_interactive(username, lambda title, instructions, fields: [password] * len(fields[:1]))
        except paramiko.SSHException:
            raise exc from None


class SharedLogin:
    """At most one open SSH connection whose last password the device rejected, kept for the next
    credential of the same user name.

    ``passwords_per_connection`` (int >= 1): passwords sent on one connection at most; 1 = a fresh
    connection for every credential. One instance serves one device's credential loop, in one
    thread; ``close()`` (idempotent) ends the kept connection.
    """

    def __init__(self, passwords_per_connection: int = PASSWORDS_PER_CONNECTION) -> None:
        self.limit = max(1, int(passwords_per_connection))
        self.transport: Any = None
        self.username: str | None = None
        self.sent = 0  # passwords sent on the kept connection

    def take(self, credential: dict) -> Any:
        """The kept connection (a paramiko ``Transport``) when ``credential`` may go on it (same
        user name, password only, under the limit, still open); else None, the kept one closed."""
        transport, self.transport = self.transport, None
        same_user = sharable(credential) and credential.get("username") == self.username
        if transport is not None and same_user and self.sent < self.limit and transport.is_active():
            return transport
        if transport is not None:
            transport.close()
        self.sent = 0
        return None

    def may_keep(self, credential: dict) -> bool:
        """True when a connection that ``credential``'s password did not open may carry one more password."""
        return sharable(credential) and self.sent + 1 < self.limit

    def keep(self, transport: Any, credential: dict) -> None:
        """Keep ``transport``, on which ``credential``'s password was just rejected."""
        self.close()
        self.transport, self.username = transport, credential.get("username")
        self.sent += 1

    def close(self) -> None:
        """Close the kept connection, if any (never raises)."""
        transport, self.transport = self.transport, None
        if transport is not None:
            transport.close()


def client(reuse: Any = None, keep_open: bool = False) -> Any:
    """A paramiko ``SSHClient`` for netmiko's ``_get_ssh_client_instance`` hook.

    Its ``connect`` opens the TCP connection with TCP_NODELAY set, or, with ``reuse`` (an open
    ``Transport`` from ``SharedLogin.take``), sends the password on that connection instead
    (keyboard-interactive fallback as paramiko's own password auth); when the device closed
    ``reuse`` without answering, it connects afresh. Its ``close`` keeps ``userauth_banner`` (str,
    '' when none) and, with ``keep_open``, keeps an open but unauthenticated transport in ``kept``
    instead of closing it (the caller hands it to ``SharedLogin.keep`` or closes it). Raises what
    paramiko raises.
    """

    class SharingClient(paramiko.SSHClient):
        """SSHClient with TCP_NODELAY, a reusable connection and the userauth banner kept."""

        userauth_banner = ""
        kept: Any = None

        def connect(self, hostname: str, port: int = 22, username: str | None = None, password: str | None = None,
                    **kwargs: Any) -> None:
            nonlocal reuse
            transport, reuse = reuse, None
            if transport is not None and transport.is_active():
                self._transport = transport
                before = getattr(transport, "auth_handler", None)
                try:
                    _password_on(transport, username, password)
                    return
                except (paramiko.SSHException, EOFError, OSError):
                    # EOFError/OSError: the close arrived while the request was being sent (seen under load)
                    if transport.is_active() or _answered(transport, before):
                        raise
                # the device closed the connection after the previous failure: this password was not judged
            if transport is not None:
                transport.close()
                self._transport = None
            kwargs["transport_factory"] = _nodelay_transport
            super().connect(hostname, port, username, password, **kwargs)

        def close(self) -> None:
            transport = self.get_transport()
            banner = transport.get_banner() if transport is not None else None
            if banner:
                self.userauth_banner = banner.decode("utf-8", "replace") if isinstance(banner, bytes) else str(banner)
            if keep_open and transport is not None and transport.is_active() and not transport.is_authenticated():
                self.kept, self._transport = transport, None
            super().close()

    return SharingClient()
