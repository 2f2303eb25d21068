"""cli_command as a netraven.core.devices user writes it: a task with only ``commands``.

The action plugin fills host, port, platform and device from hostvars and the credentials from
the netraven.core.credentials lookup, whose ``netraven_credentials`` are vault-encrypted. The run
is at ``-vvvv``; afterwards no canary password may be found in stdout/stderr, the metrics store
or any file under the test's folder (Ansible's local and remote temp folders included).
Check mode logs in (a probe) but sends no command.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store

VAULT_PASSWORD = "vault-pass-for-tests"
WRONG = "Canary-Wrong-9f3"
RIGHT = "Canary-Right-ü€-9f3"
LAB = {
    "credentials": [
        {"name": "old_admin", "username": "admin", "password": WRONG},
        {"name": "admin", "username": "admin", "password": RIGHT},
    ],
    "devices": [{"name": "r1", "platform": "cisco_ios", "port": "auto", "accept": ["admin"]}],
}
PLAYBOOK = """
- name: A netraven.core.devices user's task
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
      check_mode: false
"""


def vaulted_credentials(tmp_path: Path) -> str:
    """A vars file with netraven_credentials whose passwords are inline-vaulted."""
    vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])

    def enc(text: str) -> str:
        return textwrap.indent(vault.encrypt(text).decode(), " " * 8)

    (tmp_path / "vault-pass").write_text(VAULT_PASSWORD)
    return (
        "netraven_credentials:\n"
        "  - name: old_admin\n    username: admin\n    priority: 10\n    tags: [default]\n"
        f"    password: !vault |\n{enc(WRONG)}\n"
        "  - name: admin\n    username: admin\n    priority: 20\n    tags: [default]\n"
        f"    password: !vault |\n{enc(RIGHT)}\n"
    )


def canary_hits(tmp_path: Path, text: str) -> list[str]:
    """Where a canary password appears: 'output' and/or files under tmp_path (but the lab's state folders)."""
    hits = [f"output:{c}" for c in (WRONG, RIGHT) if c in text]
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.relative_to(tmp_path).parts[0].startswith("lab"):  # the lab's own state
            data = path.read_bytes()
            hits += [f"{path}:{c}" for c in (WRONG, RIGHT) if c.encode() in data]
    return hits


@pytest.mark.lab
@pytest.mark.slow
def test_vault_credentials_at_vvvv_leave_no_secret(lab, cli, tmp_path: Path, play_env: dict[str, str], store_url: str) -> None:
    running = lab(LAB)
    hosts = {"r1": cli.lab_host(running.port("r1"), netraven_tags=["default"])}
    play_env = dict(play_env, JOB_ID="4242")  # as AWX sets it
    proc = cli.run_play(tmp_path, play_env, hosts, playbook=PLAYBOOK, vars_text=vaulted_credentials(tmp_path),
                        args=("-vvvv", "--vault-password-file", str(tmp_path / "vault-pass")))
    result = cli.results_of(tmp_path)["r1"]
    assert result["outcome"] == "success" and result["credential"]["name"] == "admin", proc.stdout[-3000:]
    assert [(a["credential"], a["outcome"]) for a in result["attempts"]] == [("old_admin", "auth_rejected"), ("admin", "success")]
    assert result["device"] == "r1" and "hostname" in result["stdout"][0]
    assert [(e["accepted"], e["credential"]) for e in running.auth_log("r1")][-1] == (True, "admin")
    assert len({e["connection"] for e in running.auth_log("r1")}) == 1  # both passwords of admin on one connection

    store = open_store(store_url)
    try:
        logged = store.attempts(device="r1")
        assert sorted(a["outcome"] for a in logged) == ["auth_rejected", "success"]
        assert {a["job_id"] for a in logged} == {"4242"}
        assert store.last_working("r1") == "admin"
    finally:
        store.close()
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in proc.stdout  # -vvvv did show the invocation, masked
    assert canary_hits(tmp_path, proc.stdout + proc.stderr) == []


@pytest.mark.lab
def test_check_mode_probes_without_commands(lab, cli, tmp_path: Path, play_env: dict[str, str]) -> None:
    running = lab(LAB)
    hosts = {"r1": cli.lab_host(running.port("r1"), netraven_tags=["default"])}
    cli.run_play(tmp_path, play_env, hosts, playbook=PLAYBOOK, vars_text=vaulted_credentials(tmp_path),
                 args=("--check", "--vault-password-file", str(tmp_path / "vault-pass")))
    result = cli.results_of(tmp_path)["r1"]
    assert result["outcome"] == "success" and result["credential"]["name"] == "admin"
    assert result["stdout"] == [] and "not sent" in result["msg"]
    assert [e["accepted"] for e in running.auth_log("r1")] == [False, True]


@pytest.mark.lab
def test_delegated_task_uses_the_inventory_hosts_vars(lab, cli, tmp_path: Path, play_env: dict[str, str]) -> None:
    """delegate_to: localhost (a stand-in jump host): host/port/platform still come from r1's vars.

    The task uses the ``command`` alias (one string), as ansible.netcommon.cli_command users write it.
    """
    running = lab(LAB)
    hosts = {"r1": cli.lab_host(running.port("r1"), netraven_tags=["default"], ansible_connection="ssh",
                                ansible_host_key_checking=False)}
    playbook = PLAYBOOK.replace("      register: result\n", "      register: result\n      delegate_to: localhost\n", 1)
    playbook = playbook.replace('        mode: "0600"\n', '        mode: "0600"\n      delegate_to: localhost\n', 1)
    playbook = playbook.replace("commands: [show running-config]", "command: show running-config")  # the alias
    cli.run_play(tmp_path, play_env, hosts, playbook=playbook, vars_text=vaulted_credentials(tmp_path),
                 args=("--vault-password-file", str(tmp_path / "vault-pass")))
    result = cli.results_of(tmp_path)["r1"]
    assert result["outcome"] == "success" and result["device"] == "r1" and "hostname" in result["stdout"][0]
    assert [e["accepted"] for e in running.auth_log("r1")] == [False, True]
