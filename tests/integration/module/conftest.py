"""Helpers for the cli_command integration tests: inventories, playbook runs and their results.

Every run is a real ``ansible-playbook`` subprocess; hosts use ``connection: local`` (the module
runs on the controller, as it does for network devices) and talk real SSH to the lab.
Each host's registered result is written to ``<tmp>/results/<host>.json``.
"""
from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

PLAYBOOK = """
- name: cli_command against the lab
  hosts: all
  gather_facts: false
  tasks:
    - name: Run cli_command
      netraven.core.cli_command:
        credentials: "{{ test_cred_names | map('extract', creds) | list if test_cred_names is defined else omit }}"
        commands: "{{ test_commands | default([]) }}"
        max_attempts: "{{ test_max_attempts | default(3) }}"
        attempt_delay: "{{ test_attempt_delay | default(0) }}"
        next_on_enable_failed: "{{ test_next_on_enable_failed | default(false) }}"
        host_key_checking: "{{ test_host_key_checking | default(false) }}"
        known_hosts_file: "{{ test_known_hosts | default(omit) }}"
        timeouts: "{{ test_timeouts | default({}) }}"
        enable: "{{ test_enable | default(false) }}"
        metrics_store: "{{ test_metrics_store | default(omit) }}"
      register: result
      ignore_errors: true

    - name: Save the result for the test
      ansible.builtin.copy:
        content: "{{ result | to_nice_json }}"
        dest: "{{ results_dir }}/{{ inventory_hostname }}.json"
        mode: "0600"
      check_mode: false
"""


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A fresh SQLite metrics store for the test."""
    return f"sqlite:///{tmp_path / 'metrics.db'}"


@pytest.fixture
def play_env(ansible_env: dict[str, str], tmp_path: Path, store_url: str) -> dict[str, str]:
    """ansible_env plus the test's metrics store and remote temp folder (both under tmp_path)."""
    return dict(ansible_env, NETRAVEN_METRICS_STORE=store_url, ANSIBLE_REMOTE_TMP=str(tmp_path / "ansible-remote"),
                ANSIBLE_HOST_KEY_CHECKING="False")


def lab_host(port: int, platform: str = "cisco_ios", **extra) -> dict:
    """Host vars for one lab device reached with connection: local."""
    return dict(ansible_host="127.0.0.1", ansible_port=port, netraven_platform=platform, **extra)


def closed_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound and released: refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_play(tmp_path: Path, env: dict[str, str], hosts: dict[str, dict] | None, group_vars: dict | None = None,
             args: tuple[str, ...] = (), playbook: str = PLAYBOOK, vars_text: str | None = None,
             inventory: Path | None = None) -> subprocess.CompletedProcess:
    """Write inventory (+ optional raw ``vars.yml`` text, e.g. with !unsafe / !vault) and run the playbook.

    ``inventory``: use this inventory source instead of writing ``hosts`` to inventory.yml (then
    the connection variables must come from it or its group_vars).
    """
    results = tmp_path / "results"
    results.mkdir(exist_ok=True)
    if inventory is None:
        common = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                  "results_dir": str(results)}
        common.update(group_vars or {})
        inventory = tmp_path / "inventory.yml"
        inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts, "vars": common}}, allow_unicode=True))
    (tmp_path / "play.yml").write_text(playbook)
    cmd = ["ansible-playbook", "-i", str(inventory), str(tmp_path / "play.yml"), *args]
    if vars_text is not None:
        (tmp_path / "vars.yml").write_text(vars_text, encoding="utf-8")
        cmd += ["-e", f"@{tmp_path / 'vars.yml'}"]
    proc = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300)
    assert "ERROR!" not in proc.stderr and "[ERROR]" not in proc.stderr, proc.stdout + proc.stderr
    return proc


def results_of(tmp_path: Path) -> dict[str, dict]:
    """The registered cli_command result of every host, by inventory hostname."""
    return {p.stem: json.loads(p.read_text()) for p in sorted((tmp_path / "results").glob("*.json"))}


def outcomes(result: dict) -> list[tuple[str, str]]:
    """``[(credential, outcome), ...]`` of one result's attempts."""
    return [(a["credential"], a["outcome"]) for a in result["attempts"]]


class CliHelpers:
    """The helpers above, handed to tests by the ``cli`` fixture (test folders are not packages)."""

    lab_host = staticmethod(lab_host)
    closed_port = staticmethod(closed_port)
    run_play = staticmethod(run_play)
    results_of = staticmethod(results_of)
    outcomes = staticmethod(outcomes)


@pytest.fixture
def cli() -> CliHelpers:
    """Helpers for cli_command playbook runs (see this file's functions)."""
    return CliHelpers()
