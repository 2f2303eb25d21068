"""Pure pieces of the cli_command retry loop: classification, planning, redaction, the stop rules.

Exceptions are built from the real paramiko/netmiko classes and chained the way netmiko chains
them (``raise NetmikoX(msg)`` inside ``except``), so ``__context__`` is what the code walks.
"""
from __future__ import annotations

import socket

import paramiko
import pytest
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException
from paramiko.ssh_exception import (
    AuthenticationException,
    BadAuthenticationType,
    BadHostKeyException,
    IncompatiblePeer,
    NoValidConnectionsError,
    SSHException,
)

from ansible_collections.netraven.core.plugins.module_utils import _attempts as A
from ansible_collections.netraven.core.plugins.module_utils import _credential as C
from ansible_collections.netraven.core.plugins.module_utils import _outcomes as O

PASSWORD_CRED = {"name": "pw", "username": "admin", "password": "Canary-unit-9f3"}
KEY_CRED = {"name": "key", "username": "admin", "ssh_key_file": "/tmp/id_test"}


def wrapped(inner: BaseException, outer: type = NetmikoTimeoutException) -> BaseException:
    """``outer`` raised while handling ``inner``, as netmiko's establish_connection does."""
    try:
        try:
            raise inner
        except Exception:  # noqa: BLE001
            raise outer("netmiko says something long")  # pylint: disable=raise-missing-from
    except Exception as exc:  # noqa: BLE001
        return exc


@pytest.fixture(scope="module")
def host_keys():
    return paramiko.RSAKey.generate(1024), paramiko.RSAKey.generate(1024)


@pytest.mark.parametrize(
    ("inner", "outer", "banner", "cred", "outcome", "cause"),
    [
        (NoValidConnectionsError({("127.0.0.1", 1): ConnectionRefusedError()}), NetmikoTimeoutException, "", PASSWORD_CRED,
         O.UNREACHABLE, "NoValidConnectionsError"),
        (socket.gaierror(-2, "Name or service not known"), NetmikoTimeoutException, "", PASSWORD_CRED, O.UNREACHABLE, "gaierror"),
        (socket.timeout("timed out"), NetmikoTimeoutException, "", PASSWORD_CRED, O.UNREACHABLE, "TimeoutError"),
        (SSHException("Error reading SSH protocol banner"), NetmikoTimeoutException, "", PASSWORD_CRED, O.UNREACHABLE, "SSHException"),
        (SSHException("Server '[127.0.0.1]:2222' not found in known_hosts"), NetmikoTimeoutException, "", PASSWORD_CRED,
         O.HOSTKEY_UNKNOWN, "SSHException"),
        (IncompatiblePeer("Incompatible ssh peer (no acceptable kex algorithm)"), NetmikoTimeoutException, "", PASSWORD_CRED,
         O.SSH_NEGOTIATION_FAILED, "IncompatiblePeer"),
        (AuthenticationException("Authentication failed."), NetmikoAuthenticationException, "", PASSWORD_CRED,
         O.AUTH_REJECTED, "AuthenticationException"),
        (AuthenticationException("Authentication timeout."), NetmikoAuthenticationException, "", PASSWORD_CRED,
         O.AUTH_TIMEOUT, "AuthenticationException"),
        (AuthenticationException("Authentication failed."), NetmikoAuthenticationException, "Account LOCKED for 300 s", PASSWORD_CRED,
         O.LOCKED_OUT, "AuthenticationException"),
        (AuthenticationException("Authentication failed."), NetmikoAuthenticationException, "Unauthorised access is blocked", PASSWORD_CRED,
         O.AUTH_REJECTED, "AuthenticationException"),
        (BadAuthenticationType("Bad authentication type", ["publickey"]), NetmikoAuthenticationException, "", PASSWORD_CRED,
         O.AUTH_METHOD_UNSUPPORTED, "BadAuthenticationType"),
        (BadAuthenticationType("Bad authentication type", ["keyboard-interactive"]), NetmikoAuthenticationException, "", PASSWORD_CRED,
         O.AUTH_REJECTED, "BadAuthenticationType"),
        (BadAuthenticationType("Bad authentication type", ["keyboard-interactive", "password"]), NetmikoAuthenticationException, "",
         KEY_CRED, O.AUTH_METHOD_UNSUPPORTED, "BadAuthenticationType"),
        (BadAuthenticationType("Bad authentication type", []), NetmikoAuthenticationException, "device locked", PASSWORD_CRED,
         O.LOCKED_OUT, "BadAuthenticationType"),
    ],
)
def test_classify_connect_error(inner, outer, banner, cred, outcome, cause) -> None:
    exc = wrapped(inner, outer)
    got, root = A.classify_connect_error(exc, banner, cred)
    assert (got, type(root).__name__) == (outcome, cause)


