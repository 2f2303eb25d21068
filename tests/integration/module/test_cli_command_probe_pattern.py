"""The probe pattern of docs/docsite/rst/cli_command.rst, run as written, for people who keep
ansible.netcommon/cisco.ios (issue 18, item 20).

The guide's three tasks (read from the guide): cli_command with no commands finds the working
credential; set_fact (no_log) hands it, enable secret included, to ansible_user /
ansible_password / ansible_become_password; cisco.ios.ios_command over
ansible.netcommon.network_cli then logs in with it and enters enable mode. Host keys are checked
on both sides, from ``~/.ssh/known_hosts`` as the guide says (``HOME`` is the test's folder).

ansible.netcommon and cisco.ios come with the ``ansible`` package, which ``make test`` installs
(requirements-bench.txt); without them the test skips, and fails under ``CI=true``.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
GUIDE = REPO / "docs" / "docsite" / "rst" / "cli_command.rst"
CREDENTIALS = [
    {"name": "old", "username": "admin", "password": "Canary-old-9f3", "priority": 10, "tags": ["default"]},
    {"name": "ok", "username": "admin", "password": "Canary-ok-9f3", "enable_secret": "Canary-enable-9f3", "priority": 20,
     "tags": ["default"]},
]


def guide_tasks() -> list[dict]:
    """The YAML block of the guide's probe-pattern section."""
    section = GUIDE.read_text().split("the probe pattern\n", 1)[1].split("\nCost\n", 1)[0]
    block = re.search(r"\.\. code-block:: yaml\n\n((?: {3}.*\n|\n)+)", section).group(1)
    return yaml.safe_load("\n".join(line[3:] for line in block.splitlines()))


def have_network_collections(env: dict[str, str]) -> bool:
    """True when ansible-galaxy lists both ansible.netcommon and cisco.ios on this machine."""
    proc = subprocess.run(["ansible-galaxy", "collection", "list", "--format", "json"], env=env, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        return False
    names = {name for path in json.loads(proc.stdout or "{}").values() for name in path}
    return {"ansible.netcommon", "cisco.ios"} <= names


@pytest.mark.lab
def test_the_guide_probe_pattern_runs_as_written(lab, cli, tmp_path: Path, play_env: dict[str, str]) -> None:
    if not have_network_collections(play_env):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("ansible.netcommon and cisco.ios are missing in CI: make test installs requirements-bench.txt")
        pytest.skip("ansible.netcommon and cisco.ios are not installed (they ship with the 'ansible' package: "
                    "pip install -r requirements-bench.txt, as make test does)")
    running = lab({
        "credentials": [{k: v for k, v in c.items() if k not in ("priority", "tags")} for c in CREDENTIALS],
        "devices": [{"name": "r1", "platform": "cisco_ios", "port": "auto", "accept": ["ok"],
                     "enable_secret": "Canary-enable-9f3"}],
    })
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "known_hosts").write_text(running.known_hosts.read_text())  # the guide's ssh-keyscan step
    tasks = guide_tasks()
    assert [t["name"] for t in tasks][0].startswith("Find the credential") and len(tasks) == 3
    tasks[-1]["register"] = "result"
    tasks.append({"name": "Save the result for the test", "delegate_to": "localhost",
                  "ansible.builtin.copy": {"content": "{{ result | to_nice_json }}", "mode": "0600",
                                           "dest": "{{ results_dir }}/{{ inventory_hostname }}.json"}})
    playbook = yaml.safe_dump([{"name": "The probe pattern", "hosts": "all", "gather_facts": False, "tasks": tasks}],
                              sort_keys=False)
    hosts = {"r1": cli.lab_host(running.port("r1"), netraven_tags=["default"])}
    env = dict(play_env, HOME=str(home))
    env.pop("ANSIBLE_HOST_KEY_CHECKING", None)
    proc = cli.run_play(tmp_path, env, hosts, group_vars={"netraven_credentials": CREDENTIALS}, playbook=playbook)
    result = cli.results_of(tmp_path)["r1"]
    assert not result.get("failed") and "hostname r1" in result["stdout"][0], result
    assert [(e["accepted"], e["credential"]) for e in running.auth_log("r1")][-1] == (True, "ok")
    assert not [c for c in ("Canary-old-9f3", "Canary-ok-9f3", "Canary-enable-9f3") if c in proc.stdout + proc.stderr]
