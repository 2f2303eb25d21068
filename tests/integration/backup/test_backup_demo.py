"""`make demo`'s script: interrupted during the first backup run, it still stops the lab."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from pathlib import Path

from lab.control import pid_alive

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def _playbooks_of(demo_dir: str) -> list[int]:
    """PIDs of live ansible-playbook processes whose command line names ``demo_dir``."""
    pids = []
    for proc_dir in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "ansible-playbook" in cmdline and demo_dir in cmdline and pid_alive(int(proc_dir.name)):
            pids.append(int(proc_dir.name))
    return pids


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_demo_stops_the_lab_when_interrupted(signum, tmp_path, repo_root, ansible_env):
    env = dict(ansible_env, NETRAVEN_DEMO_DIR=str(tmp_path / "demo"), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, str(repo_root / "hack" / "demo.py")], cwd=repo_root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("=== run 1"):
                break
        state = json.loads((tmp_path / "demo" / "lab" / "state.json").read_text())
        assert pid_alive(state["pid"])
        time.sleep(2)
        proc.send_signal(signum)
        rest = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    output = "".join(seen) + rest
    assert proc.returncode == 130, output[-3000:]
    assert "make demo: interrupted" in output and "=== lab stopped" in output
    deadline = time.monotonic() + 10
    while pid_alive(state["pid"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not pid_alive(state["pid"])
    # no ansible-playbook of this demo (main process or forks) outlives it
    demo_dir = str(tmp_path / "demo")
    while _playbooks_of(demo_dir) and time.monotonic() < deadline + 10:
        time.sleep(0.2)
    assert _playbooks_of(demo_dir) == []
    # the demo credentials are marked lab-only and the inventory uses the lab's known_hosts
    group_vars = (tmp_path / "demo" / "inventory" / "group_vars" / "all.yml").read_text()
    assert group_vars.startswith("# LAB-ONLY demo credentials") and "known_hosts" in group_vars
    assert oct(os.stat(tmp_path / "demo" / "inventory" / "group_vars" / "all.yml").st_mode & 0o777) == "0o600"