def test_bad_host_key_is_mismatch(host_keys) -> None:
    got_key, expected = host_keys
    exc = wrapped(BadHostKeyException("[127.0.0.1]:2222", got_key, expected))
    assert A.classify_connect_error(exc, "", PASSWORD_CRED)[0] == O.HOSTKEY_MISMATCH


def test_netmiko_wrapper_alone() -> None:
    assert A.classify_connect_error(NetmikoAuthenticationException("Authentication timeout."))[0] == O.AUTH_TIMEOUT
    assert A.classify_connect_error(NetmikoAuthenticationException("Authentication failed."))[0] == O.AUTH_REJECTED
    assert A.classify_connect_error(NetmikoTimeoutException("No existing session"))[0] == O.UNREACHABLE


def test_plan_drops_duplicates_by_name_and_by_secret() -> None:
    creds = [
        {"name": "a", "username": "u", "password": "p1"},
        {"name": "a", "username": "u", "password": "p2"},
        {"name": "b", "username": "u", "password": "p1"},
        {"name": "c", "username": "v", "password": "p1"},
        {"name": "d", "username": "u", "ssh_key_file": "/k"},
    ]
    candidates, not_tried = A.plan_attempts(creds)
    assert [c["name"] for c in candidates] == ["a", "c", "d"]
    assert not_tried == [
        {"credential": "a", "reason": "duplicate name"},
        {"credential": "b", "reason": "same username and secret as a"},
    ]


def test_redact_longest_first() -> None:
    secrets = C.secrets_of([{"password": "abc"}, {"password": "abcdef", "enable_secret": "zz"}, {"password": ""}])
    assert secrets[0] == "abcdef" and set(secrets) == {"abc", "abcdef", "zz"}
    assert A.redact("x abcdef y abc zz", secrets) == "x ******** y ******** ********"


def test_public_view_has_no_secret() -> None:
    view = C.public_view(dict(PASSWORD_CRED, enable_secret="e", priority=5))
    assert view == {"name": "pw", "username": "admin", "priority": 5}


def test_connect_params_password_offers_no_keys() -> None:
    params = A.connect_params(A.Target("10.0.0.1", 2222, "arista_eos"), PASSWORD_CRED, A.Timeouts(1, 2, 3, 4))
    assert params["password"] == "Canary-unit-9f3" and params["key_file"] is None
    assert params["allow_agent"] is False and params["use_keys"] is False
    assert (params["conn_timeout"], params["banner_timeout"], params["auth_timeout"]) == (1, 2, 3)
    assert params["ssh_strict"] and params["system_host_keys"] and not params["alt_host_keys"]
    assert params["auto_connect"] is False


def test_connect_params_key_offers_exactly_its_key() -> None:
    params = A.connect_params(A.Target("h", known_hosts_file="/kh"), KEY_CRED, A.Timeouts())
    assert params["key_file"] == "/tmp/id_test" and params["password"] is None
    assert params["use_keys"] is False and params["allow_agent"] is False  # no ~/.ssh/id_* after it
    assert params["alt_host_keys"] and params["alt_key_file"] == "/kh"


def test_connect_params_without_host_key_checking() -> None:
    params = A.connect_params(A.Target("h", host_key_checking=False, known_hosts_file="/kh"), PASSWORD_CRED, A.Timeouts())
    assert not params["ssh_strict"] and not params["system_host_keys"] and not params["alt_host_keys"]


class Script:
    """A scripted ``attempt`` seam: outcome per credential name, records the calls."""

    def __init__(self, outcomes: dict[str, str]) -> None:
        self.outcomes = outcomes
        self.calls: list[str] = []

    def __call__(self, target, cred, commands, timeouts) -> dict:
        self.calls.append(cred["name"])
        outcome = self.outcomes[cred["name"]]
        return {"outcome": outcome, "phase": "connect", "exception": None, "cause": None,
                "detail": f"server said {cred.get('password')}", "stdout": ["out"] if outcome == O.SUCCESS else []}


def creds(*names: str) -> list[dict]:
    return [{"name": n, "username": "u", "password": f"Canary-{n}-9f3", "priority": i} for i, n in enumerate(names)]


