"""The ``lab`` fixture and the ``python -m lab`` command line."""
from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import paramiko
import pytest
import yaml

from lab.control import pid_alive, ports_in_use

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.lab

SPEC = {
    "credentials": [{"name": "c1", "username": "u1", "password": "Canary-lab-fixture-9f3"}],
    "devices": [{"name": "d1", "platform": "cisco_ios", "accept": ["c1"], "tags": ["site_x"]},
                {"name": "d2", "platform": "arista_eos", "accept": ["c1"]}],
}


def _login(port: int, password: str) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=port, username="u1", password=password, look_for_keys=False,
                   allow_agent=False, timeout=10)
    return client


def test_lab_fixture_starts_and_stops(lab):
    running = lab({**SPEC, "devices": [{**SPEC["devices"][0], "running_config": REPO / "lab" / "configs" / "cisco_ios_rtr2811.cfg",
                                        "tags": ("site_x",)}, SPEC["devices"][1]]})
    assert running.running()
    assert [d["name"] for d in running.devices] == ["d1", "d2"]
    assert running.device("d1")["inventory"]["tags"] == ["site_x"]
    client = _login(running.port("d1"), "Canary-lab-fixture-9f3")
    client.close()
    assert running.auth_log("d1")[0]["credential"] == "c1"
    assert running.auth_log("d2") == []
    running.stop()
    assert not running.running()
    with pytest.raises(OSError):
        _login(running.port("d1"), "Canary-lab-fixture-9f3")


def test_lab_cli_up_status_down(tmp_path):
    lab_file = tmp_path / "mini.yml"
    lab_file.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    state = tmp_path / "state"
    env = dict(os.environ, PYTHONPATH=str(REPO))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "lab", *args, "--state-dir", str(state)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=60, check=False)

    up = run("up", str(lab_file))
    assert up.returncode == 0, up.stderr
    inventory = yaml.safe_load(up.stdout)
    ports = [d["port"] for d in inventory["devices"]]
    try:
        assert [(d["name"], d["host"], d["platform"]) for d in inventory["devices"]] == [
            ("d1", "127.0.0.1", "cisco_ios"), ("d2", "127.0.0.1", "arista_eos")]
        _login(ports[0], "Canary-lab-fixture-9f3").close()
        status = run("status")
        assert status.returncode == 0 and "d1" in status.stdout and "1/0" in status.stdout
        # a lab in its own state folder: plain `status` finds it (issue 18 item 17)
        found = subprocess.run([sys.executable, "-m", "lab", "status"], cwd=REPO, env=env, capture_output=True, text=True,
                               timeout=60, check=False)
        assert found.returncode == 0 and f"state {state}" in found.stdout and "d1" in found.stdout, found.stdout
        named = subprocess.run([sys.executable, "-m", "lab", "status", "mini"], cwd=REPO, env=env, capture_output=True,
                               text=True, timeout=60, check=False)
        assert named.returncode == 0 and f"state {state}" in named.stdout, named.stdout + named.stderr
        again = run("up", str(lab_file))
        assert again.returncode == 1 and "already running" in again.stderr
        for text in (up.stdout, up.stderr, status.stdout, (state / "lab.log").read_text(encoding="utf-8"),
                     (state / "auth" / "d1.jsonl").read_text(encoding="utf-8")):
            assert "Canary-lab-fixture-9f3" not in text
        # the stop command `up` printed works as printed (it names the state folder)
        stop = up.stderr.split("stop with: ", 1)[-1].strip()
        assert stop == f"python -m lab down --state-dir {state}", up.stderr
        down = subprocess.run([sys.executable, *shlex.split(stop)[1:]], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=60, check=False)
    finally:
        if (state / "state.json").exists():
            down = run("down")
    assert down.returncode == 0, down.stderr
    pid = json.loads((state / "state.stopped.json").read_text(encoding="utf-8"))["pid"]
    assert not pid_alive(pid)
    assert ports_in_use(ports) == []
    assert run("status").returncode == 0
    after = subprocess.run([sys.executable, "-m", "lab", "status"], cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=60, check=False)
    assert str(state) not in after.stdout


def test_lab_port_in_use_is_a_clear_error(lab):
    from lab import LabError  # pylint: disable=import-outside-toplevel

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        spec = {"credentials": [], "devices": [{"name": "taken", "platform": "cisco_ios", "port": port}]}
        with pytest.raises(LabError, match=f"device taken: cannot bind 127.0.0.1:{port}: Address already in use"):
            lab(spec)
