"""The store works inside an Ansible module payload (AnsiballZ): the lazily imported backends travel with it.

A throwaway module in the playbook's library/ records through record_attempt_safely(), as
netraven.core.cli_command does, on each backend; the test then reads what it wrote.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ansible_collections.netraven.core.plugins.module_utils import _metrics_store as ms

PROBE_MODULE = '''#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netraven.core.plugins.module_utils._metrics_store import record_attempt_safely


def main():
    module = AnsibleModule(argument_spec={"store": {"type": "str", "required": True, "no_log": False}})
    recorded = [record_attempt_safely(module.params["store"], "r1", "local", outcome, 42, warn=module.warn)
                for outcome in ("auth_rejected", "success")]
    module.exit_json(changed=False, recorded=recorded)


main()
'''

PLAYBOOK = """
- name: Record from a module
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Probe
      store_probe:
        store: "{{ store }}"
      register: probe
    - name: Save
      ansible.builtin.copy:
        content: "{{ probe | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""


@pytest.mark.parametrize("kind", ["sqlite", "json", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_module_records_through_ansiballz(kind: str, tmp_path: Path, ansible_env: dict, request) -> None:
    store_url = request.getfixturevalue("pg_dsn") if kind == "postgresql" else f"{kind}://{tmp_path}/m.{kind}"
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "store_probe.py").write_text(PROBE_MODULE)
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    out = tmp_path / "probe.json"
    result = subprocess.run(
        ["ansible-playbook", "-i", "localhost,", "play.yml", "-e", json.dumps({"store": store_url, "out": str(out)})],
        env=ansible_env, capture_output=True, text=True, cwd=tmp_path, timeout=180, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(out.read_text())["recorded"] == [True, True]
    with ms.open_store(store_url) as store:
        stats = store.credential_stats()
        assert [(s["name"], s["attempts"], s["successes"], s["failures"]) for s in stats] == [("local", 2, 1, 1)]
        assert store.last_working("r1") == "local"


def test_module_warns_and_goes_on_when_the_store_fails(tmp_path: Path, ansible_env: dict) -> None:
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "store_probe.py").write_text(PROBE_MODULE)
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    (tmp_path / "other.json").write_text('{"not": "metrics"}')
    out = tmp_path / "probe.json"
    result = subprocess.run(
        ["ansible-playbook", "-i", "localhost,", "play.yml",
         "-e", json.dumps({"store": f"json://{tmp_path}/other.json", "out": str(out)})],
        env=ansible_env, capture_output=True, text=True, cwd=tmp_path, timeout=180, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(out.read_text())["recorded"] == [False, False]
    assert "credential metrics not recorded (the job goes on)" in " ".join((result.stdout + result.stderr).split())
