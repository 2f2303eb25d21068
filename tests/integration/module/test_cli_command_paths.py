"""Where the credential loop runs: in the controller's worker (connection local), or through the
module on a host the task is delegated to. One lab, one playbook run for both points:

- netmiko is imported once per ``ansible-playbook`` run, not once per host: a ``sitecustomize``
  on PYTHONPATH logs the process id of every Python process that imports netmiko afresh (a
  forked worker inherits the import, a module process would import it again); the credentials
  lookup's file is executed once too, by the main process (the action plugins preload it);
- the same device, reached once in process and once through the module on a "jump host",
  gives the same result, outcomes and metrics records. The jump host is this machine behind a
  connection plugin that is not ``local`` (``jumphost``: the ``local`` plugin under another
  transport name), so the module really runs as an AnsiballZ payload, as over SSH.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store

pytestmark = [pytest.mark.lab]

CREDENTIALS = [
    {"name": "old", "username": "admin", "password": "Canary-old-9f3", "priority": 10, "tags": ["default"]},
    {"name": "new", "username": "admin", "password": "Canary-new-9f3", "priority": 20, "tags": ["default"]},
]
LAB = {
    "credentials": CREDENTIALS,
    "devices": [{"name": f"r{i}", "platform": "cisco_ios", "port": "auto", "accept": ["new"]} for i in range(1, 5)],
}

SITECUSTOMIZE = '''
import os, sys

class _CountNetmikoImports:
    """Logs the pid of each process that imports netmiko afresh (find_spec runs only then)."""

    def find_spec(self, name, path=None, target=None):
        if name == "netmiko":
            with open(os.environ["NETRAVEN_IMPORT_LOG"], "a") as log:
                log.write("%d\\n" % os.getpid())
        return None

sys.meta_path.insert(0, _CountNetmikoImports())

# The credentials lookup's file, executed once per process that loads it (Ansible's collection
# finder imports plugins itself, so the file's execution is what is seen, through exec of its code).
import importlib.machinery
_exec_module = importlib.machinery.SourceFileLoader.exec_module


def _logged_exec_module(self, module):
    if module.__name__.endswith("netraven.core.plugins.lookup.credentials"):
        with open(os.environ["NETRAVEN_IMPORT_LOG"] + ".lookup", "a") as log:
            log.write("%d\\n" % os.getpid())
    return _exec_module(self, module)


importlib.machinery.SourceFileLoader.exec_module = _logged_exec_module
'''

JUMPHOST = '''
from ansible.plugins.connection import local

DOCUMENTATION = local.DOCUMENTATION.replace("name: local", "name: jumphost", 1)


class Connection(local.Connection):
    """The local connection under another transport name: a stand-in for an SSH jump host."""

    transport = "jumphost"
'''

PLAYBOOK = """
- name: Both paths
  hosts: devices
  gather_facts: false
  tasks:
    - name: Run cli_command
      netraven.core.cli_command:
        commands: [show running-config]
      delegate_to: "{{ via | default(omit) }}"
      register: result

    - name: Save the result for the test
      ansible.builtin.copy:
        content: "{{ result | to_nice_json }}"
        dest: "{{ results_dir }}/{{ inventory_hostname }}.json"
        mode: "0600"
      delegate_to: localhost
