"""The demo lab shows every credential path; public keys work; 200 devices start and stop cleanly."""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import netmiko
import paramiko
import pytest

from lab import start
from lab.control import ports_in_use
from lab.hostkeys import public_line, random_host_key

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.lab


def _try(lab, device: str, cred: dict) -> str:
    """One login attempt: 'ok', 'rejected', 'locked' or 'unreachable'."""
    transport = None
    try:
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        client.connect("127.0.0.1", port=lab.port(device), username=cred["username"], password=cred["password"],
                       look_for_keys=False, allow_agent=False, timeout=5)
        client.close()
        return "ok"
    except paramiko.AuthenticationException:
        transport = client.get_transport()
        banner = (transport.get_banner() or b"").decode() if transport else ""
        return "locked" if "locked" in banner else "rejected"
    except OSError:
        return "unreachable"
    finally:
        if transport is not None:
            transport.close()


def test_lab_demo_walks_every_path(lab):
    demo = lab(REPO / "lab" / "demo.yml")
    creds = sorted(demo.credentials(), key=lambda c: (c["priority"], c["name"]))
    seen = {}
    for dev in demo.devices:
        tags = set(dev["tags"]) | {"default"}
        outcomes = []
        for cred in (c for c in creds if tags & set(c["tags"])):
            outcomes.append(_try(demo, dev["name"], cred))
            if outcomes[-1] != "rejected" or len(outcomes) == 3:
                break
        seen[dev["name"]] = outcomes
    assert seen["hq-core-rtr1"] == ["ok"]
    assert seen["hq-spine1"] == ["rejected", "ok"]
    assert seen["dc-leaf1"] == ["rejected", "rejected", "ok"]
    assert seen["br2-sw1"] == ["rejected", "rejected", "rejected"]
    assert seen["dc-leaf2"] == ["rejected", "rejected", "locked"]
    assert seen["br2-fw1"] == ["unreachable"]
    worked_at = {len(o) for o in seen.values() if o[-1] == "ok"}
    assert worked_at == {1, 2, 3}
    with netmiko.ConnectHandler(**demo.netmiko_params("br2-rtr1", "lab-tacacs")) as conn:
        assert conn.find_prompt() == "br2-rtr1>"
        conn.enable()
        assert conn.find_prompt() == "br2-rtr1#"
    assert [r["credential"] for r in demo.auth_log("dc-leaf1")] == ["lab-tacacs", "lab-local-arista", "lab-breakglass"]


def test_lab_public_key_login(lab):
    key = random_host_key()
    spec = {"credentials": [{"name": "k1", "username": "keyuser", "public_key": public_line(key) + " test"}],
            "devices": [{"name": "r1", "platform": "cisco_ios", "accept": ["k1"]}]}
    running = lab(spec)
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=running.port("r1"), username="keyuser", pkey=key, look_for_keys=False,
                   allow_agent=False, timeout=5)
    client.close()
    with pytest.raises(paramiko.AuthenticationException):
        client.connect("127.0.0.1", port=running.port("r1"), username="keyuser", pkey=random_host_key(),
                       look_for_keys=False, allow_agent=False, timeout=5)
    log = running.auth_log("r1")
    expected = [("publickey", True, "k1"), ("publickey", False, None)]
    assert [(r["method"], r["accepted"], r["credential"]) for r in log] == expected


def _children() -> set[int]:
    path = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


CONFIG = (REPO / "lab" / "configs" / "arista_eos_eos-spine1.cfg").read_text(encoding="utf-8")


def _show_run(running, name: str) -> str:
    """Log in with paramiko, turn paging off, return the running-config as the device sent it."""
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=running.port(name), username="u", password="Canary-lab-scale-9f3",
                   look_for_keys=False, allow_agent=False, timeout=30)
    try:
        chan = client.invoke_shell()
        chan.settimeout(30)
        prompt = f"{name}#" if running.device(name)["inventory"]["platform"] != "juniper_junos" else f"u@{name}> "
        command = "set cli screen-length 0" if prompt.startswith("u@") else "terminal length 0"
        show = "show configuration" if prompt.startswith("u@") else "show running-config"
        buf = ""
        for text in ("", command + "\n", show + "\n"):
            chan.send(text)
            buf = ""
            while not buf.endswith(prompt):
                buf += chan.recv(65536).decode()
        body = buf.split("\r\n", 1)[1][:-len(prompt)]
        return body.replace("\r\n", "\n")[:-1]
    finally:
        client.close()


@pytest.mark.slow
def test_lab_200_devices_start_and_stop_cleanly(tmp_path):
    platforms = ["cisco_ios", "arista_eos", "juniper_junos"]
    spec = {"credentials": [{"name": "c", "username": "u", "password": "Canary-lab-scale-9f3"}],
            "devices": [{"name": f"d{i:03d}", "platform": platforms[i % 3], "accept": ["c"],
                         "running_config": "configs/arista_eos_eos-spine1.cfg"} for i in range(200)]}
    before = _children()
    t0 = time.monotonic()
    running = start(spec, state_dir=tmp_path / "state")
    print(f"\n200-device lab ready in {time.monotonic() - t0:.2f} s (server side {running.state['start_seconds']} s)")
    ports = [d["port"] for d in running.devices]
    try:
        assert len(set(ports)) == 200
        assert len(ports_in_use(ports)) == 200
        for name in ("d000", "d101", "d199"):
            with netmiko.ConnectHandler(**running.netmiko_params(name)) as conn:
                assert conn.find_prompt()
        t1 = time.monotonic()
        with ThreadPoolExecutor(max_workers=20) as pool:
            outputs = list(pool.map(lambda i: _show_run(running, f"d{i * 10 + 5:03d}"), range(20)))
        print(f"20 concurrent logins + show running-config: {time.monotonic() - t1:.2f} s")
        assert outputs == [CONFIG] * 20
        assert sum(len(running.auth_log(f"d{i * 10 + 5:03d}")) for i in range(20)) == 20
    finally:
        running.stop()
    assert not running.running()
    assert ports_in_use(ports) == []
    assert _children() == before
