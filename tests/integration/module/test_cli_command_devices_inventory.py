"""The whole chain: netraven.core.devices inventory -> credentials lookup (tags) -> cli_command -> store.

The lab serves its devices as a netraven.core.devices YAML source; the inventory plugin turns it
into hosts with ``netraven_tags``; the task gives only ``commands``. Credentials match by tag, so
``edge_admin`` is never offered to the core router. The first run learns which credential works;
the second run (``learned`` order, the default with a metrics store) logs in at the first attempt.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CREDENTIALS = [
    {"name": "stale", "username": "admin", "password": "Canary-stale-9f3", "priority": 5, "tags": ["default"]},
    {"name": "core_admin", "username": "admin", "password": "Canary-core-9f3", "priority": 10, "tags": ["core"]},
    {"name": "edge_admin", "username": "admin", "password": "Canary-edge-9f3", "priority": 10, "tags": ["edge"]},
]
LAB = {
    "credentials": CREDENTIALS,
    "devices": [
        {"name": "core1", "platform": "cisco_ios", "port": "auto", "tags": ["core"], "accept": ["core_admin"]},
        {"name": "edge1", "platform": "arista_eos", "port": "auto", "tags": ["edge"], "accept": ["edge_admin"]},
    ],
}
PLAYBOOK = """
- name: The task a netraven.core.devices user writes
  hosts: all
  gather_facts: false
  tasks:
    - name: Read the running-config
      netraven.core.cli_command:
        commands: [show running-config]
      register: result

    - name: Save the result for the test
      ansible.builtin.copy:
        content: "{{ result | to_nice_json }}"
        dest: "{{ results_dir }}/{{ inventory_hostname }}.json"
        mode: "0600"
"""


def outcomes(result: dict) -> list[tuple[str, str]]:
    return [(a["credential"], a["outcome"]) for a in result["attempts"]]


@pytest.mark.lab
@pytest.mark.slow
def test_devices_inventory_lookup_module_store(lab, cli, repo_root: Path, tmp_path: Path, play_env: dict[str, str]) -> None:
    if not (repo_root / "plugins" / "inventory" / "devices.py").is_file():
        pytest.skip("inventory plugin netraven.core.devices (branch inventory) is not merged into this branch yet")
    running = lab(LAB)
    (tmp_path / "devices.yml").write_text(running.inventory_yaml())
    (tmp_path / "lab.netraven.yml").write_text("plugin: netraven.core.devices\nsource: devices.yml\n")
    (tmp_path / "group_vars").mkdir()
    group_vars = {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "results_dir": str(tmp_path / "results"),
        "netraven_credentials": CREDENTIALS,
    }
    (tmp_path / "group_vars" / "all.yml").write_text(yaml.safe_dump(group_vars))

    cli.run_play(tmp_path, play_env, None, playbook=PLAYBOOK, inventory=tmp_path / "lab.netraven.yml")
    first = cli.results_of(tmp_path)
    assert outcomes(first["core1"]) == [("stale", "auth_rejected"), ("core_admin", "success")], first["core1"]
    assert outcomes(first["edge1"]) == [("stale", "auth_rejected"), ("edge_admin", "success")], first["edge1"]
    assert "hostname" in first["core1"]["stdout"][0]

    cli.run_play(tmp_path, play_env, None, playbook=PLAYBOOK, inventory=tmp_path / "lab.netraven.yml")
    second = cli.results_of(tmp_path)
    assert outcomes(second["core1"]) == [("core_admin", "success")]  # learned: the last working one first
    assert outcomes(second["edge1"]) == [("edge_admin", "success")]
    assert "edge_admin" not in {e["credential"] for e in running.auth_log("core1")}
