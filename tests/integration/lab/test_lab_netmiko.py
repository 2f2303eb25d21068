"""netmiko logs in to lab devices of each platform and reads the running-config byte for byte."""
from __future__ import annotations

from pathlib import Path

import netmiko
import pytest

CONFIGS = Path(__file__).resolve().parents[3] / "lab" / "configs"
PASSWORD = "Canary-lab-netmiko-9f3"
WRONG = "Canary-lab-wrong-9f3"

SPEC = {
    "credentials": [
        {"name": "lab-good", "username": "netops", "password": PASSWORD},
        {"name": "lab-known-wrong", "username": "netops", "password": WRONG},
    ],
    "devices": [
        {"name": "ios1", "platform": "cisco_ios", "accept": ["lab-good"], "running_config": "configs/cisco_ios_rtr2811.cfg"},
        {"name": "eos1", "platform": "arista_eos", "accept": ["lab-good"], "running_config": "configs/arista_eos_veos.cfg"},
        {"name": "junos1", "platform": "juniper_junos", "accept": ["lab-good"],
         "running_config": "configs/juniper_junos_ag3-2-mx480-set.cfg"},
        {"name": "nxos1", "platform": "cisco_nxos", "accept": ["lab-good"], "running_config": "configs/cisco_nxos_n9kv.cfg"},
        {"name": "xe1", "platform": "cisco_xe", "accept": ["lab-good"], "running_config": "configs/cisco_xe_csr1000v.cfg"},
        {"name": "asa1", "platform": "cisco_asa", "accept": ["lab-good"], "running_config": "configs/cisco_asa_jcy-fw-01.cfg"},
    ],
}
SHOW = {"juniper_junos": "show configuration | display set"}

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One lab for the module (started and stopped here rather than per test: it is read-only)."""
    from lab import start  # pylint: disable=import-outside-toplevel

    lab = start(SPEC, state_dir=tmp_path_factory.mktemp("lab-netmiko"))
    yield lab
    lab.stop()


@pytest.mark.parametrize("device, cfg", [("ios1", "cisco_ios_rtr2811.cfg"), ("eos1", "arista_eos_veos.cfg"),
                                         ("junos1", "juniper_junos_ag3-2-mx480-set.cfg"), ("nxos1", "cisco_nxos_n9kv.cfg"),
                                         ("xe1", "cisco_xe_csr1000v.cfg"), ("asa1", "cisco_asa_jcy-fw-01.cfg")])
def test_lab_netmiko_reads_config_byte_exact(running, device, cfg):
    params = running.netmiko_params(device, "lab-good")
    with netmiko.ConnectHandler(**params) as conn:
        out = conn.send_command(SHOW.get(params["device_type"], "show running-config"), read_timeout=20)
        prompt = conn.find_prompt()
    assert out == (CONFIGS / cfg).read_text(encoding="utf-8")
    assert prompt.rstrip().endswith("#" if device != "junos1" else ">")
    last = running.auth_log(device)[-1]
    assert last["accepted"] is True
    assert last["credential"] == "lab-good"
    assert last["username"] == "netops" and last["method"] == "password"


def test_lab_wrong_password_rejected_and_recorded(running):
    params = running.netmiko_params("ios1", "lab-known-wrong")
    with pytest.raises(netmiko.NetmikoAuthenticationException):
        netmiko.ConnectHandler(**params)
    params = running.netmiko_params("ios1", "lab-good", password="Canary-lab-unknown-9f3")
    with pytest.raises(netmiko.NetmikoAuthenticationException):
        netmiko.ConnectHandler(**params)
    log = running.auth_log("ios1")[-2:]
    assert [(r["accepted"], r["credential"], r["reason"]) for r in log] == [
        (False, "lab-known-wrong", "not_accepted"), (False, None, "wrong_secret")]
    text = (running.state_dir / "auth" / "ios1.jsonl").read_text(encoding="utf-8")
    for secret in (PASSWORD, WRONG, "Canary-lab-unknown-9f3"):
        assert secret not in text


def test_lab_unknown_command_answers_like_the_platform(running):
    with netmiko.ConnectHandler(**running.netmiko_params("ios1", "lab-good")) as conn:
        assert "% Invalid input detected at '^' marker." in conn.send_command("show frobnicate")
    with netmiko.ConnectHandler(**running.netmiko_params("junos1", "lab-good")) as conn:
        assert "unknown command." in conn.send_command("frobnicate")
