"""Each lab behaviour does what docs/docsite/rst/lab.rst says, seen from real SSH clients (paramiko, netmiko)."""
from __future__ import annotations

import socket
import time

import netmiko
import paramiko
import pytest

from lab.hostkeys import device_host_key, public_line

pytestmark = pytest.mark.lab
GOOD = "Canary-lab-behave-9f3"
BAD = "Canary-lab-behave-bad-9f3"
ENABLE = "Canary-lab-enable-9f3"

SPEC = {
    "credentials": [
        {"name": "good", "username": "ops", "password": GOOD, "enable_secret": ENABLE},
        {"name": "bad", "username": "ops", "password": BAD, "enable_secret": "Canary-lab-wrong-enable-9f3"},
    ],
    "devices": [
        {"name": "slow", "platform": "cisco_ios", "accept": ["good"], "behaviours": [{"slow_auth": 1.5}]},
        {"name": "kbd", "platform": "cisco_ios", "accept": ["good"], "behaviours": ["keyboard_interactive_only", "disconnect_after_failed_auth"]},
        {"name": "drop", "platform": "cisco_ios", "accept": ["good"], "behaviours": ["disconnect_after_failed_auth"]},
        {"name": "tries", "platform": "cisco_ios", "accept": ["good"], "behaviours": [{"max_auth_tries": 2}]},
        {"name": "lock", "platform": "cisco_ios", "accept": ["good"], "behaviours": [{"lockout": {"after": 2, "for": 60}}]},
        {"name": "lockshort", "platform": "cisco_ios", "accept": ["good"], "behaviours": [{"lockout": {"after": 1, "for": 0.5}}]},
        {"name": "expired", "platform": "cisco_ios", "accept": ["good"], "behaviours": ["password_expired"]},
        {"name": "ack", "platform": "cisco_ios", "accept": ["good"], "behaviours": ["banner_ack"]},
        {"name": "down", "platform": "cisco_ios", "accept": ["good"], "behaviours": ["unreachable"]},
        {"name": "hole", "platform": "cisco_ios", "accept": ["good"], "behaviours": ["blackhole"]},
        {"name": "rotate", "platform": "arista_eos", "accept": ["good"], "rotate_host_key": True},
        {"name": "en", "platform": "cisco_ios", "accept": ["good", "bad"], "enable_secret": ENABLE,
         "running_config": "configs/cisco_ios_as2border1.cfg"},
        {"name": "keyonly", "platform": "cisco_ios", "accept": ["good"], "behaviours": ["publickey_only"]},
        {"name": "cmds", "platform": "cisco_ios", "accept": ["good"],
         "commands": {"show inventory": "NAME: \"Chassis\", DESCR: \"LAB\"", "show tech-support": {"output": "x", "delay": 5}}},
        {"name": "pager", "platform": "arista_eos", "accept": ["good"], "running_config": "configs/arista_eos_veos.cfg"},
        {"name": "fgt", "platform": "cisco_ios", "accept": ["good"],
         "behaviours": [{"banner_ack": {"prompt": "(Press 'a' to accept):", "answer": "a", "strict": True}}]},
        {"name": "motd", "platform": "cisco_asa", "accept": ["good"], "behaviours": [{"paged_banner": 30}]},
        {"name": "anykey", "platform": "cisco_ios", "accept": ["good"], "behaviours": ["press_any_key"]},
        {"name": "yn", "platform": "cisco_ios", "accept": ["good"], "behaviours": [{"password_change": {"insist": True}}]},
        {"name": "v6", "platform": "cisco_ios", "address": "::1", "accept": ["good"]},
    ],
}


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One lab with a device per behaviour, shared by this module's tests."""
    from lab import start  # pylint: disable=import-outside-toplevel

    lab = start(SPEC, state_dir=tmp_path_factory.mktemp("lab-behave"))
    yield lab
    lab.stop()


def _transport(lab, device: str) -> paramiko.Transport:
    sock = socket.create_connection(("127.0.0.1", lab.port(device)), timeout=5)
    transport = paramiko.Transport(sock)
    transport.start_client(timeout=5)
    return transport


def _client(lab, device: str, password: str = GOOD, **kw) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(lab.address(device), port=lab.port(device), username="ops", password=password, look_for_keys=False,
                   allow_agent=False, timeout=5, **kw)
    return client