"""


def test_in_process_imports_netmiko_once_and_matches_the_module_path(lab, tmp_path: Path, ansible_env: dict) -> None:
    running = lab(LAB)
    store_url = f"sqlite:///{tmp_path / 'metrics.db'}"
    results = tmp_path / "results"
    results.mkdir()
    hosts = {name: {"ansible_host": "127.0.0.1", "ansible_port": running.port(name), "netraven_platform": "cisco_ios"}
             for name in ("r1", "r2", "r3", "r4")}
    hosts["r4"]["via"] = "jump"  # the module path, on a "jump host", for the same kind of device as r1-r3
    inventory = {"all": {
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}", "results_dir": str(results),
                 "netraven_credentials": CREDENTIALS, "netraven_metrics_store": store_url, "ansible_host_key_checking": False},
        "children": {"devices": {"hosts": hosts, "vars": {"ansible_connection": "local"}},
                     "jumps": {"hosts": {"jump": {"ansible_connection": "jumphost"}}}}}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    (tmp_path / "connection_plugins").mkdir()
    (tmp_path / "connection_plugins" / "jumphost.py").write_text(JUMPHOST)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "netmiko-imports.log"
    env = dict(ansible_env, PYTHONPATH=str(tmp_path / "site"), NETRAVEN_IMPORT_LOG=str(log),
               ANSIBLE_CONNECTION_PLUGINS=str(tmp_path / "connection_plugins"), ANSIBLE_REMOTE_TMP=str(tmp_path / "remote"))

    proc = subprocess.run(["ansible-playbook", "-i", "inventory.yml", "play.yml", "-f", "4"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]

    pids = log.read_text().split()
    # the controller's main process (r1-r3 share it through the fork) and the module process for r4
    assert len(pids) == 2, pids
    assert len(set(pids)) == 2
    # the credentials lookup, too, is loaded once, by the main process, before the forks (_device_task.preload)
    lookup_pids = (tmp_path / "netmiko-imports.log.lookup").read_text().split()
    assert lookup_pids == [pids[0]], (lookup_pids, pids)

    got = {p.stem: json.loads(p.read_text()) for p in results.glob("*.json")}
    assert sorted(got) == ["r1", "r2", "r3", "r4"]

    def shape(result: dict, name: str) -> dict:
        """What both paths must agree on (timings and the device's own name aside)."""
        return {
            "failed": result.get("failed", False), "changed": result["changed"], "outcome": result["outcome"],
            "credential": result["credential"], "not_tried": result["not_tried"],
            "attempts": [{k: v for k, v in a.items() if k != "elapsed_ms"} for a in result["attempts"]],
            "stdout": [out.replace(name, "<device>") for out in result["stdout"]], "keys": sorted(result),
        }

    assert shape(got["r4"], "r4") == shape(got["r1"], "r1")
    assert got["r1"]["outcome"] == "success" and [a["outcome"] for a in got["r1"]["attempts"]] == ["auth_rejected", "success"]
    assert "hostname" in got["r4"]["stdout"][0]

    with open_store(store_url) as store:
        per_device = {}
        for row in store.attempts(limit=1000):
            per_device.setdefault(row["device"], []).append((row["credential"], row["outcome"]))
        assert {d: sorted(v) for d, v in per_device.items()} == {
            d: [("new", "success"), ("old", "auth_rejected")] for d in ("r1", "r2", "r3", "r4")}
        assert {b["device"]: b["credential"] for b in store.bindings()} == {d: "new" for d in ("r1", "r2", "r3", "r4")}
    assert not [c["password"] for c in CREDENTIALS if c["password"] in proc.stdout + proc.stderr]


CLI_ERROR_PLAYBOOK = """
- name: CLI errors
  hosts: all
  gather_facts: false
  tasks:
    - name: A command the device does not know
      netraven.core.cli_command:
        commands: [show version, show bogus]
        command_errors: "{{ errors | default(omit) }}"
      register: result
      ignore_errors: true

    - name: Save the result for the test
      ansible.builtin.copy:
        content: "{{ result | to_nice_json }}"
        dest: "{{ results_dir }}/{{ inventory_hostname }}.json"
        mode: "0600"
"""


def test_a_cli_error_fails_the_task_unless_allowed(lab, cli, tmp_path: Path, play_env: dict) -> None:
    running = lab({"credentials": CREDENTIALS, "devices": [
        {"name": "ios", "platform": "cisco_ios", "port": "auto", "accept": ["old"]},
        {"name": "eos", "platform": "arista_eos", "port": "auto", "accept": ["old"]}]})
    hosts = {"strict": cli.lab_host(running.port("ios")), "eos": cli.lab_host(running.port("eos"), "arista_eos"),
             "allowed": cli.lab_host(running.port("ios"), errors=[])}
    cli.run_play(tmp_path, play_env, hosts, group_vars={"netraven_credentials": CREDENTIALS}, playbook=CLI_ERROR_PLAYBOOK)
    results = cli.results_of(tmp_path)
    for name in ("strict", "eos"):
        result = results[name]
        assert result["failed"] and result["outcome"] == "command_rejected", result
        assert result["credential"]["name"] == "old" and len(result["stdout"]) == 2
        assert "'show bogus': % Invalid input" in result["attempts"][-1]["message"]
        assert "then command_rejected" in result["msg"]
    assert not results["allowed"].get("failed") and results["allowed"]["outcome"] == "success"
    assert "% Invalid input" in results["allowed"]["stdout"][1]
