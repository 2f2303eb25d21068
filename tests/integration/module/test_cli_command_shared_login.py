"""Issue 16 against the lab: further passwords of one user on one SSH connection, TCP_NODELAY, latency.

The proof is the lab's auth log: each record carries ``connection`` (the number of the SSH
connection to the device), so two records with one number were sent on one connection. The
credential loop runs in process (``_cli_command.run_recorded``, the action plugin's path) with a
real SQLite metrics store, so "each attempt recorded once" is read back from the store.
"""
from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from ansible_collections.netraven.core.plugins.module_utils import _attempts
from ansible_collections.netraven.core.plugins.module_utils import _cli_command
from ansible_collections.netraven.core.plugins.module_utils import _shared_login
from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store

pytestmark = pytest.mark.lab

CREDS = [
    {"name": "admin-old2", "username": "admin", "password": "Wan-Old2-only"},
    {"name": "admin-old1", "username": "admin", "password": "Wan-Old1-only"},
    {"name": "admin-now", "username": "admin", "password": "Wan-Now-only"},
    {"name": "ops", "username": "ops", "password": "Wan-Ops-only"},
]
SPEC = {
    "name": "wan",
    "credentials": CREDS,
    "devices": [
        {"name": "plain", "platform": "cisco_ios", "accept": ["admin-now", "ops"]},
        {"name": "tries1", "platform": "cisco_ios", "accept": ["admin-now"], "behaviours": [{"max_auth_tries": 1}]},
        {"name": "tries2", "platform": "cisco_ios", "accept": ["admin-now"], "behaviours": [{"max_auth_tries": 2}]},
        {"name": "drops", "platform": "cisco_ios", "accept": ["admin-now"], "behaviours": ["disconnect_after_failed_auth"]},
        {"name": "kbd", "platform": "cisco_ios", "accept": ["admin-now"], "behaviours": ["keyboard_interactive_only"]},
        {"name": "far", "platform": "cisco_ios", "accept": ["admin-now"], "latency_ms": 300},
    ],
}


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One lab for this module's tests (each test uses its own device or reads only new log records)."""
    from lab import start  # pylint: disable=import-outside-toplevel

    lab = start(SPEC, state_dir=tmp_path_factory.mktemp("lab-wan"))
    yield lab
    lab.stop()


def _run(running, device: str, creds: list[dict], store: str, **options) -> tuple[dict, list[dict]]:
    """The credential loop for ``device`` (action plugin path, real store); ``(result, new auth-log records)``."""
    before = len(running.auth_log(device))
    params = dict(commands=["show clock"], credentials=creds, host="127.0.0.1", port=running.port(device),
                  platform="cisco_ios", device=device, max_attempts=3, attempt_delay=0.0, next_on_enable_failed=False,
                  timeouts={"connect": 10.0, "banner": 15.0, "auth": 20.0, "read": 30.0}, host_key_checking=False,
                  known_hosts_file=None, enable=False, command_errors=None, login_prompts=[], metrics_store=store,
                  job_id="wan", passwords_per_connection=2)
    params.update(options)
    assert _cli_command.check_params(params) is None
    result = _cli_command.run_recorded(params, check_mode=False, warn=pytest.fail)
    logins = [r for r in running.auth_log(device)[before:] if r["method"] != "enable"]
    return result, logins


def _stored(store: str, device: str) -> list[tuple[str, str]]:
    """``[(credential, outcome)]`` of the store's attempt log for ``device``, oldest first."""
    with open_store(store) as st:
        return sorted((a["credential"], a["outcome"]) for a in st.attempts(device=device))


def _tried(result: dict) -> list[tuple[str, str]]:
    return [(a["credential"], a["outcome"]) for a in result["attempts"]]


PLAYBOOK = """
- name: cli_command with passwords_per_connection
  hosts: all
  gather_facts: false
  tasks:
    - name: Log in
      netraven.core.cli_command:
        credentials: "{{ test_creds }}"
        host_key_checking: false
        passwords_per_connection: 1
      register: result

    - name: Save the result for the test
      ansible.builtin.copy:
        content: "{{ result | to_nice_json }}"
        dest: "{{ results_dir }}/{{ inventory_hostname }}.json"
        mode: "0600"
"""
EXPECTED = [("admin-old2", "auth_rejected"), ("admin-old1", "auth_rejected"), ("admin-now", "success")]


def test_same_user_shares_a_connection_two_passwords_each(running, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'm.db'}"
    result, logins = _run(running, "plain", CREDS[:3], store)
    assert result["outcome"] == "success" and _tried(result) == EXPECTED, result.get("msg")
    assert [(r["credential"], r["accepted"]) for r in logins] == [(c, o == "success") for c, o in EXPECTED]
    first, second, third = (r["connection"] for r in logins)
    assert first == second != third  # two passwords on connection 1, the third on a fresh one
    assert _stored(store, "plain") == sorted(EXPECTED)  # every attempt recorded once


