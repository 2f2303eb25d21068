"""The pure parts of _shared_login: which credential may go on a kept connection, TCP_NODELAY, answers."""
from __future__ import annotations

import socket

import pytest

from ansible_collections.netraven.core.plugins.module_utils import _shared_login as S

ADMIN = {"username": "admin", "password": "x"}


class Transport:
    """A stand-in for paramiko's Transport: open until closed."""

    def __init__(self) -> None:
        self.closed = False

    def is_active(self) -> bool:
        return not self.closed

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("cred, ok", [
    ({"username": "admin", "password": "y"}, True),
    ({"username": "ops", "password": "y"}, False),                          # another user: servers refuse the change
    ({"username": "admin", "password": "y", "ssh_key_file": "/k"}, False),  # a key credential: fresh connection
    ({"username": "admin", "ssh_key_file": "/k"}, False),
])
def test_take_only_for_the_same_user_with_a_password(cred: dict, ok: bool) -> None:
    shared, kept = S.SharedLogin(3), Transport()
    shared.keep(kept, ADMIN)
    taken = shared.take(cred)
    assert (taken is kept) is ok and kept.closed is (not ok)


def test_limit_counts_passwords_per_connection() -> None:
    shared = S.SharedLogin(2)
    assert shared.take(ADMIN) is None and shared.may_keep(ADMIN)  # 1st password on a fresh connection
    kept = Transport()
    shared.keep(kept, ADMIN)
    assert shared.take(ADMIN) is kept and not shared.may_keep(ADMIN)  # 2nd password: the last on it
    assert S.SharedLogin(1).may_keep(ADMIN) is False  # 1 = today's behaviour: never kept


def test_a_closed_connection_is_not_taken_and_close_is_idempotent() -> None:
    shared, kept = S.SharedLogin(3), Transport()
    shared.keep(kept, ADMIN)
    kept.closed = True
    assert shared.take(ADMIN) is None and shared.sent == 0
    shared.close()
    shared.close()


def test_set_nodelay_on_tcp_only() -> None:
    with socket.socket() as tcp:
        S.set_nodelay(tcp)
        assert tcp.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    left, right = socket.socketpair()
    with left, right:
        S.set_nodelay(left)  # an AF_UNIX pair (or a ProxyCommand): left alone, no error


def test_answered_tells_a_failure_from_the_end_of_the_connection() -> None:
    class Handler:
        def __init__(self, username, authenticated=False) -> None:
            self.username, self.authenticated = username, authenticated

    class T:
        auth_handler = None

    t, before = T(), Handler(None)
    t.auth_handler = before
    assert S._answered(t, before) is False  # no new request was made (the transport was already closed)
    t.auth_handler = Handler(None)           # USERAUTH_FAILURE cleared the user name
    assert S._answered(t, before) is True
    t.auth_handler = Handler("admin")        # still waiting when the connection ended
    assert S._answered(t, before) is False
    t.auth_handler = Handler("admin", authenticated=True)
    assert S._answered(t, before) is True


def test_this_paramiko_can_skip_the_second_service_request() -> None:
    """The fast path (one round trip per further password) is available on the installed paramiko."""
    handler = S._serviced_handler()
    assert handler is not None and handler._request_auth is not S.paramiko.auth_handler.AuthHandler._request_auth
