"""The probe pattern from cli_command's EXAMPLES, for people who keep ansible.netcommon/cisco.ios.

cli_command with no commands finds the working credential; set_fact (no_log) hands it to
ansible_user/ansible_password; cisco.ios.ios_command over ansible.netcommon.network_cli then
logs in with it. Those collections come with the big ``ansible`` package, which this
repository deliberately does not install (hundreds of MB for one test; requirements-dev.txt
pins ansible-core only), so the test skips unless they are already installed.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

PLAYBOOK = """
- name: Probe with cli_command, then let network_cli use the working credential
  hosts: all
  gather_facts: false
  tasks:
    - name: Probe (no commands)
      netraven.core.cli_command:
        credentials: "{{ creds }}"
      register: probe

    - name: Hand the working credential to network_cli
      ansible.builtin.set_fact:
        ansible_user: "{{ (creds | selectattr('name', '==', probe.credential.name) | first).username }}"
        ansible_password: "{{ (creds | selectattr('name', '==', probe.credential.name) | first).password }}"
      no_log: true

    - name: A cisco.ios task over network_cli
      cisco.ios.ios_command:
        commands: [show running-config]
      vars:
        ansible_connection: ansible.netcommon.network_cli
        ansible_network_os: cisco.ios.ios
      register: result

    - name: Save the result for the test
      ansible.builtin.copy:
        content: "{{ result | to_nice_json }}"
        dest: "{{ results_dir }}/{{ inventory_hostname }}.json"
        mode: "0600"
      delegate_to: localhost
"""


def have_network_collections(env: dict[str, str]) -> bool:
    """True when ansible-galaxy lists both ansible.netcommon and cisco.ios on this machine."""
    proc = subprocess.run(["ansible-galaxy", "collection", "list", "--format", "json"], env=env, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        return False
    names = {name for path in json.loads(proc.stdout or "{}").values() for name in path}
    return {"ansible.netcommon", "cisco.ios"} <= names


@pytest.mark.lab
def test_probe_then_network_cli(lab, cli, tmp_path: Path, play_env: dict[str, str]) -> None:
    if not have_network_collections(play_env):
        pytest.skip("ansible.netcommon and cisco.ios are not installed: they ship with the 'ansible' package, "
                    "which this repository does not install (ansible-core only); the probe pattern is documented "
                    "in cli_command's EXAMPLES and docs/docsite/rst/cli_command.rst")
    running = lab({
        "credentials": [{"name": "old", "username": "admin", "password": "Canary-old-9f3"},
                        {"name": "ok", "username": "admin", "password": "Canary-ok-9f3"}],
        "devices": [{"name": "r1", "platform": "cisco_ios", "port": "auto", "accept": ["ok"]}],
    })
    creds = [{"name": "old", "username": "admin", "password": "Canary-old-9f3"},
             {"name": "ok", "username": "admin", "password": "Canary-ok-9f3"}]
    hosts = {"r1": cli.lab_host(running.port("r1"), creds=creds)}
    hosts["r1"].pop("ansible_connection", None)
    cli.run_play(tmp_path, play_env, hosts, playbook=PLAYBOOK)
    result = cli.results_of(tmp_path)["r1"]
    assert not result.get("failed") and "hostname" in result["stdout"][0]
    assert [(e["accepted"], e["credential"]) for e in running.auth_log("r1")][-1] == (True, "ok")