def test_three_passwords_per_connection_and_one_restores_todays_behaviour(running, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'm.db'}"
    result, logins = _run(running, "plain", CREDS[:3], store, passwords_per_connection=3)
    assert _tried(result) == EXPECTED and len({r["connection"] for r in logins}) == 1
    result, logins = _run(running, "plain", CREDS[:3], store, passwords_per_connection=1)
    assert _tried(result) == EXPECTED and len({r["connection"] for r in logins}) == 3


def test_different_users_do_not_share(running, tmp_path: Path) -> None:
    creds = [CREDS[0], CREDS[3]]  # admin (wrong), then ops (works)
    result, logins = _run(running, "plain", creds, f"sqlite:///{tmp_path / 'm.db'}")
    assert _tried(result) == [("admin-old2", "auth_rejected"), ("ops", "success")]
    assert [r["username"] for r in logins] == ["admin", "ops"]
    assert logins[0]["connection"] != logins[1]["connection"]


@pytest.mark.parametrize("device", ["tries1", "drops"])
def test_device_closing_after_one_failure_still_reaches_the_right_credential(running, tmp_path: Path, device: str) -> None:
    """The device closes the connection after each failure: every password gets its own connection,
    each judged once (a password sent on the closing connection is not counted, it goes to a new one)."""
    store = f"sqlite:///{tmp_path / 'm.db'}"
    result, logins = _run(running, device, CREDS[:3], store)
    assert _tried(result) == EXPECTED, result.get("msg")
    assert [r["credential"] for r in logins] == ["admin-old2", "admin-old1", "admin-now"]  # each judged once
    assert len({r["connection"] for r in logins}) == 3 and logins[0]["disconnected"] and logins[1]["disconnected"]
    assert _stored(store, device) == sorted(EXPECTED)


def test_max_auth_tries_two_closes_after_the_second_failure(running, tmp_path: Path) -> None:
    result, logins = _run(running, "tries2", CREDS[:3], f"sqlite:///{tmp_path / 'm.db'}", passwords_per_connection=3)
    assert _tried(result) == EXPECTED
    assert [r["connection"] for r in logins][0] == logins[1]["connection"] != logins[2]["connection"]
    assert logins[1]["disconnected"] is True


def test_keyboard_interactive_device_shares_too(running, tmp_path: Path) -> None:
    """paramiko asks with the password method first (refused: method_not_allowed), then keyboard-interactive."""
    result, logins = _run(running, "kbd", CREDS[:3], f"sqlite:///{tmp_path / 'm.db'}")
    assert _tried(result) == EXPECTED
    judged = [r for r in logins if r.get("reason") != "method_not_allowed"]
    assert [(r["method"], r["credential"]) for r in judged] == [("keyboard-interactive", c) for c, _o in EXPECTED]
    assert judged[0]["connection"] == judged[1]["connection"] != judged[2]["connection"]


def test_tcp_nodelay_is_set_on_the_connection_netmiko_uses(running) -> None:
    """attempt_one's way: netmiko's _get_ssh_client_instance hook returns the sharing client."""
    from netmiko import ConnectHandler  # pylint: disable=import-outside-toplevel

    target = _attempts.Target(host="127.0.0.1", port=running.port("plain"), host_key_checking=False)
    conn = ConnectHandler(**_attempts.connect_params(target, CREDS[2], _attempts.Timeouts()))
    client = _shared_login.client()
    conn._get_ssh_client_instance = lambda: client  # pylint: disable=protected-access
    conn.establish_connection()
    try:
        sock = client.get_transport().sock
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        conn.disconnect()


def test_lab_latency_delays_the_first_byte_by_two_round_trips(running) -> None:
    """latency_ms 300: TCP handshake (1.5 round trips charged by the lab) + the server banner's half."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", running.port("far")), timeout=10) as sock:
        first = sock.recv(64)
        waited = time.monotonic() - started
    assert first.startswith(b"SSH-2.0-")
    assert waited >= 0.6  # a lower bound the delay line guarantees (2 x 300 ms), not a speed figure


def test_far_device_shares_and_records(running, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'm.db'}"
    result, logins = _run(running, "far", CREDS[:3], store)
    assert _tried(result) == EXPECTED and "far" in result["device"]
    assert logins[0]["connection"] == logins[1]["connection"] != logins[2]["connection"]
    assert _stored(store, "far") == sorted(EXPECTED)


@pytest.mark.slow
def test_playbook_option_one_per_connection(running, cli, tmp_path: Path, play_env: dict[str, str]) -> None:
    """The option through ansible-playbook and the action plugin: 1 = a connection per credential."""
    hosts = {"plain": cli.lab_host(running.port("plain"), test_creds=CREDS[:3])}
    before = len(running.auth_log("plain"))
    cli.run_play(tmp_path, play_env, hosts, playbook=PLAYBOOK)
    result = cli.results_of(tmp_path)["plain"]
    assert cli.outcomes(result) == EXPECTED, result.get("msg")
    assert len({r["connection"] for r in running.auth_log("plain")[before:]}) == 3