@pytest.mark.parametrize(
    ("outcomes", "tried", "final"),
    [
        ({"a": O.AUTH_REJECTED, "b": O.SUCCESS, "c": O.SUCCESS}, ["a", "b"], O.SUCCESS),
        ({"a": O.AUTH_METHOD_UNSUPPORTED, "b": O.AUTH_REJECTED, "c": O.SUCCESS}, ["a", "b", "c"], O.SUCCESS),
        ({"a": O.UNREACHABLE, "b": O.SUCCESS, "c": O.SUCCESS}, ["a"], O.UNREACHABLE),
        ({"a": O.AUTH_REJECTED, "b": O.HOSTKEY_MISMATCH, "c": O.SUCCESS}, ["a", "b"], O.HOSTKEY_MISMATCH),
        ({"a": O.AUTH_TIMEOUT, "b": O.SUCCESS, "c": O.SUCCESS}, ["a"], O.AUTH_TIMEOUT),
        ({"a": O.LOCKED_OUT, "b": O.SUCCESS, "c": O.SUCCESS}, ["a"], O.LOCKED_OUT),
        ({"a": O.PASSWORD_EXPIRED, "b": O.SUCCESS, "c": O.SUCCESS}, ["a"], O.PASSWORD_EXPIRED),
        ({"a": O.SSH_NEGOTIATION_FAILED, "b": O.SUCCESS, "c": O.SUCCESS}, ["a"], O.SSH_NEGOTIATION_FAILED),
        ({"a": O.ENABLE_FAILED, "b": O.SUCCESS, "c": O.SUCCESS}, ["a"], O.ENABLE_FAILED),
        ({"a": O.COMMAND_TIMEOUT, "b": O.SUCCESS, "c": O.SUCCESS}, ["a"], O.COMMAND_TIMEOUT),
    ],
)
def test_stop_rules(outcomes, tried, final) -> None:
    script = Script(outcomes)
    summary = A.run_attempts(A.Target("h"), creds("a", "b", "c"), [], attempt=script, sleep=lambda s: None)
    assert script.calls == tried
    assert summary["outcome"] == final
    assert [a["outcome"] for a in summary["attempts"]] == [outcomes[n] for n in tried]


def test_enable_failed_moves_on_when_asked() -> None:
    script = Script({"a": O.ENABLE_FAILED, "b": O.SUCCESS})
    summary = A.run_attempts(A.Target("h"), creds("a", "b"), [], attempt=script, next_on_enable_failed=True, sleep=lambda s: None)
    assert script.calls == ["a", "b"] and summary["credential"]["name"] == "b"


def test_max_attempts_and_delay() -> None:
    script, slept, seen = Script(dict.fromkeys("abcd", O.AUTH_REJECTED)), [], []
    summary = A.run_attempts(A.Target("h"), creds("a", "b", "c", "d"), [], max_attempts=2, attempt_delay=1.5,
                             attempt=script, sleep=slept.append, on_attempt=seen.append)
    assert script.calls == ["a", "b"] and slept == [1.5]
    assert [r["credential"] for r in seen] == ["a", "b"]
    assert summary["credential"] is None and summary["outcome"] == O.AUTH_REJECTED
    assert [s["credential"] for s in summary["not_tried"]] == ["c", "d"]
    assert all("max_attempts (2)" in s["reason"] for s in summary["not_tried"])


def test_messages_are_redacted_and_success_returns_public_view() -> None:
    script = Script({"a": O.AUTH_REJECTED, "b": O.SUCCESS})
    summary = A.run_attempts(A.Target("h"), creds("a", "b"), ["show clock"], attempt=script, sleep=lambda s: None)
    assert summary["credential"] == {"name": "b", "username": "u", "priority": 1}
    assert summary["stdout"] == ["out"]
    text = repr(summary)
    assert "Canary-" not in text and "server said ********" in summary["attempts"][0]["message"]


def test_no_credentials() -> None:
    summary = A.run_attempts(A.Target("h"), [], [])
    assert summary == {"outcome": None, "credential": None, "attempts": [], "not_tried": [], "stdout": []}


def test_unreadable_key_file_is_method_unsupported(tmp_path) -> None:
    cred = {"name": "k", "username": "u", "ssh_key_file": str(tmp_path / "missing")}
    raw = A.attempt_one(A.Target("127.0.0.1", 1), cred, [], A.Timeouts())
    assert raw["outcome"] == O.AUTH_METHOD_UNSUPPORTED and "not readable" in raw["detail"]


def test_refused_port_is_unreachable_over_real_tcp() -> None:
    with socket.socket() as sock:  # a port that is certainly closed: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        summary = A.run_attempts(A.Target("127.0.0.1", port, host_key_checking=False), creds("a", "b"), [])
    assert [a["outcome"] for a in summary["attempts"]] == [O.UNREACHABLE]
    assert summary["attempts"][0]["cause"] == "NoValidConnectionsError"