def _wait_closed(transport: paramiko.Transport, timeout: float = 10.0) -> bool:
    """Wait until the server has closed ``transport``; True if it did within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while transport.is_active() and time.monotonic() < deadline:
        time.sleep(0.02)
    return not transport.is_active()


def _read_until(chan: paramiko.Channel, marker: str, timeout: float = 5.0) -> str:
    chan.settimeout(timeout)
    buf = ""
    while marker not in buf:
        data = chan.recv(65536)
        if not data:
            break
        buf += data.decode()
    return buf


def test_lab_slow_auth_delays_the_answer(running):
    with pytest.raises(paramiko.AuthenticationException, match="timeout"):
        _client(running, "slow", auth_timeout=0.3).close()
    _client(running, "slow", auth_timeout=10).close()
    assert running.auth_log("slow")[-1]["accepted"] is True


def test_lab_keyboard_interactive_only(running):
    transport = _transport(running, "kbd")
    try:
        with pytest.raises(paramiko.BadAuthenticationType) as err:
            transport.auth_password("ops", GOOD, fallback=False)
        assert err.value.allowed_types == ["keyboard-interactive"]
        assert transport.auth_interactive("ops", lambda title, instr, prompts: [GOOD] * len(prompts)) == []
        assert transport.is_authenticated()
    finally:
        transport.close()
    # netmiko falls back to it; the refused password method is no failed login, so no disconnect
    with netmiko.ConnectHandler(**running.netmiko_params("kbd", "good")) as conn:
        assert conn.find_prompt() == "kbd#"
    methods = [(r["method"], r["accepted"]) for r in running.auth_log("kbd")]
    assert ("keyboard-interactive", True) in methods and methods[0] == ("password", False)


def test_lab_disconnect_after_failed_auth(running):
    transport = _transport(running, "drop")
    with pytest.raises(paramiko.AuthenticationException):
        transport.auth_password("ops", BAD)
    assert _wait_closed(transport)
    transport.close()
    assert running.auth_log("drop")[-1]["disconnected"] is True


def test_lab_max_auth_tries(running):
    transport = _transport(running, "tries")
    with pytest.raises(paramiko.AuthenticationException):
        transport.auth_password("ops", BAD)
    assert transport.is_active()
    with pytest.raises(paramiko.AuthenticationException):
        transport.auth_password("ops", "Canary-lab-other-9f3")
    assert _wait_closed(transport)
    transport.close()
    assert [r["disconnected"] for r in running.auth_log("tries")] == [False, True]


def test_lab_lockout_banner_and_expiry(running):
    transport = _transport(running, "lock")
    try:
        for password in (BAD, "Canary-lab-other-9f3", GOOD):  # the 2nd failure locks: GOOD is refused too
            with pytest.raises(paramiko.AuthenticationException):
                transport.auth_password("ops", password)
        assert "locked" in transport.get_banner().decode()  # sent during this connection
    finally:
        transport.close()
    transport = _transport(running, "lock")
    try:
        with pytest.raises(paramiko.AuthenticationException):
            transport.auth_password("ops", GOOD)
        assert "locked" in transport.get_banner().decode()  # sent before authentication starts
    finally:
        transport.close()
    log = [(r["accepted"], r["credential"], r.get("reason")) for r in running.auth_log("lock")]
    assert log == [(False, "bad", "not_accepted"), (False, None, "wrong_secret"), (False, "good", "locked"),
                   (False, "good", "locked")]


def test_lab_lockout_expires(running):
    with pytest.raises(paramiko.AuthenticationException):
        _client(running, "lockshort", BAD)
    time.sleep(0.6)
    _client(running, "lockshort").close()
    assert [r["accepted"] for r in running.auth_log("lockshort")] == [False, True]


def test_lab_password_expired(running):
    client = _client(running, "expired")
    try:
        chan = client.invoke_shell()
        text = _read_until(chan, "New Password:")
        assert "% Password expired" in text and text.rstrip().endswith("New Password:")
        assert "expired#" not in text and "expired>" not in text
    finally:
        client.close()
    assert running.auth_log("expired")[-1]["accepted"] is True


def test_lab_banner_ack(running):
    client = _client(running, "ack")
    try:
        chan = client.invoke_shell()
        assert "acknowledge" in _read_until(chan, ": ")
        chan.send("yes\n")
        assert _read_until(chan, "ack#").endswith("ack#")
    finally:
        client.close()
    client = _client(running, "ack")
    try:
        chan = client.invoke_shell()
        _read_until(chan, ": ")
        chan.send("no\n")
        text = _read_until(chan, "never-there", timeout=15)
        assert "not acknowledged" in text and "ack#" not in text
    finally:
        client.close()


def test_lab_strict_banner_closes_on_the_first_wrong_byte(running):
    client = _client(running, "fgt")
    try:
        chan = client.invoke_shell()
        assert _read_until(chan, "accept):").endswith("(Press 'a' to accept):")
        chan.send("a")  # the key alone, no Enter
        assert _read_until(chan, "fgt#").endswith("fgt#")
    finally:
        client.close()
    client = _client(running, "fgt")
    try:
        chan = client.invoke_shell()
        _read_until(chan, "accept):")
        chan.send("\n")
        assert "not acknowledged" in _read_until(chan, "never-there")  # read until EOF
        assert chan.eof_received and chan.recv(100) == b""  # closed, no prompt
    finally:
        client.close()


def test_lab_paged_banner_any_key_and_password_change(running):
    client = _client(running, "motd")
    try:
        chan = client.invoke_shell()
        first = _read_until(chan, "<--- More --->")  # the ASA pager, after 23 lines
        assert "Banner line 023 of 30" in first and "Banner line 024" not in first
        chan.send(" ")
        assert "Banner line 030 of 30" in _read_until(chan, "motd#")
    finally:
        client.close()
    client = _client(running, "anykey")
    try:
        chan = client.invoke_shell()
        assert _read_until(chan, "continue").endswith("Press any key to continue")
        chan.send("x")
        assert _read_until(chan, "anykey#").endswith("anykey#")
    finally:
        client.close()
    client = _client(running, "yn")
    try:
        chan = client.invoke_shell()
        assert _read_until(chan, "[Y/N]:").endswith("Change now? [Y/N]:")
        chan.send("N\n")  # insist: asked once more, then a second N ends the session
        assert "Error: The password must be changed." in _read_until(chan, "[Y/N]:")
        chan.send("N\n")
        assert "yn#" not in _read_until(chan, "never-there")
    finally:
        client.close()


def test_lab_ipv6_device(running):
    entry = running.device("v6")["inventory"]
    assert entry["host"] == "::1" and running.address("v6") == "::1"
    assert f"[::1]:{entry['port']} {running.host_key('v6')}" in running.known_hosts.read_text().splitlines()
    client = _client(running, "v6")
    try:
        stdout = client.exec_command("show version")[1]
        assert "v6 uptime" in stdout.read().decode()
    finally:
        client.close()
    assert running.auth_log("v6")[-1]["peer"].startswith("::1:")


def test_lab_unreachable_and_blackhole(running):
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", running.port("down")), timeout=2)
    with socket.create_connection(("127.0.0.1", running.port("hole")), timeout=2) as sock:
        sock.settimeout(0.5)
        with pytest.raises(socket.timeout):
            sock.recv(100)
    with pytest.raises(paramiko.SSHException):
        _client(running, "hole", banner_timeout=0.5)


def test_lab_host_keys_stable_or_rotating(running):
    for _attempt in range(2):
        transport = _transport(running, "en")
        assert public_line(transport.get_remote_server_key()) == running.host_key("en")
        transport.close()
    assert running.host_key("en") == public_line(device_host_key("en"))
    assert f"[127.0.0.1]:{running.port('en')} {running.host_key('en')}" in running.known_hosts.read_text()
    keys = set()
    for _attempt in range(2):
        transport = _transport(running, "rotate")
        keys.add(public_line(transport.get_remote_server_key()))
        transport.close()
    assert len(keys) == 2 and running.host_key("rotate") is None


def test_lab_enable_secret(running, repo_root):
    with netmiko.ConnectHandler(**running.netmiko_params("en", "good")) as conn:
        assert conn.find_prompt() == "en>"
        assert "Invalid input" in conn.send_command("show running-config")
        conn.enable()
        assert conn.find_prompt() == "en#"
        out = conn.send_command("show running-config")
    assert out == (repo_root / "lab" / "configs" / "cisco_ios_as2border1.cfg").read_text(encoding="utf-8")
    with netmiko.ConnectHandler(**running.netmiko_params("en", "bad", secret="Canary-lab-wrong-enable-9f3")) as conn:
        with pytest.raises(ValueError):
            conn.enable()
    log = [(r["method"], r["accepted"], r["credential"]) for r in running.enable_log("en")]
    assert log == [("enable", True, "good"), ("enable", False, "bad")]
    assert [(r["method"], r["accepted"]) for r in running.auth_log("en")] == [("password", True), ("password", True)]


def test_lab_paging_until_disabled(running):
    client = _client(running, "pager")
    try:
        chan = client.invoke_shell()
        _read_until(chan, "pager#")
        chan.send("show running-config\n")
        first = _read_until(chan, "--More--")
        assert first.count("\n") <= 25
        chan.send(" ")
        _read_until(chan, "--More--")
        chan.send("q")
        _read_until(chan, "pager#")
        chan.send("terminal length 0\n")
        assert "Pagination disabled." in _read_until(chan, "pager#")
        chan.send("show running-config\n")
        text = _read_until(chan, "end\r\npager#", timeout=5)
        assert "--More--" not in text and text.endswith("management telnet\r\n   no shutdown\r\n!\r\nend\r\npager#")
    finally:
        client.close()


def test_lab_publickey_only_refuses_passwords(running):
    transport = _transport(running, "keyonly")
    try:
        with pytest.raises(paramiko.BadAuthenticationType) as err:
            transport.auth_password("ops", GOOD)  # no keyboard-interactive fallback either
        assert err.value.allowed_types == ["publickey"]
    finally:
        transport.close()
    assert {r["reason"] for r in running.auth_log("keyonly")} == {"method_not_allowed"}


def test_lab_extra_commands_and_slow_command(running):
    with netmiko.ConnectHandler(**running.netmiko_params("cmds", "good")) as conn:
        assert conn.send_command("show inventory") == 'NAME: "Chassis", DESCR: "LAB"'
        with pytest.raises(netmiko.ReadTimeout):
            conn.send_command("show tech-support", read_timeout=1)
